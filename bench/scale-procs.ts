/**
 * 100 peers in one space as 100 real `spaceway --json` processes (issue 12: "in-process nodes, or
 * processes where memory allows"). Each process has its own event loop, as each peer has its own
 * machine in use; the machine's 2 cores are shared by all of them, so every figure here includes
 * waiting for a core.
 *
 * Peers arrive in waves of `wave` (default 10), each bootstrapping from 3 random peers already up
 * (`--bootstrap`, as a new user is given). Figures:
 * - start -> non-empty routing table, per process: from its `ready` line until `network` shows a
 *   table of at least one peer (polled every 50 ms);
 * - `join <space id>` of one public space through the DHT, per process (a wave at a time);
 * - publish -> delivered: `send` on a publisher until the `message` event is read from each of the
 *   other members (5 publishers x 4 messages, one message at a time; a process whose join failed is
 *   left out, and the failures are reported by error code);
 * - RSS per process at the end (VmRSS).
 * `npm run bench -- scale-procs` prints them. Long (about 2-4 minutes on 2 cores): by hand only.
 */
import { join } from 'node:path'
import { percentile } from '../src/dht/stats.js'
import { LineClient } from './line-client.js'
import { rssMiB } from './soak-procs.js'

type Report = (name: string, value: string) => void

export interface ScaleProcsOptions {
  /** Processes (default 100). */
  peers?: number
  /** Processes that arrive at once (default 10). */
  wave?: number
  /** Publishers and messages per publisher (default 5 and 4). */
  publishers?: number
  messagesEach?: number
}

const ms = (x: number | null | undefined): string => x == null ? '-' : `${x.toFixed(0)} ms`

/** Resolves when `pred` holds on `network` of `c` (polled every `everyMs`), with the ms it took; rejects after `boundMs`. */
async function waitNetwork (c: LineClient, pred: (net: any) => boolean, boundMs: number, everyMs = 50): Promise<number> {
  const t0 = performance.now()
  for (;;) {
    const r = await c.run('network')
    if (r.ok === true && pred(r.data)) return performance.now() - t0
    if (performance.now() - t0 > boundMs) throw new Error(`network condition not met within ${boundMs} ms`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

export async function scaleProcsBench (dir: string, report: Report, options: ScaleProcsOptions = {}): Promise<void> {
  const n = options.peers ?? 100
  const wave = options.wave ?? 10
  const peers: LineClient[] = []
  const addrs: string[] = []
  const fill: number[] = []
  let emptyTables = 0
  const start = (i: number, bootstrap: string[]): LineClient =>
    // a closed loopback port as the relay: no process looks for the default relay on the Internet
    new LineClient(['--account', join(dir, `scale-p${i}.key`), '--relay', '/ip4/127.0.0.1/tcp/1', ...bootstrap.flatMap(b => ['--bootstrap', b])])
  try {
    // peer 0 alone, then waves bootstrapping from 3 random peers already up
    peers.push(start(0, []))
    addrs.push((await peers[0].ready).addrs[0])
    for (let first = 1; first < n; first += wave) {
      const batch: Array<Promise<void>> = []
      for (let i = first; i < Math.min(n, first + wave); i++) {
        const boot = [...new Set(Array.from({ length: 3 }, () => addrs[Math.floor(Math.random() * addrs.length)]))]
        const c = start(i, boot)
        peers.push(c)
        batch.push((async () => {
          const ready = await c.ready
          addrs[i] = ready.addrs[0]
          try { fill.push(await waitNetwork(c, net => net.dht.routingTableSize > 0, 15_000)) } catch { emptyTables++ }
        })())
      }
      await Promise.all(batch)
    }
    report(`${n} processes: ready -> non-empty routing table (p50 / p95 / max)`, `${ms(percentile(fill, 50))} / ${ms(percentile(fill, 95))} / ${ms(Math.max(...fill))}${emptyTables > 0 ? `, ${emptyTables} still empty after 15 s` : ''}`)

    // one public space, joined by id through the DHT by everyone else, a wave at a time
    const owner = peers[0]
    const created = await owner.run('space create "Scale" --public')
    const spaceId = created.data.spaceId as string
    // the provider record first (a join asks the DHT for it); not done in 30 s is a figure too
    const announced = await waitNetwork(owner, net => net.announcements.some((a: any) => a.spaceId === spaceId && a.status === 'done'), 30_000, 100).catch(() => null)
    if (announced == null) {
      const a = (await owner.run('network')).data.announcements.find((x: any) => x.spaceId === spaceId)
      report(`${n} processes: announcing the space`, `not done in 30 s: ${JSON.stringify(a)}`)
    } else report(`${n} processes: space created -> provider record stored`, ms(announced))
    const joins: number[] = []
    const joinErrors = new Map<string, number>()
    const members = new Set<LineClient>([owner])
    for (let first = 1; first < n; first += wave) {
      await Promise.all(peers.slice(first, first + wave).map(async c => {
        const t0 = performance.now()
        const r = await c.run(`join ${spaceId}`)
        if (r.ok === true) { joins.push(performance.now() - t0); members.add(c) } else joinErrors.set(r.error?.code, (joinErrors.get(r.error?.code) ?? 0) + 1)
      }))
    }
    const failed = [...joinErrors].map(([code, k]) => `${k} ${code as string}`).join(', ')
    report(`${n} processes: join <space id> (p50 / max, ${wave} at once)`, `${ms(percentile(joins, 50))} / ${ms(Math.max(...joins))}${failed !== '' ? `; failed: ${failed}` : ''}`)
    // every member in the topic's mesh before the first publish (GossipSub grafts at heartbeats)
    const joined = peers.filter(c => members.has(c))
    const meshed = await Promise.all(joined.map(async c => await waitNetwork(c, net => net.spaces.some((s: any) => s.spaceId === spaceId && s.meshPeers > 0), 30_000, 200).then(() => true, () => false)))
    const unmeshed = meshed.filter(x => !x).length
    if (unmeshed > 0) report(`${n} processes: members in the topic's mesh within 30 s of the joins`, `${joined.length - unmeshed} of ${joined.length}`)

    // publish -> delivered at every other process, one message at a time
    const latencies: number[] = []
    let missing = 0
    const publishers = options.publishers ?? 5
    const each = options.messagesEach ?? 4
    for (let m = 0; m < publishers * each; m++) {
      const from = Math.floor((m % publishers) * (joined.length / publishers))
      const text = `scale message ${m}`
      const t0 = performance.now()
      const arrivals = joined.filter((_c, i) => i !== from).map(async c => await Promise.race([
        c.next(l => l.type === 'event' && l.event === 'message' && l.data.text === text).then(() => performance.now() - t0),
        new Promise<null>(resolve => { setTimeout(() => { resolve(null) }, 10_000).unref() })
      ]))
      const sent = await joined[from].run(`send ${text}`)
      if (sent.ok !== true) throw new Error(`send failed: ${JSON.stringify(sent.error)}`)
      for (const a of await Promise.all(arrivals)) {
        if (a == null) missing++
        else latencies.push(a)
      }
    }
    report(`${n} processes: publish -> delivered at every other member (${joined.length}) (p50 / p99 / max, n=${latencies.length})`, `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))} / ${ms(Math.max(...latencies))}${missing > 0 ? `, ${missing} not delivered within 10 s` : ', all delivered'}`)

    const rss = (await Promise.all(peers.map(async c => await rssMiB(c.child.pid)))).filter((x): x is number => x != null)
    report(`${n} processes: RSS per process (p50 / max)`, `${percentile(rss, 50)?.toFixed(0)} MiB / ${Math.max(...rss).toFixed(0)} MiB`)
  } finally {
    await Promise.all(peers.map(async p => await p.stop()))
  }
}
