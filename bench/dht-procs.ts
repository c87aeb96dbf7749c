/**
 * `join <space id>` as users see it, on 20 spaceway processes (each its own event loop): the joiner
 * knows one bootstrap peer that is not a member. Reported beside the in-process DHT figures.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { percentile } from '../src/dht/stats.js'

type Report = (name: string, value: string) => void
const CLIENT = fileURLToPath(new URL('../../bin/spaceway.js', import.meta.url))

class Peer {
  readonly child: ChildProcessByStdio<Writable, Readable, null>
  private readonly waiting: Array<(l: any) => boolean> = []
  readonly ready: Promise<any>
  constructor (account: string, bootstrap: string[]) {
    this.child = spawn(process.execPath, [CLIENT, '--json', '--no-mdns', '--host', '127.0.0.1', '--account', account, '--relay', '/ip4/127.0.0.1/tcp/1', ...bootstrap.flatMap(b => ['--bootstrap', b])], { stdio: ['pipe', 'pipe', 'ignore'] })
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const l = JSON.parse(text)
      for (let i = 0; i < this.waiting.length; i++) if (this.waiting[i](l)) this.waiting.splice(i--, 1)
    })
    this.ready = this.next(l => l.type === 'ready')
  }

  async next (pred: (l: any) => boolean): Promise<any> {
    return await new Promise(resolve => this.waiting.push(l => { if (pred(l)) { resolve(l); return true } return false }))
  }

  async run (line: string): Promise<any> {
    const p = this.next(l => l.type === 'result')
    this.child.stdin.write(line + '\n')
    return await p
  }

  /** Re-runs `network` until `pred` holds (bounded). */
  async until (pred: (net: any) => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms
    while (!pred((await this.run('network')).data)) {
      if (Date.now() > end) throw new Error('bench condition not met in time')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  async stop (): Promise<void> {
    this.child.stdin.end()
    await new Promise(resolve => this.child.on('exit', resolve))
  }
}

export async function dhtProcessBench (dir: string, report: Report): Promise<void> {
  const peers: Peer[] = []
  try {
    for (let i = 0; i < 20; i++) {
      const boot = i === 0 ? [] : [(await peers[Math.floor(Math.random() * i)].ready).addrs[0]]
      const p = new Peer(join(dir, `proc-dht-${i}.key`), boot)
      peers.push(p)
      await p.ready
    }
    const joins: number[] = []
    for (let k = 0; k < 5; k++) {
      const owner = peers[1 + k * 3]
      const { data } = await owner.run(`space create "procs ${k}"`)
      await owner.until(net => net.announcements.some((a: any) => a.spaceId === data.spaceId && a.status === 'done'))
      const joiner = new Peer(join(dir, `proc-joiner-${k}.key`), [(await peers[0].ready).addrs[0]])
      peers.push(joiner)
      await joiner.ready
      await joiner.until(net => net.dht.routingTableSize > 0)
      const t0 = performance.now()
      const r = await joiner.run(`join ${data.spaceId as string}`)
      if (r.ok !== true) throw new Error(`join failed: ${JSON.stringify(r.error)}`)
      joins.push(performance.now() - t0)
    }
    report('join <space id>, 20 processes + joiner (p50/max, n=5)', `${percentile(joins, 50)?.toFixed(0)} ms / ${Math.max(...joins).toFixed(0)} ms`)
  } finally {
    await Promise.all(peers.map(async p => await p.stop()))
  }
}
