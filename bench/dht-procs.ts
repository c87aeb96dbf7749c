/**
 * `join <space id>` as users see it, on 20 spaceway processes (each its own event loop): the joiner
 * knows one bootstrap peer that is not a member. Reported beside the in-process DHT figures.
 */
import { join } from 'node:path'
import { percentile } from '../src/dht/stats.js'
import { LineClient } from './line-client.js'

type Report = (name: string, value: string) => void
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
    const joins: number[] = []
    for (let k = 0; k < 5; k++) {
      const owner = peers[1 + k * 3]
      const { data } = await owner.run(`space create "procs ${k}" --public`)
      await owner.until(net => net.announcements.some((a: any) => a.spaceId === data.spaceId && a.status === 'done'))
      const joiner = peer(join(dir, `proc-joiner-${k}.key`), [(await peers[0].ready).addrs[0]])
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
