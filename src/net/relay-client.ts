/**
 * The client side of relays: keeps a connection to each configured relay (in the background, never
 * blocking the prompt), reconnecting with backoff when it goes away, and reports reservations (our
 * circuit addresses through it). `onConnected` runs on every (re)connection: the App syncs every
 * space with the relay there, which makes the relay hold them.
 *
 * Besides the configured relays (`--relay`), relays learned from members are added and removed at
 * run time (`add`/`remove`, net/relay-learning.ts). Such a relay is used (onConnected, isRelay) only
 * once connected and proven a spaceway relay (relay-check.ts speaksRelay); one that is not, or that
 * fails MAX_LEARNED_FAILURES dials in a row, is removed and reported (`dropped`).
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { nextDelay } from '../dht/backoff.js'
import type { SpacewayNode } from './node.js'
import { speaksRelay } from './relay-check.js'

const log = logger('spaceway:relay-client')

/** Where the client looks for a relay when none is configured (tried quietly). */
export const DEFAULT_RELAY = '/ip4/127.0.0.1/tcp/9000'

/** How we know a relay: `--relay`, or a fellow member using it (clients do not look relays up in the DHT). */
export type RelaySource = 'configured' | 'member'

/** Dials failed in a row after which a learned relay is removed (it may be learned again later). */
export const MAX_LEARNED_FAILURES = 3

/** How long a learned relay has to prove it is one once connected (identify), ms. */
export const LEARNED_CHECK_MS = 5000

/** Learned relays held at once, at most (the caller's own bound is lower: learned-relays.ts). */
export const MAX_LEARNED = 16

/** What `network` shows per relay. Times in ms since the epoch. */
export interface RelayState {
  addr: string
  /** How we know it (docs/cli-json.md). */
  source: RelaySource
  /** Connected and, for a learned relay, proven a relay (configured ones are taken on trust). */
  verified: boolean
  peerId: string | null
  connected: boolean
  /** Our circuit addresses through this relay (non-empty = reservation held). */
  circuitAddrs: string[]
  reservation: boolean
  failures: number
  nextAttemptAt: number | null
  lastError: string | null
  /** Last completed sync with this relay, per space id. */
  lastSync: Record<string, number>
  /** Spaces the relay refused to hold (it is full, or we brought it our share), with when, ms. */
  refused: Record<string, number>
}

const BACKOFF = { intervalMs: 1000, capMs: 60_000, jitter: 0.2 }

/** `change`: anything `list()` shows; `dropped`: a learned relay was removed (`notRelay`: it is not one). */
export class RelayClient extends EventEmitter<{ change: [], dropped: [peerId: string, notRelay: boolean] }> {
  private readonly states: RelayState[]
  private started = false
  private readonly timers = new Map<RelayState, NodeJS.Timeout>()
  private stopped = false
  private readonly onDisconnect = (evt: CustomEvent<{ toString: () => string }>): void => {
    const peer = evt.detail.toString()
    for (const s of this.states) {
      if (s.peerId === peer && s.connected) {
        s.connected = false
        log('relay %s went away; reconnecting', peer)
        this.emit('change')
        this.schedule(s, nextDelay(0, BACKOFF))
      }
    }
  }

  private readonly onAddrs = (): void => { this.emit('change') }

  constructor (private readonly node: SpacewayNode, relays: string[], private readonly onConnected: (peerId: string, addr: string) => void) {
    super()
    this.states = relays.map(addr => RelayClient.state(addr, 'configured', null))
  }

  private static state (addr: string, source: RelaySource, peerId: string | null): RelayState {
    return { addr, source, verified: false, peerId, connected: false, circuitAddrs: [], reservation: false, failures: 0, nextAttemptAt: null, lastError: null, lastSync: {}, refused: {} }
  }

  /**
   * Adds a learned relay at `addr` (with /p2p/`peerId`; checked by the caller). False when it is
   * known already (same PeerId or address) or MAX_LEARNED learned ones are held.
   */
  add (addr: string, peerId: string, source: Exclude<RelaySource, 'configured'> = 'member'): boolean {
    if (this.stopped || this.states.some(s => s.peerId === peerId || s.addr === addr)) return false
    if (this.states.filter(s => s.source !== 'configured').length >= MAX_LEARNED) return false
    const s = RelayClient.state(addr, source, peerId)
    this.states.push(s)
    log('using relay %s (learned: %s)', addr, source)
    if (this.started) this.schedule(s, 0)
    this.emit('change')
    return true
  }

  /** Removes the learned relay `peerId` (configured ones stay). The connection is left alone. */
  remove (peerId: string): void {
    const i = this.states.findIndex(s => s.peerId === peerId && s.source !== 'configured')
    if (i < 0) return
    const [s] = this.states.splice(i, 1)
    const t = this.timers.get(s)
    if (t != null) clearTimeout(t)
    this.timers.delete(s)
    this.emit('change')
  }

  /** How we know relay `peerId`, or null if it is not one of ours (or not proven yet). */
  sourceOf (peerId: string): RelaySource | null {
    return this.states.find(s => s.peerId === peerId && (s.source === 'configured' || s.verified))?.source ?? null
  }

  /** Starts connecting to every relay. */
  start (): void {
    this.started = true
    this.node.addEventListener('peer:disconnect', this.onDisconnect as never)
    this.node.addEventListener('self:peer:update', this.onAddrs)
    for (const s of this.states) this.schedule(s, 0)
  }

  stop (): void {
    this.stopped = true
    this.node.removeEventListener('peer:disconnect', this.onDisconnect as never)
    this.node.removeEventListener('self:peer:update', this.onAddrs)
    for (const t of this.timers.values()) clearTimeout(t)
  }

  /** True if `peerId` is one of our relays (a learned one once proven a relay). */
  isRelay (peerId: string): boolean {
    return this.sourceOf(peerId) != null
  }

  /** PeerIds of the relays connected now. */
  connectedRelays (): string[] {
    return this.states.filter(s => s.connected && s.peerId != null).map(s => s.peerId as string)
  }

  /**
   * Resolves once every relay has been tried at least once (connected, or failed once), or when
   * `signal` aborts. Never rejects. (`join` right after start-up waits on this, so it asks the relay.)
   */
  async settled (signal: AbortSignal): Promise<void> {
    const done = (): boolean => signal.aborted || this.states.every(s => s.connected || s.failures > 0 || s.source !== 'configured')
    if (done()) return
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (!done()) return
        this.off('change', check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      this.on('change', check)
      signal.addEventListener('abort', check)
    })
  }

  /**
   * Notes a completed sync of `spaceId` with relay `peerId`; `held` false when the relay answered
   * that it does not hold the space (it refused it). Returns true when that is news (a refusal of a
   * space it held, or had not refused before).
   */
  synced (peerId: string, spaceId: string, held = true): boolean {
    let news = false
    for (const s of this.states) {
      if (s.peerId !== peerId) continue
      if (held) {
        s.lastSync[spaceId] = Date.now()
        delete s.refused[spaceId]
      } else {
        news ||= s.refused[spaceId] == null
        s.refused[spaceId] = Date.now()
        delete s.lastSync[spaceId]
      }
    }
    if (news) this.emit('change')
    return news
  }

  /** State of every relay, with current circuit addresses. */
  list (): RelayState[] {
    const mine = this.node.getMultiaddrs().map(a => a.toString())
    return this.states.map(s => {
      const circuitAddrs = s.peerId == null ? [] : mine.filter(a => a.includes(`/p2p/${s.peerId}/p2p-circuit`))
      return { ...s, circuitAddrs, reservation: circuitAddrs.length > 0, lastSync: { ...s.lastSync }, refused: { ...s.refused } }
    })
  }

  private schedule (s: RelayState, delay: number): void {
    if (this.stopped) return
    const old = this.timers.get(s)
    if (old != null) clearTimeout(old)
    s.nextAttemptAt = Date.now() + delay
    const t = setTimeout(() => { void this.connect(s) }, delay)
    t.unref()
    this.timers.set(s, t)
  }

  /**
   * Makes a reservation on the relay by listening on its circuit address (unless we hold one).
   * Failure is logged and shown in `network` (reservation: no); the connection stays useful.
   */
  private async reserve (s: RelayState, remoteAddr: string): Promise<void> {
    if (this.list().find(r => r.peerId === s.peerId)?.reservation === true) return
    const base = remoteAddr.split('/p2p/')[0]
    try {
      await (this.node as unknown as { components: { transportManager: { listen: (addrs: Multiaddr[]) => Promise<void> } } })
        .components.transportManager.listen([multiaddr(`${base}/p2p/${s.peerId as string}/p2p-circuit`)])
      log('reservation on relay %s', s.addr)
    } catch (err) {
      s.lastError = `reservation failed: ${(err as Error).message}`
      log('reservation on relay %s failed: %s', s.addr, (err as Error).message)
    }
    this.emit('change')
  }

  private async connect (s: RelayState): Promise<void> {
    s.nextAttemptAt = null
    try {
      const conn = await this.node.dial(multiaddr(s.addr), { signal: AbortSignal.timeout(10_000) })
      if (this.stopped || !this.states.includes(s)) return
      if (s.source !== 'configured' && !s.verified) {
        // a learned relay is used only once it proves it is one (anyone can name any peer)
        if (!await speaksRelay(this.node, conn.remotePeer, AbortSignal.timeout(LEARNED_CHECK_MS))) {
          this.drop(s, true, 'not a spaceway relay (identify lists no relay hop and sync protocols)')
          return
        }
        if (this.stopped || !this.states.includes(s)) return
      }
      s.verified = true
      s.peerId = conn.remotePeer.toString()
      s.connected = true
      // a configured relay that a member also named: one state for it, the configured one
      if (s.source === 'configured') this.remove(s.peerId)
      s.failures = 0
      s.lastError = null
      log('connected to relay %s', s.addr)
      this.emit('change')
      this.onConnected(s.peerId, s.addr)
      await this.reserve(s, conn.remoteAddr.toString())
    } catch (err) {
      if (this.stopped || !this.states.includes(s)) return
      s.failures++
      s.lastError = (err as Error).message
      log('relay %s not reachable (attempt %d): %s', s.addr, s.failures, s.lastError)
      if (s.source !== 'configured' && s.failures >= MAX_LEARNED_FAILURES && !s.connected) {
        this.drop(s, false, `unreachable: ${s.lastError}`)
        return
      }
      this.emit('change')
      this.schedule(s, nextDelay(Math.min(s.failures, 10), BACKOFF))
    }
  }

  private drop (s: RelayState, notRelay: boolean, why: string): void {
    log('dropped learned relay %s: %s', s.addr, why)
    const peerId = s.peerId
    this.remove(peerId as string)
    if (peerId != null) this.emit('dropped', peerId, notRelay)
  }
}
