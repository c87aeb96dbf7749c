/**
 * Relays backing each other up (`--peer-relay`, docs/PROTOCOL.md "Relays"). A relay keeps a
 * connection to each configured peer relay (dialed in the background, with backoff, an AbortSignal
 * and a deadline on every dial and session) and reconciles every space it holds with each of them
 * over the ordinary sync protocol, as initiator:
 *
 * - when the connection comes up (either side dialed): every space held. The side with the smaller
 *   PeerId starts at once; the other waits `connectDeferMs` and skips the spaces the peer has opened
 *   a session on meanwhile, so two relays that list each other do not reconcile everything twice;
 * - `spreadDelayMs` after a sync session (with anyone) brought new ops of a space: that space, with
 *   every connected peer relay but the one the ops came from. This is how a newly adopted space
 *   spreads (its adopting session brought its ops) and how ops a client synced (not gossiped) reach
 *   the other relays without waiting for anti-entropy;
 * - again `spreadDelayMs` after a session of ours with a peer relay made the space grow (a large
 *   backlog arrives over several sessions when the peer's op budget cuts one short);
 * - every `intervalMs` (+-20% jitter): every space with every connected peer relay (anti-entropy:
 *   gossip between relays is only a hint), except where a session with that peer on that space,
 *   either way, ran within the last half interval.
 *
 * A peer relay hands a space over under the client's rule (the relay adopts it only once its valid
 * `space.create` arrived). Sessions with one peer relay run at most `concurrency` at a time (the sync
 * service allows 4 per peer, both directions together). Nothing here reads an op: private spaces stay
 * ciphertext, and relays keep no keys.
 *
 * Besides the configured peer relays, relays found through the DHT (relay/discovery.ts) are peered
 * the same way once added with `addDiscovered`, with these differences (anyone can announce itself
 * as a relay): at most `maxDiscovered` at once; one is used only after its identify proves it is a
 * relay (`verify`); it is dropped (and `onDropped` called) after MAX_DISCOVERED_FAILURES dials or
 * sessions failed in a row, or a failed check; and the relay gives it no trust (relay.ts: the
 * per-peer quotas apply, private spaces are not reconciled with it).
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { BoundedMap } from '../src/core/bounded.js'
import { nextDelay } from '../src/dht/backoff.js'
import {
  MAX_DISCOVERED_FAILURES, MAX_DISCOVERED_RELAYS, PEERING_DEFAULTS, VERIFY_TIMEOUT_MS,
  type DiscoveredOptions, type PeerRelayAddr, type PeerRelayState, type PeeringNode, type PeeringStore, type PeeringSync, type PeeringTimings
} from './peering-config.js'

export * from './peering-config.js'

const log = logger('spaceway:relay:peering')

interface Peer {
  readonly peerId: string
  readonly id: PeerId
  readonly addrs: Multiaddr[]
  readonly discovered: boolean
  verified: boolean
  verifying: boolean
  /** Sessions failed in a row (a discovered relay is dropped past MAX_DISCOVERED_FAILURES). */
  failedInRow: number
  dropped: boolean
  connected: boolean
  connectedAt: number
  failures: number
  lastError: string | null
  nextAttemptAt: number | null
  lastSyncAt: number | null
  sessions: number
  failedSessions: number
  /** Spaces to reconcile now, with the "skip if a session ran since" time (null: run anyway). */
  readonly queue: Map<string, number | null>
  /** Spaces to reconcile at the next spread. */
  readonly later: Set<string>
  running: number
  dialTimer?: NodeJS.Timeout
  laterTimer?: NodeJS.Timeout
  deferTimer?: NodeJS.Timeout
}

/** `change`: a peer relay was added, dropped, connected, checked or went away. */
export class RelayPeering extends EventEmitter<{ change: [] }> {
  private readonly peers = new Map<string, Peer>()
  private readonly timings: PeeringTimings
  private readonly abort = new AbortController()
  private stopped = false
  private started = false
  private tickTimer?: NodeJS.Timeout
  /** When our last session with a peer on a space completed, ms ("peer/space" keys). */
  private readonly lastOut = new BoundedMap<string, number>(100_000)
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const p = this.peers.get(evt.detail.toString())
    if (p != null) this.up(p)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const p = this.peers.get(evt.detail.toString())
    if (p != null) this.down(p)
  }

  /**
   * @param peerRelays from parsePeerRelays
   * @param random returns [0, 1) (tests fix it)
   */
  constructor (
    private readonly node: PeeringNode,
    private readonly sync: PeeringSync,
    private readonly store: PeeringStore,
    peerRelays: PeerRelayAddr[],
    timings: Partial<PeeringTimings> = {},
    private readonly random: () => number = Math.random,
    discovered: Partial<DiscoveredOptions> = {}
  ) {
    super()
    this.timings = { ...PEERING_DEFAULTS, ...timings }
    this.discovery = { maxDiscovered: MAX_DISCOVERED_RELAYS, verify: async () => false, onDropped: () => {}, mayShare: () => true, ...discovered }
    for (const { peerId, addrs } of peerRelays) this.peers.set(peerId, this.newPeer(peerId, addrs, false))
  }

  private readonly discovery: DiscoveredOptions

  private newPeer (peerId: string, addrs: Multiaddr[], discovered: boolean): Peer {
    return {
        peerId,
        id: peerIdFromString(peerId),
        addrs,
        discovered,
        verified: !discovered,
        verifying: false,
        failedInRow: 0,
        dropped: false,
        connected: false,
        connectedAt: 0,
        failures: 0,
        lastError: null,
        nextAttemptAt: null,
        lastSyncAt: null,
        sessions: 0,
        failedSessions: 0,
        queue: new Map(),
        later: new Set(),
        running: 0
    }
  }

  /** True if `peer` (a PeerId string) is a configured peer relay. */
  isPeerRelay (peer: string): boolean {
    return this.peers.get(peer)?.discovered === false
  }

  /** True if `peer` is a peer relay, configured or discovered (verified or not yet). */
  has (peer: string): boolean {
    return this.peers.has(peer)
  }

  /** Peer relays, configured and discovered. */
  get size (): number {
    return this.peers.size
  }

  /** Discovered peer relays held now. */
  discoveredCount (): number {
    let n = 0
    for (const p of this.peers.values()) if (p.discovered) n++
    return n
  }

  /**
   * Adds a relay found through the DHT (`addrs`: where to dial it, already filtered by the caller).
   * It is dialed, checked (`verify`) and then peered like a configured one. False (nothing done)
   * when it is known already, is this relay, has no address, or `maxDiscovered` are held.
   */
  addDiscovered (peerId: string, addrs: Multiaddr[]): boolean {
    if (this.stopped || this.peers.has(peerId) || peerId === this.node.peerId.toString() || addrs.length === 0) return false
    if (this.discoveredCount() >= this.discovery.maxDiscovered) return false
    let p: Peer
    try { p = this.newPeer(peerId, addrs.slice(0, 4), true) } catch { return false }
    this.peers.set(peerId, p)
    log('peering with relay %s found through the DHT', peerId)
    this.emit('change')
    if (!this.started) return true
    if (this.node.getConnections(p.id).length > 0) this.up(p)
    else this.scheduleDial(p, 0)
    return true
  }

  /** Drops a discovered peer relay (timers, queue); `onDropped` is told. */
  private drop (p: Peer, reason: string): void {
    if (!p.discovered || p.dropped) return
    p.dropped = true
    p.connected = false
    for (const t of [p.dialTimer, p.laterTimer, p.deferTimer]) if (t != null) clearTimeout(t)
    p.queue.clear()
    p.later.clear()
    this.peers.delete(p.peerId)
    log('dropped discovered relay %s: %s', p.peerId, reason)
    this.discovery.onDropped(p.peerId, reason)
    this.emit('change')
  }

  /** Peer relays connected now. */
  connectedCount (): number {
    let n = 0
    for (const p of this.peers.values()) if (p.connected) n++
    return n
  }

  /** Starts dialing every peer relay and the anti-entropy timer. Call once the node has started. */
  start (): void {
    if (this.started || this.stopped) return
    this.started = true
    this.node.addEventListener('peer:connect', this.onConnect)
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    for (const p of this.peers.values()) {
      if (this.node.getConnections(p.id).length > 0) this.up(p)
      else this.scheduleDial(p, 0)
    }
    this.scheduleTick()
  }

  /** Stops dialing, cancels every timer and aborts the sessions running. Safe to call twice. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    this.abort.abort()
    this.node.removeEventListener('peer:connect', this.onConnect)
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    if (this.tickTimer != null) clearTimeout(this.tickTimer)
    for (const p of this.peers.values()) {
      for (const t of [p.dialTimer, p.laterTimer, p.deferTimer]) if (t != null) clearTimeout(t)
      p.queue.clear()
      p.later.clear()
    }
  }

  /**
   * A sync session with `from` (any peer; undefined: none in particular) brought new ops of
   * `spaceId` here: it is reconciled with every connected peer relay but `from`, `spreadDelayMs`
   * from now (calls within that time share the sessions).
   */
  touched (spaceId: string, from?: string): void {
    for (const p of this.peers.values()) if (p.connected && p.peerId !== from) this.later(p, spaceId)
  }

  /** State of every peer relay. */
  list (): PeerRelayState[] {
    return [...this.peers.values()].map(p => ({
      peerId: p.peerId,
      source: p.discovered ? 'dht' as const : 'configured' as const,
      verified: p.verified,
      addrs: p.addrs.map(a => a.toString()),
      connected: p.connected,
      failures: p.failures,
      lastError: p.lastError,
      nextAttemptAt: p.nextAttemptAt,
      lastSyncAt: p.lastSyncAt,
      sessions: p.sessions,
      failedSessions: p.failedSessions,
      queued: p.queue.size
    }))
  }

  private scheduleDial (p: Peer, delayMs: number): void {
    if (this.stopped || p.connected || p.dropped) return
    if (p.dialTimer != null) clearTimeout(p.dialTimer)
    p.nextAttemptAt = Date.now() + delayMs
    p.dialTimer = setTimeout(() => { void this.dial(p) }, delayMs)
    p.dialTimer.unref()
  }

  private async dial (p: Peer): Promise<void> {
    p.dialTimer = undefined
    p.nextAttemptAt = null
    if (this.stopped || p.connected) return
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timings.dialTimeoutMs)])
    try {
      await this.node.dial(p.addrs, { signal })
      p.failures = 0
      p.lastError = null
      this.up(p)
    } catch (err) {
      if (this.stopped || p.dropped) return
      p.failures++
      p.lastError = signal.aborted ? `no answer within ${this.timings.dialTimeoutMs} ms` : (err as Error).message
      log('peer relay %s not reachable (attempt %d): %s', p.peerId, p.failures, p.lastError)
      if (p.discovered && p.failures >= MAX_DISCOVERED_FAILURES) { this.drop(p, `unreachable: ${p.lastError}`); return }
      this.scheduleDial(p, nextDelay(Math.min(p.failures, 10), this.timings.backoff, this.random))
    }
  }

  /** The connection is up (we dialed, or it dialed us): first round of reconciliation. */
  private up (p: Peer): void {
    if (this.stopped || p.connected || p.dropped) return
    if (!p.verified) { void this.verify(p); return }
    p.connected = true
    p.connectedAt = Date.now()
    p.failures = 0
    p.lastError = null
    if (p.dialTimer != null) clearTimeout(p.dialTimer)
    p.dialTimer = undefined
    p.nextAttemptAt = null
    log('connected to peer relay %s', p.peerId)
    this.emit('change')
    if (this.node.peerId.toString() < p.peerId) {
      for (const spaceId of this.store.spaces()) this.enqueue(p, spaceId, null)
      return
    }
    const since = p.connectedAt
    p.deferTimer = setTimeout(() => {
      p.deferTimer = undefined
      if (!p.connected) return
      for (const spaceId of this.store.spaces()) this.enqueue(p, spaceId, since)
    }, this.timings.connectDeferMs)
    p.deferTimer.unref()
  }

  /** A discovered relay, connected: it is used once identify shows a relay, else dropped. */
  private async verify (p: Peer): Promise<void> {
    if (p.verifying) return
    p.verifying = true
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(VERIFY_TIMEOUT_MS)])
    const ok = await this.discovery.verify(p.id, signal).catch(() => false)
    p.verifying = false
    if (this.stopped || p.dropped) return
    if (!ok) { this.drop(p, 'not a spaceway relay (identify lists no relay hop and sync protocols)'); return }
    p.verified = true
    if (this.node.getConnections(p.id).length > 0) this.up(p)
    else this.scheduleDial(p, 0)
  }

  private down (p: Peer): void {
    if (!p.connected) return
    p.connected = false
    p.queue.clear()
    p.later.clear()
    for (const t of [p.laterTimer, p.deferTimer]) if (t != null) clearTimeout(t)
    p.laterTimer = undefined
    p.deferTimer = undefined
    log('peer relay %s went away; redialing', p.peerId)
    this.emit('change')
    this.scheduleDial(p, nextDelay(0, this.timings.backoff, this.random))
  }

  private later (p: Peer, spaceId: string): void {
    if (this.stopped) return
    p.later.add(spaceId)
    if (p.laterTimer != null) return
    p.laterTimer = setTimeout(() => {
      p.laterTimer = undefined
      const spaces = [...p.later]
      p.later.clear()
      for (const s of spaces) this.enqueue(p, s, null)
    }, this.timings.spreadDelayMs)
    p.laterTimer.unref()
  }

  private scheduleTick (): void {
    if (this.stopped) return
    const base = this.timings.intervalMs
    const delay = Math.round(base * (0.8 + 0.4 * this.random()))
    this.tickTimer = setTimeout(() => { this.tick(); this.scheduleTick() }, delay)
    this.tickTimer.unref()
  }

  /** Anti-entropy: every space with every connected peer relay (unless reconciled lately). */
  private tick (): void {
    const since = Date.now() - this.timings.intervalMs / 2
    for (const p of this.peers.values()) {
      if (!p.connected) continue
      for (const spaceId of this.store.spaces()) this.enqueue(p, spaceId, since)
    }
  }

  private enqueue (p: Peer, spaceId: string, since: number | null): void {
    if (this.stopped || !p.connected) return
    if (p.discovered && !this.discovery.mayShare(p.peerId, spaceId)) return
    const had = p.queue.get(spaceId)
    // "run anyway" (null) wins over "skip if recent"; two times: the earlier skips less
    p.queue.set(spaceId, had === undefined ? since : had === null || since === null ? null : Math.min(had, since))
    this.pump(p)
  }

  private pump (p: Peer): void {
    while (!this.stopped && p.connected && p.running < this.timings.concurrency && p.queue.size > 0) {
      const [spaceId, since] = p.queue.entries().next().value as [string, number | null]
      p.queue.delete(spaceId)
      p.running++
      void this.reconcile(p, spaceId, since).finally(() => {
        p.running--
        this.pump(p)
      })
    }
  }

  private async reconcile (p: Peer, spaceId: string, since: number | null): Promise<void> {
    const before = this.store.opCount(spaceId)
    if (before == null) return
    const key = `${p.peerId}/${spaceId}`
    if (since != null && (this.sync.openedBySince(p.peerId, spaceId, since) || (this.lastOut.get(key) ?? 0) >= since)) return
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timings.sessionTimeoutMs)])
    try {
      const stats = await this.sync.syncWith(p.peerId, spaceId, { signal })
      p.sessions++
      p.failedInRow = 0
      p.lastSyncAt = Date.now()
      this.lastOut.set(key, p.lastSyncAt)
      // the space grew: the peer may have more than one session could bring (its budget for us)
      if (stats.opsReceived > 0 && (this.store.opCount(spaceId) ?? 0) > before) this.later(p, spaceId)
    } catch (err) {
      if (this.stopped) return
      p.failedSessions++
      p.failedInRow++
      log('sync of %s with peer relay %s failed: %s', spaceId, p.peerId, (err as Error).message)
      if (p.discovered && p.failedInRow >= MAX_DISCOVERED_FAILURES) this.drop(p, `${p.failedInRow} sync sessions failed in a row (last: ${(err as Error).message})`)
    }
  }
}
