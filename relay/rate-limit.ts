/**
 * Token bucket per peer (the relay's op-rate limit): `ratePerS` tokens a second, at most `burst`.
 */
export class PeerRateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly ratePerS: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  /** Takes one token for `peer`; false when the peer is over its rate. */
  take (peer: string): boolean {
    const t = this.now()
    const b = this.buckets.get(peer) ?? { tokens: this.burst, at: t }
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) / 1000 * this.ratePerS)
    b.at = t
    this.buckets.set(peer, b)
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }
}
