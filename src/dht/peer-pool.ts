/**
 * The peer pool: known-good peers saved in LevelDB (sublevel `peers`) with their listen addresses and
 * a quality score, so that start-up and every bootstrap dial the best peers first.
 *
 * Score (0..1): 0.7 x success ratio (successes + 1) / (successes + failures + 2) (Laplace's rule of
 * succession, so a new peer starts at 0.5) + 0.3 x recency 1 / (1 + hours since last seen).
 * Ties are broken by lower RTT.
 */
import type { Sub } from '../store/op-store.js'

/** What is kept per peer. Times in ms since the epoch; `rttMs` the last measured round trip. */
export interface PeerRecord {
  peerId: string
  addrs: string[]
  successes: number
  failures: number
  lastSeen: number
  rttMs: number | null
}

/** Most peers kept; past it the lowest-scored are dropped. */
export const POOL_MAX = 200

/** Quality score of a record at time `now` (ms). */
export function score (r: PeerRecord, now: number): number {
  const ratio = (r.successes + 1) / (r.successes + r.failures + 2)
  const hours = Math.max(0, now - r.lastSeen) / 3_600_000
  return 0.7 * ratio + 0.3 / (1 + hours)
}

export class PeerPool {
  private readonly peers = new Map<string, PeerRecord>()

  constructor (private readonly db: Sub<PeerRecord>, private readonly now: () => number = Date.now) {}

  /** Loads the saved pool. */
  async load (): Promise<void> {
    for await (const [k, v] of this.db.iterator({})) this.peers.set(k, v)
  }

  /** Number of peers in the pool. */
  get size (): number {
    return this.peers.size
  }

  /** Peers best first (at most `limit`). */
  best (limit = POOL_MAX): PeerRecord[] {
    const now = this.now()
    return [...this.peers.values()]
      .sort((a, b) => (score(b, now) - score(a, now)) || ((a.rttMs ?? Infinity) - (b.rttMs ?? Infinity)))
      .slice(0, limit)
  }

  /** A peer answered (identify completed): remember its listen addresses. */
  async succeeded (peerId: string, addrs: string[], rttMs?: number): Promise<void> {
    const r = this.peers.get(peerId) ?? { peerId, addrs: [], successes: 0, failures: 0, lastSeen: 0, rttMs: null }
    r.successes++
    r.lastSeen = this.now()
    if (addrs.length > 0) r.addrs = addrs.slice(0, 10)
    if (rttMs != null) r.rttMs = rttMs
    await this.save(r)
  }

  /** A dial of a pooled peer failed. Unknown peers are not added. */
  async failed (peerId: string): Promise<void> {
    const r = this.peers.get(peerId)
    if (r == null) return
    r.failures++
    await this.save(r)
  }

  /** Records a round-trip time for a pooled peer (ms). */
  async rtt (peerId: string, rttMs: number): Promise<void> {
    const r = this.peers.get(peerId)
    if (r == null) return
    r.rttMs = rttMs
    await this.save(r)
  }

  private async save (r: PeerRecord): Promise<void> {
    this.peers.set(r.peerId, r)
    await this.db.put(r.peerId, r)
    if (this.peers.size > POOL_MAX) {
      const worst = this.best().at(-1)
      if (worst != null) {
        this.peers.delete(worst.peerId)
        await this.db.del(worst.peerId)
      }
    }
  }
}
