/**
 * Token buckets per peer (the relay's limits: live op rate, bytes stored): `ratePerS` tokens a
 * second, at most `burst`, one bucket per peer (at most 10,000 peers tracked, oldest forgotten).
 */
import { BoundedMap } from '../src/core/bounded.js'
import { TokenBucket } from '../src/net/peer-guard.js'

export class PeerBuckets {
  private readonly buckets = new BoundedMap<string, TokenBucket>(10_000)

  constructor (private readonly ratePerS: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  /** Takes `n` tokens (default 1) for `peer`; false (and nothing taken) when the peer is over its rate. */
  take (peer: string, n = 1): boolean {
    let b = this.buckets.get(peer)
    if (b == null) { b = new TokenBucket(this.ratePerS, this.burst, this.now()); this.buckets.set(peer, b) }
    const got = b.take(n, this.now())
    if (got === n) return true
    b.refund(got)
    return false
  }
}
