/**
 * Idle CPU of spaceway processes (issue 12: a peer must not cost its machine while nobody writes):
 * 20 `spaceway --json` processes in one public space, each connected to the others (discovery dials
 * below 16 peers), nobody sending. After start-up and the joins, the CPU time each process uses
 * (utime + stime of /proc/<pid>/stat) over `windowMs` (default 120,000: whole rounds of the
 * connection monitor's pings, net/node.ts CONNECTION_PING_MS) is divided by the window.
 * `npm run bench -- idle` prints p50 / max per process and the total, in ms of CPU per second.
 */
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { percentile } from '../src/dht/stats.js'
import { LineClient } from './line-client.js'

type Report = (name: string, value: string) => void

/** CPU time a live process has used, ms (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

export async function idleBench (dir: string, report: Report, options: { peers?: number, windowMs?: number } = {}): Promise<void> {
  const n = options.peers ?? 20
  const windowMs = options.windowMs ?? Number(process.env.IDLE_WINDOW_MS ?? 120_000)
  const peers: LineClient[] = []
  try {
    for (let i = 0; i < n; i++) {
      const boot = i === 0 ? [] : [(await peers[Math.floor(Math.random() * i)].ready).addrs[0]]
      // a closed loopback port as the relay: no process looks for the default relay on the Internet
      const p = new LineClient(['--account', join(dir, `idle-p${i}.key`), '--relay', '/ip4/127.0.0.1/tcp/1', ...boot.flatMap(b => ['--bootstrap', b])])
      peers.push(p)
      await p.ready
    }
    const { data } = await peers[0].run('space create Idle --public')
    for (const p of peers.slice(1)) {
      const r = await p.run(`join ${data.spaceId as string}`)
      if (r.ok !== true) throw new Error(`join failed: ${JSON.stringify(r.error)}`)
    }
    const before = await Promise.all(peers.map(async p => await cpuMs(p.child.pid as number)))
    // the measurement window itself: CPU used over a fixed span of wall time, not an ordering wait
    await new Promise(resolve => setTimeout(resolve, windowMs))
    const used = await Promise.all(peers.map(async (p, i) => (await cpuMs(p.child.pid as number) - before[i]) / (windowMs / 1000)))
    const connections = (await peers[0].run('network')).data.connections.length as number
    report(`idle CPU per process, ${n} processes in one space (p50 / max / total, ${windowMs / 1000} s)`, `${percentile(used, 50)?.toFixed(1)} / ${Math.max(...used).toFixed(1)} / ${used.reduce((a, b) => a + b, 0).toFixed(0)} ms per s (the first has ${connections} connections)`)
  } finally {
    await Promise.all(peers.map(async p => await p.stop()))
  }
}
