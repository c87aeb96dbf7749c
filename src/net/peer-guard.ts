/**
 * Budgets for the work a peer can make us do, and penalties for peers that send invalid data: the
 * resource-manager idea of libp2p (limits per peer and overall) applied to ops, plus GossipSub v1.1's
 * application-specific score (Vyzovitis et al., "GossipSub: Attack-Resilient Message Propagation in
 * the Filecoin and ETH2.0 Networks", 2020, section 5.2: P5), so a peer we penalize is graylisted by
 * GossipSub (its RPCs are dropped before any validation) and then disconnected and refused for a
 * while.
 *
 * - `takeOps`: new ops that need a signature check, from gossip and sync alike, per peer and in
 *   all (token buckets: `opsPerSecond` with a burst of `opsBurst`).
 * - `invalid`: an op that failed validation for a reason every replica would agree on. Over
 *   `invalidLimit` of them within `invalidWindowMs` and the peer is *misbehaving*: the event fires
 *   once, and the peer stays blocked for `blockMs`.
 */
import { EventEmitter } from 'node:events'
import { BoundedMap } from '../core/bounded.js'

export const GUARD_DEFAULTS = {
  /**
   * New ops accepted for checking per peer per second, and the burst. 8,000/s is about what one
   * core verifies (Ed25519, ~0.075 ms/op here), so a catch-up of 100,000 ops from one peer takes
   * ~12 s (issue 12: <= 15 s).
   */
  opsPerSecond: 8_000,
  opsBurst: 20_000,
  /** The same over all peers together. */
  totalOpsPerSecond: 16_000,
  totalOpsBurst: 100_000,
  /** Invalid ops a peer may send within `invalidWindowMs` before it is blocked. */
  invalidLimit: 20,
  invalidWindowMs: 60_000,
  /** How long a misbehaving peer stays blocked, ms. */
  blockMs: 10 * 60_000,
  /** Most peers tracked at once (oldest forgotten first). */
  maxPeers: 20_000
}
export type GuardLimits = typeof GUARD_DEFAULTS

/** How often a paced take (`takeOpsPaced`) looks at the budget again, ms. */
export const PACE_STEP_MS = 50

/** A token bucket: `rate` tokens per second up to `burst`. */
export class TokenBucket {
  private tokens: number
  private at: number
  constructor (private readonly rate: number, private readonly burst: number, now = Date.now()) {
    this.tokens = burst
    this.at = now
  }

  /** Takes up to `n` tokens; returns how many were available (0..n). */
  take (n: number, now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) / 1000 * this.rate)
    this.at = now
    const got = Math.max(0, Math.min(n, Math.floor(this.tokens)))
    this.tokens -= got
    return got
  }

  /** Gives back `n` tokens taken but not used. */
  refund (n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + n)
  }
}

interface PeerState { bucket: TokenBucket, invalid: number[], blockedUntil: number }

export interface GuardEvents {
  /** `peer` went over its invalid-op limit; it is blocked until `until` (ms since the epoch). */
  misbehaving: [peer: string, reason: string, until: number]
}

export class PeerGuard extends EventEmitter<GuardEvents> {
  readonly limits: GuardLimits
  private readonly peers: BoundedMap<string, PeerState>
  private readonly total: TokenBucket
  /** Counters for `network` and metrics. */
  readonly stats = { opsRefused: 0, invalid: 0, timesBlocked: 0 }

  constructor (limits: Partial<GuardLimits> = {}, private readonly now: () => number = Date.now) {
    super()
    this.limits = { ...GUARD_DEFAULTS, ...limits }
    this.peers = new BoundedMap(this.limits.maxPeers)
    this.total = new TokenBucket(this.limits.totalOpsPerSecond, this.limits.totalOpsBurst, now())
  }

  private state (peer: string): PeerState {
    let s = this.peers.get(peer)
    if (s == null) {
      s = { bucket: new TokenBucket(this.limits.opsPerSecond, this.limits.opsBurst, this.now()), invalid: [], blockedUntil: 0 }
      this.peers.set(peer, s)
    }
    return s
  }

  /**
   * Asks to check `n` new ops from `peer`; returns how many may be checked now (0..n). A blocked
   * peer gets 0. The rest should be ignored (not forwarded, not remembered): sync brings them later.
   */
  takeOps (peer: string, n: number): number {
    if (n === 0) return 0
    const now = this.now()
    const s = this.state(peer)
    if (s.blockedUntil > now) { this.stats.opsRefused += n; return 0 }
    const mine = s.bucket.take(n, now)
    const got = this.total.take(mine, now)
    if (got < mine) s.bucket.refund(mine - got)
    this.stats.opsRefused += n - got
    return got
  }

  /**
   * Like `takeOps`, but for a flow-controlled stream (sync): waits for the budget to refill instead
   * of refusing at once, in steps of PACE_STEP_MS, for at most `maxWaitMs`; whatever is still over
   * budget then is refused. Meanwhile the caller reads no more, so the sender waits too.
   */
  async takeOpsPaced (peer: string, n: number, maxWaitMs: number): Promise<number> {
    const end = this.now() + maxWaitMs
    let got = 0
    for (;;) {
      const s = this.state(peer)
      const now = this.now()
      if (s.blockedUntil > now) break
      const mine = s.bucket.take(n - got, now)
      const total = this.total.take(mine, now)
      if (total < mine) s.bucket.refund(mine - total)
      got += total
      if (got >= n || now >= end) break
      await new Promise(resolve => setTimeout(resolve, PACE_STEP_MS))
    }
    this.stats.opsRefused += n - got
    return got
  }

  /** Records an invalid op from `peer` (`reason`: the rejection reason); may block the peer. */
  invalid (peer: string, reason: string): void {
    const now = this.now()
    const s = this.state(peer)
    this.stats.invalid++
    s.invalid.push(now)
    while (s.invalid.length > 0 && now - s.invalid[0] > this.limits.invalidWindowMs) s.invalid.shift()
    if (s.invalid.length > this.limits.invalidLimit && s.blockedUntil <= now) {
      s.blockedUntil = now + this.limits.blockMs
      s.invalid = []
      this.stats.timesBlocked++
      this.emit('misbehaving', peer, reason, s.blockedUntil)
    }
  }

  /** True while `peer` is blocked. */
  isBlocked (peer: string): boolean {
    return (this.peers.get(peer)?.blockedUntil ?? 0) > this.now()
  }

  /**
   * GossipSub application-specific score of `peer` (P5): 0 for a well-behaved peer, -10 per recent
   * invalid op, and -1000 while blocked (below the graylist threshold, -80 by default).
   */
  score (peer: string): number {
    const s = this.peers.get(peer)
    if (s == null) return 0
    if (s.blockedUntil > this.now()) return -1000
    return -10 * s.invalid.length
  }

  /** Peers blocked now. */
  blockedPeers (): string[] {
    const now = this.now()
    return [...this.peers.keys()].filter(p => (this.peers.get(p)?.blockedUntil ?? 0) > now)
  }
}
