/**
 * Relay peering (relay/peering.ts) against a fake node and sync service, on fake timers: the
 * schedule of dials and sessions, who starts, what is skipped, what is repeated.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_PEER_RELAYS, parsePeerRelays, PEERING_DEFAULTS, RelayPeering, type PeeringSync } from '../../relay/peering.js'
import { peerIdOf } from '../../src/net/dial.js'
import type { SyncStats } from '../../src/sync/session.js'

afterEach(() => { vi.useRealTimers() })

/** `n` PeerIds in ascending order. */
async function peerIds (n: number): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
  return ids.sort()
}
const addr = (peerId: string, port = 9000): string => `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`

class FakeNode extends EventTarget {
  readonly dials: Array<{ peer: string, at: number, signal: AbortSignal }> = []
  readonly reachable = new Set<string>()
  readonly conns = new Set<string>()
  constructor (readonly peerId: PeerId) { super() }
  async dial (addrs: Multiaddr[], options: { signal: AbortSignal }): Promise<Connection> {
    const peer = peerIdOf(addrs[0]) as string
    this.dials.push({ peer, at: Date.now(), signal: options.signal })
    if (!this.reachable.has(peer)) throw new Error('connection refused')
    this.connect(peer)
    return {} as Connection
  }

  connect (peer: string): void {
    if (this.conns.has(peer)) return
    this.conns.add(peer)
    this.dispatchEvent(new CustomEvent('peer:connect', { detail: peerIdFromString(peer) }))
  }

  drop (peer: string): void {
    this.conns.delete(peer)
    this.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peerIdFromString(peer) }))
  }

  getConnections (peer?: PeerId): Connection[] {
    return peer != null && this.conns.has(peer.toString()) ? [{} as Connection] : []
  }
}

/** A sync service whose sessions end when the test says (`hold`) or at once. */
class FakeSync implements PeeringSync {
  readonly calls: string[] = []
  readonly signals: AbortSignal[] = []
  running = 0
  maxRunning = 0
  hold = false
  private readonly waiting: Array<() => void> = []
  /** Sessions the peer opened with us: "peer/space" -> ms. */
  readonly inbound = new Map<string, number>()
  /** Ops each session brings, and what it does to the store. */
  received = 0
  onSession: (peer: string, space: string) => void = () => {}

  async syncWith (peer: string, spaceId: string, options: { signal: AbortSignal }): Promise<SyncStats> {
    this.calls.push(`${peer.slice(-4)}/${spaceId}`)
    this.signals.push(options.signal)
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    try {
      if (this.hold) {
        await new Promise<void>((resolve, reject) => {
          this.waiting.push(resolve)
          options.signal.addEventListener('abort', () => reject(options.signal.reason))
        })
      }
      this.onSession(peer, spaceId)
      return { spaceId, outcome: 'done', opsSent: 0, opsReceived: this.received, bytesSent: 0, bytesReceived: 0, rounds: 1, offered: true, startedAt: Date.now() }
    } finally {
      this.running--
    }
  }

  release (): void {
    for (const r of this.waiting.splice(0)) r()
  }

  openedBySince (peer: string, spaceId: string, since: number): boolean {
    return (this.inbound.get(`${peer}/${spaceId}`) ?? 0) >= since
  }
}

function store (spaces: string[]): { spaces: () => string[], opCount: (s: string) => number | undefined, counts: Map<string, number> } {
  const counts = new Map(spaces.map(s => [s, 1]))
  return { spaces: () => [...counts.keys()], opCount: (s) => counts.get(s), counts }
}

const half = (): number => 0.5 // no jitter: every delay is its base value

describe('parsePeerRelays', () => {
  it('needs a /p2p/ PeerId that is not ours; groups addresses by PeerId; at most MAX_PEER_RELAYS', async () => {
    const [self, a, b] = await peerIds(3)
    expect(parsePeerRelays([addr(a), addr(b), `/ip6/::1/tcp/9000/p2p/${a}`, addr(a)], self).map(p => [p.peerId, p.addrs.length])).toEqual([[a, 2], [b, 1]])
    const bad = (values: string[]): unknown => { try { parsePeerRelays(values, self); return null } catch (err) { return (err as { code: string }).code } }
    expect(bad(['/ip4/127.0.0.1/tcp/9000'])).toBe('BAD_ARGUMENT')
    expect(bad(['not a multiaddr'])).toBe('BAD_ARGUMENT')
    expect(bad([addr(self)])).toBe('BAD_ARGUMENT')
    const many = await peerIds(MAX_PEER_RELAYS + 1)
    expect(bad(many.map(p => addr(p)))).toBe('BAD_ARGUMENT')
    expect(parsePeerRelays([], self)).toEqual([])
  })
})

describe('relay peering', () => {
  it('dials with backoff until the peer relay answers, then reconciles every space held, `concurrency` sessions at a time', async () => {
    vi.useFakeTimers()
    const [self, peer] = await peerIds(2) // we have the smaller PeerId: we start at once
    const node = new FakeNode(peerIdFromString(self))
    const sync = new FakeSync()
    sync.hold = true
    const p = new RelayPeering(node, sync, store(['A', 'B', 'C', 'D', 'E']), parsePeerRelays([addr(peer)], self), {}, half)
    const t0 = Date.now()
    p.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(node.dials.map(d => d.at - t0)).toEqual([0])
    // 1 s x 2^failures after each failure (no jitter here)
    await vi.advanceTimersByTimeAsync(2000 + 4000)
    expect(node.dials.map(d => d.at - t0)).toEqual([0, 2000, 6000])
    expect(p.list()[0]).toMatchObject({ connected: false, failures: 3, lastError: 'connection refused', nextAttemptAt: t0 + 6000 + 8000 })
    node.reachable.add(peer)
    await vi.advanceTimersByTimeAsync(8000)
    expect(p.list()[0]).toMatchObject({ connected: true, failures: 0, lastError: null })
    expect(p.connectedCount()).toBe(1)
    expect(sync.calls).toHaveLength(2)
    for (let i = 0; i < 3; i++) { sync.release(); await vi.advanceTimersByTimeAsync(0) }
    expect(sync.calls.map(c => c.split('/')[1])).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(sync.maxRunning).toBe(PEERING_DEFAULTS.concurrency)
    expect(p.list()[0].sessions).toBe(5)
    p.stop()
  })

  it('the side with the larger PeerId waits connectDeferMs, then skips the spaces the peer reconciled with it meanwhile', async () => {
    vi.useFakeTimers()
    const [peer, self] = await peerIds(2)
    const node = new FakeNode(peerIdFromString(self))
    const sync = new FakeSync()
    const p = new RelayPeering(node, sync, store(['A', 'B', 'C']), parsePeerRelays([addr(peer)], self), {}, half)
    p.start()
    // the peer dialed us
    node.conns.add(peer)
    node.dispatchEvent(new CustomEvent('peer:connect', { detail: peerIdFromString(peer) }))
    sync.inbound.set(`${peer}/A`, Date.now())
    await vi.advanceTimersByTimeAsync(PEERING_DEFAULTS.connectDeferMs - 1)
    expect(sync.calls).toEqual([])
    sync.inbound.set(`${peer}/C`, Date.now())
    await vi.advanceTimersByTimeAsync(1)
    expect(sync.calls.map(c => c.split('/')[1])).toEqual(['B'])
    // it dialed nobody: the connection was there
    await vi.advanceTimersByTimeAsync(60_000)
    expect(node.dials).toEqual([])
    p.stop()
  })

  it('spreads a space that got new ops to every connected peer relay but the source, once per spreadDelayMs', async () => {
    vi.useFakeTimers()
    const [self, a, b, c] = await peerIds(4)
    const node = new FakeNode(peerIdFromString(self))
    for (const x of [a, b]) node.reachable.add(x) // c stays unreachable
    const sync = new FakeSync()
    const p = new RelayPeering(node, sync, store(['S', 'T']), parsePeerRelays([a, b, c].map(x => addr(x)), self), {}, half)
    p.start()
    await vi.advanceTimersByTimeAsync(0)
    sync.calls.length = 0
    p.touched('S', a)
    p.touched('S', a)
    p.touched('T')
    await vi.advanceTimersByTimeAsync(PEERING_DEFAULTS.spreadDelayMs - 1)
    expect(sync.calls).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(sync.calls.sort()).toEqual([`${a.slice(-4)}/T`, `${b.slice(-4)}/S`, `${b.slice(-4)}/T`].sort())
    p.stop()
  })

  it('anti-entropy every intervalMs (jittered) with every connected peer relay, skipping what was reconciled in the last half interval', async () => {
    vi.useFakeTimers()
    const [self, peer] = await peerIds(2)
    const node = new FakeNode(peerIdFromString(self))
    node.reachable.add(peer)
    const sync = new FakeSync()
    const intervalMs = 10_000
    const p = new RelayPeering(node, sync, store(['A', 'B', 'C']), parsePeerRelays([addr(peer)], self), { intervalMs }, half)
    p.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(sync.calls).toHaveLength(3) // on connect
    sync.calls.length = 0
    // A: we reconciled it 6 s before the tick (spread); B: the peer did, 2 s before; C: nothing lately
    await vi.advanceTimersByTimeAsync(intervalMs - 6000)
    p.touched('A')
    await vi.advanceTimersByTimeAsync(PEERING_DEFAULTS.spreadDelayMs)
    expect(sync.calls.map(c => c.split('/')[1])).toEqual(['A'])
    sync.calls.length = 0
    await vi.advanceTimersByTimeAsync(6000 - PEERING_DEFAULTS.spreadDelayMs - 2000)
    sync.inbound.set(`${peer}/B`, Date.now())
    await vi.advanceTimersByTimeAsync(2000)
    expect(sync.calls.map(c => c.split('/')[1])).toEqual(['C'])
    // next tick: all three are due again
    sync.calls.length = 0
    await vi.advanceTimersByTimeAsync(intervalMs)
    expect(sync.calls.map(c => c.split('/')[1]).sort()).toEqual(['A', 'B', 'C'])
    p.stop()
  })

  it('a session that made the space grow is run again (a backlog larger than one session); one that brought nothing is not', async () => {
    vi.useFakeTimers()
    const [self, peer] = await peerIds(2)
    const node = new FakeNode(peerIdFromString(self))
    node.reachable.add(peer)
    const sync = new FakeSync()
    const s = store(['S'])
    let backlog = 3
    sync.onSession = () => { sync.received = backlog > 0 ? 500 : 0; if (backlog-- > 0) s.counts.set('S', (s.counts.get('S') ?? 0) + 500) }
    const p = new RelayPeering(node, sync, s, parsePeerRelays([addr(peer)], self), { intervalMs: 3_600_000 }, half)
    p.start()
    await vi.advanceTimersByTimeAsync(10 * PEERING_DEFAULTS.spreadDelayMs)
    expect(sync.calls).toHaveLength(4) // three that brought ops, one that found nothing new
    expect(s.counts.get('S')).toBe(1501)
    // ops received but nothing stored (e.g. the space is full): not repeated
    sync.calls.length = 0
    sync.onSession = () => { sync.received = 10 }
    p.touched('S')
    await vi.advanceTimersByTimeAsync(10 * PEERING_DEFAULTS.spreadDelayMs)
    expect(sync.calls).toHaveLength(1)
    p.stop()
  })

  it('a lost connection is redialed and reconciled again; stop aborts the sessions running and dials no more', async () => {
    vi.useFakeTimers()
    const [self, peer] = await peerIds(2)
    const node = new FakeNode(peerIdFromString(self))
    node.reachable.add(peer)
    const sync = new FakeSync()
    const p = new RelayPeering(node, sync, store(['A']), parsePeerRelays([addr(peer)], self), {}, half)
    p.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(sync.calls).toHaveLength(1)
    node.drop(peer)
    expect(p.connectedCount()).toBe(0)
    sync.hold = true
    await vi.advanceTimersByTimeAsync(PEERING_DEFAULTS.backoff.intervalMs)
    expect(node.dials).toHaveLength(2)
    expect(sync.calls).toHaveLength(2)
    const running = sync.signals[1]
    expect(running.aborted).toBe(false)
    p.stop()
    expect(running.aborted).toBe(true)
    expect(node.dials[1].signal.aborted).toBe(true)
    node.drop(peer)
    await vi.advanceTimersByTimeAsync(600_000)
    expect(node.dials).toHaveLength(2)
    expect(p.list()[0].failedSessions).toBe(0) // an abort by stop is no failure
  })
})

describe('relays found through the DHT (addDiscovered)', () => {
  const ma = async (peer: string): Promise<Multiaddr[]> => parsePeerRelays([addr(peer)], 'x')[0].addrs

  it('holds at most maxDiscovered; one is used only once it proves it is a relay, else dropped', async () => {
    vi.useFakeTimers()
    const ids = await peerIds(12)
    const [self, configured, ...found] = ids
    const node = new FakeNode(peerIdFromString(self))
    for (const p of ids) node.reachable.add(p)
    const sync = new FakeSync()
    const dropped: string[] = []
    const relays = new Set(found.slice(0, 5)) // the others are not relays
    const p = new RelayPeering(node, sync, store(['S']), parsePeerRelays([addr(configured)], self), {}, half, {
      maxDiscovered: 8,
      verify: async (peer) => relays.has(peer.toString()),
      onDropped: (peer) => { dropped.push(peer) }
    })
    p.start()
    const added = []
    for (const f of found) added.push(p.addDiscovered(f, await ma(f)))
    expect(added.filter(Boolean)).toHaveLength(8)
    expect(p.addDiscovered(configured, await ma(configured))).toBe(false)
    expect(p.discoveredCount()).toBe(8)
    await vi.advanceTimersByTimeAsync(PEERING_DEFAULTS.connectDeferMs + 100)
    // the 3 non-relays among the 8 taken were dropped; only checked relays were reconciled with
    expect(dropped.sort()).toEqual(found.slice(5, 8).sort())
    expect(p.discoveredCount()).toBe(5)
    const synced = new Set(sync.calls.map(c => c.split('/')[0]))
    for (const f of found.slice(5)) expect(synced.has(f.slice(-4))).toBe(false)
    for (const f of found.slice(0, 5)) expect(synced.has(f.slice(-4))).toBe(true)
    expect(p.list().filter(s => s.source === 'dht').every(s => s.verified && s.connected)).toBe(true)
    expect(p.isPeerRelay(found[0])).toBe(false)
    expect(p.isPeerRelay(configured)).toBe(true)
    // room again: another can be taken
    expect(p.addDiscovered(found[9], await ma(found[9]))).toBe(true)
    p.stop()
  })

  it('a discovered relay that cannot be reached, or whose sessions keep failing, is dropped; private spaces are never reconciled with it', async () => {
    vi.useFakeTimers()
    const [self, far, flaky] = await peerIds(3)
    const node = new FakeNode(peerIdFromString(self))
    node.reachable.add(flaky)
    const sync = new FakeSync()
    sync.onSession = (peer) => { if (peer === flaky) throw new Error('stream reset') }
    const dropped: string[] = []
    const p = new RelayPeering(node, sync, store(['pub1', 'pub2', 'pub3', 'priv']), [], {}, half, {
      verify: async () => true,
      onDropped: (peer) => { dropped.push(peer) },
      mayShare: (_peer, space) => space !== 'priv'
    })
    p.start()
    p.addDiscovered(far, await ma(far))
    p.addDiscovered(flaky, await ma(flaky))
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(dropped.sort()).toEqual([far, flaky].sort())
    expect(sync.calls.some(c => c.endsWith('/priv'))).toBe(false)
    expect(p.size).toBe(0)
    p.stop()
  })
})
