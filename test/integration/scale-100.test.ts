/**
 * 100 peers in one space, in this process (issue 12), built by bench/scale.ts: real libp2p nodes
 * (createNode) on 127.0.0.1 with the real Bootstrapper, and the real topic/ingest path (SpaceTopics'
 * validator runs every op through a LevelDB-backed Replica before GossipSub accepts and forwards
 * it). Not 100 Apps: none of an App's other parts (UI state, relays, announcer, keys) is on the path
 * of a message or a lookup, and 100 of them do not start within CI's budget on 2 cores.
 *
 * Asserts: every routing table non-empty within 2 s of that peer's bootstrap (3 random peers
 * already in the network, arriving 10 at a time); every message (from 5 publishers) reaches all 99
 * other peers, p99 <= 1 s; DHT lookups (providers of the space's CID, peers closest to a PeerId)
 * find their answer within ceil(log2(100)) = 7 hops, and no walk goes deeper.
 *
 * Run by hand: `SCALE_TEST=1 npx vitest run test/integration/scale-100.test.ts` (about 90 s and
 * 1.3 GB). Not in CI: measured on this 2-core machine, quiet (load 0.3-4), 100 peers in one event
 * loop spend ~57 s of CPU bootstrapping (each new peer's bootstrap forces kad-dht's refresh of every
 * bucket, which dials nearly every other peer: ~36 connections per peer), so table fill was p50 3.9 s
 * / max 10.2 s and delivery p99 2.2 s (all delivered); hops held (answer <= 1, walk depth <= 3).
 * The fill and delivery bounds therefore fail here in one process; see the report of issue 12.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scaleRun, stopPeers, type ScaleFigures } from '../../bench/scale.js'
import { percentile } from '../../src/dht/stats.js'

const N = 100
const HOPS = Math.ceil(Math.log2(N))

describe.runIf(process.env.SCALE_TEST === '1')('100 peers in one space', () => {
  it('tables fill within 2 s, every message reaches all 100 (p99 <= 1 s), lookups take <= log2(n) hops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spaceway-scale-'))
    const t0 = Date.now()
    let figures: ScaleFigures | undefined
    try {
      const run = await scaleRun(dir, { peers: N, messages: 10, publishers: 5, lookups: 5 })
      figures = run.figures
      await stopPeers(run.peers)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    const s = figures as ScaleFigures
    const answers = [...s.providerHops, ...s.peerHops].map(h => h.answer)
    console.log(`${N} peers in ${Date.now() - t0} ms: table fill p50 ${percentile(s.tableFillMs, 50)?.toFixed(0)} / max ${Math.max(...s.tableFillMs).toFixed(0)} ms; ` +
      `delivery p50 ${percentile(s.deliveryMs, 50)?.toFixed(1)} / p99 ${percentile(s.deliveryMs, 99)?.toFixed(1)} ms, ${s.undelivered} undelivered; ` +
      `hops ${answers.join(',')} (walk depth max ${Math.max(...[...s.providerHops, ...s.peerHops].map(h => h.depth))}); ` +
      `${s.connectionsPerPeer.toFixed(1)} connections per peer, mesh ${s.mesh.join('/')}`)
    // (a) every routing table filled, each within 2 s of its peer's bootstrap
    expect(s.tablesEmpty).toBe(0)
    expect(s.tableFillMs).toHaveLength(N - 1)
    expect(Math.max(...s.tableFillMs)).toBeLessThanOrEqual(2000)
    // (b) every message reached every other peer, p99 within 1 s
    expect(s.undelivered).toBe(0)
    expect(s.deliveryMs).toHaveLength(10 * (N - 1))
    expect(percentile(s.deliveryMs, 99)).toBeLessThanOrEqual(1000)
    // (c) every lookup found its answer, within log2(n) hops, and no walk went deeper
    expect(s.providerHops.length + s.peerHops.length).toBeGreaterThanOrEqual(9)
    for (const a of answers) {
      expect(a).not.toBeNull()
      expect(a).toBeLessThanOrEqual(HOPS)
    }
    for (const h of [...s.providerHops, ...s.peerHops]) expect(h.depth).toBeLessThanOrEqual(HOPS)
  }, 300_000)
})
