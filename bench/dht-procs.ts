/**
 * `join <space id>` as users see it, on 20 spaceway processes (each its own event loop): the joiner
 * knows one bootstrap peer that is not a member. Two cases, 5 joins each, each with a new joiner:
 * - fresh: the joiner joins as soon as its routing table is non-empty (a script that starts the
 *   client and joins at once): the join shares the CPU with the client's start-up work (routing-table
 *   refresh, dials of discovered peers, their identify and sync);
 * - settled: the joiner joins once its start-up work is done (its CPU use has fallen below
 *   SETTLED_CPU_MS per SETTLED_WINDOW_MS: a person who starts the client and pastes the id).
 * Printed: p50/max of each, and the CPU the joiner and all the other processes used during the
 * joins (from /proc/<pid>/stat), beside the in-process DHT figures.
 */
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { percentile } from '../src/dht/stats.js'
import { LineClient } from './line-client.js'

type Report = (name: string, value: string) => void

/** A process counts as settled when it used less CPU than this over SETTLED_WINDOW_MS, ms. */
const SETTLED_CPU_MS = 30
const SETTLED_WINDOW_MS = 500
/** Longest wait for a joiner to settle, ms (then it joins anyway, and the bench says so). */
const SETTLE_LIMIT_MS = 20_000

/** CPU time a live process has used, ms (utime + stime of /proc/<pid>/stat, clock ticks of 10 ms). */
async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Resolves once `pid` used < SETTLED_CPU_MS of CPU over a SETTLED_WINDOW_MS window; false past SETTLE_LIMIT_MS. */
async function settled (pid: number): Promise<boolean> {
  const end = performance.now() + SETTLE_LIMIT_MS
  let last = await cpuMs(pid)
  while (performance.now() < end) {
    await new Promise(resolve => setTimeout(resolve, SETTLED_WINDOW_MS))
    const now = await cpuMs(pid)
    if (now - last < SETTLED_CPU_MS) return true
    last = now
  }
  return false
}

/** A client that bootstraps from `bootstrap` and does not look for the default relay. */
function peer (account: string, bootstrap: string[]): LineClient {
  return new LineClient(['--account', account, '--relay', '/ip4/127.0.0.1/tcp/1', ...bootstrap.flatMap(b => ['--bootstrap', b])])
}

export async function dhtProcessBench (dir: string, report: Report): Promise<void> {
  const peers: LineClient[] = []
  try {
    for (let i = 0; i < 20; i++) {
      const boot = i === 0 ? [] : [(await peers[Math.floor(Math.random() * i)].ready).addrs[0]]
      const p = peer(join(dir, `proc-dht-${i}.key`), boot)
      peers.push(p)
      await p.ready
    }
    const owners = peers.slice(1)
    let n = 0
    for (const mode of ['fresh', 'settled'] as const) {
      const joins: number[] = []
      let joinerCpu = 0
      let othersCpu = 0
      let unsettled = 0
      for (let k = 0; k < 5; k++, n++) {
        const owner = owners[(n * 3) % owners.length]
        const { data } = await owner.run(`space create "procs ${n}" --public`)
        await owner.until(net => net.announcements.some((a: any) => a.spaceId === data.spaceId && a.status === 'done'))
        const joiner = peer(join(dir, `proc-joiner-${n}.key`), [(await peers[0].ready).addrs[0]])
        const others = [...peers]
        peers.push(joiner)
        await joiner.ready
        await joiner.until(net => net.dht.routingTableSize > 0)
        if (mode === 'settled' && !await settled(joiner.child.pid as number)) unsettled++
        const pids = [...others, joiner].map(p => p.child.pid as number)
        const before = await Promise.all(pids.map(cpuMs))
        const t0 = performance.now()
        const r = await joiner.run(`join ${data.spaceId as string}`)
        if (r.ok !== true) throw new Error(`join failed: ${JSON.stringify(r.error)}`)
        joins.push(performance.now() - t0)
        const used = (await Promise.all(pids.map(cpuMs))).map((c, i) => c - before[i])
        joinerCpu += used.at(-1) as number
        othersCpu += used.slice(0, -1).reduce((a, b) => a + b, 0)
      }
      report(`join <space id>, 20 processes + ${mode} joiner (p50/max, n=5)`, `${percentile(joins, 50)?.toFixed(0)} ms / ${Math.max(...joins).toFixed(0)} ms; CPU per join: joiner ${(joinerCpu / 5).toFixed(0)} ms, the others ${(othersCpu / 5).toFixed(0)} ms in all${unsettled > 0 ? ` (${unsettled} joiner(s) never settled)` : ''}`)
    }
  } finally {
    await Promise.all(peers.map(async p => await p.stop()))
  }
}
