/**
 * Relays learned from members (docs/PROTOCOL.md "Relays"): what fellow members said they use
 * (net/relay-exchange.ts), bounded, ranked and kept in LevelDB (sublevel `relays`) so it survives
 * restarts. Pure bookkeeping: nothing here dials. The client dials what `chosen()` returns and
 * drops (`reject`) what turns out not to be a relay (net/relay-client.ts).
 *
 * Bounds, against a hostile member: a member's report counts at most `perMember` entries (the first
 * ones; the rest are not even parsed) and replaces its previous report; an address must pass the
 * address rule (relay-check.ts acceptRelayAddr); at most `candidates` relays are remembered (the
 * lowest ranked are forgotten first) with at most `reportersPerRelay` reporters each; `chosen()`
 * gives at most `inUse`, preferring relays reported by more members, then the most recently
 * reported. A report expires `ttlMs` after it was made; a relay rejected (not a relay, unreachable)
 * is refused for the time given.
 */
import { BoundedMap } from '../core/bounded.js'
import type { Sub } from '../store/op-store.js'
import { acceptRelayAddr } from './relay-check.js'

/** What is kept per learned relay. `reporters`: user id -> when it last reported it, ms since the epoch. */
export interface LearnedRelayRecord {
  peerId: string
  addr: string
  reporters: Record<string, number>
  firstSeen: number
}

/** Bounds of learned relays (counts; times in ms). */
export interface LearnedLimits {
  /** Entries of one member's report looked at. */
  perMember: number
  /** Relays dialed at once (chosen()). */
  inUse: number
  /** Relays remembered. */
  candidates: number
  /** Reporters kept per relay. */
  reportersPerRelay: number
  /** A report is forgotten this long after it was made. */
  ttlMs: number
}

export const LEARNED_LIMITS: LearnedLimits = { perMember: 4, inUse: 8, candidates: 64, reportersPerRelay: 16, ttlMs: 7 * 24 * 3_600_000 }

export interface LearnedOptions {
  /** We run on loopback: only loopback relays are taken (else no loopback ones); see acceptRelayAddr. */
  loopback: boolean
  /** Relays not to learn (ours already: configured, our own PeerId). */
  exclude: (peerId: string) => boolean
  limits?: Partial<LearnedLimits>
  now?: () => number
}

export class LearnedRelays {
  private readonly relays = new Map<string, LearnedRelayRecord>()
  private readonly rejected = new BoundedMap<string, number>(1000)
  private readonly limits: LearnedLimits
  private readonly now: () => number

  /** @param db where records are kept (null: memory only) */
  constructor (private readonly db: Sub<LearnedRelayRecord> | null, private readonly options: LearnedOptions) {
    this.limits = { ...LEARNED_LIMITS, ...options.limits }
    this.now = options.now ?? Date.now
  }

  /** Loads the saved records, dropping expired reports and records that no longer pass the rules. */
  async load (): Promise<void> {
    if (this.db == null) return
    const stale: string[] = []
    for await (const [k, v] of this.db.iterator({})) {
      const ok = v != null && typeof v === 'object' && acceptRelayAddr(v.addr, this.options.loopback)?.peerId === k
      if (ok && this.relays.size < this.limits.candidates) {
        this.relays.set(k, { peerId: k, addr: v.addr, reporters: { ...v.reporters }, firstSeen: v.firstSeen })
        this.prune(k)
      }
      if (!this.relays.has(k)) stale.push(k)
    }
    for (const k of stale) await this.db.del(k)
  }

  /** Relays remembered now. */
  get size (): number {
    return this.relays.size
  }

  /**
   * `member` (a user id) says it uses the relays `addrs` (anything a peer sent). Replaces its
   * previous report. Returns how many of its entries were taken.
   */
  async report (member: string, addrs: unknown): Promise<number> {
    const now = this.now()
    const list = Array.isArray(addrs) ? addrs.slice(0, this.limits.perMember) : []
    const taken = new Map<string, string>()
    for (const text of list) {
      const a = acceptRelayAddr(text, this.options.loopback)
      if (a == null || this.options.exclude(a.peerId) || (this.rejected.get(a.peerId) ?? 0) > now) continue
      if (!taken.has(a.peerId)) taken.set(a.peerId, a.addr.toString())
    }
    const changed = new Set<string>()
    // the member's earlier report no longer counts for relays it no longer names
    for (const r of this.relays.values()) {
      if (r.reporters[member] != null && !taken.has(r.peerId)) { delete r.reporters[member]; changed.add(r.peerId) }
    }
    for (const [peerId, addr] of taken) {
      const r = this.relays.get(peerId) ?? { peerId, addr, reporters: {}, firstSeen: now }
      // the address most recently reported wins (a relay that moved)
      r.addr = addr
      r.reporters[member] = now
      const reporters = Object.entries(r.reporters).sort((x, y) => y[1] - x[1]).slice(0, this.limits.reportersPerRelay)
      r.reporters = Object.fromEntries(reporters)
      this.relays.set(peerId, r)
      changed.add(peerId)
    }
    // past the bound: forget the lowest ranked (fewest reporters, then the least recently reported)
    while (this.relays.size > this.limits.candidates) {
      const worst = this.ranked().at(-1) as LearnedRelayRecord
      this.relays.delete(worst.peerId)
      changed.add(worst.peerId)
    }
    for (const peerId of changed) this.prune(peerId)
    await this.persist(changed)
    return taken.size
  }

  /**
   * The relays to use: at most `inUse`, most reporters first, then the most recently reported
   * (none that `exclude` names now, e.g. a configured relay a member also uses).
   */
  chosen (): LearnedRelayRecord[] {
    for (const peerId of [...this.relays.keys()]) this.prune(peerId)
    return this.ranked().filter(r => !this.options.exclude(r.peerId)).slice(0, this.limits.inUse).map(r => ({ ...r, reporters: { ...r.reporters } }))
  }

  /** Every remembered relay, ranked. */
  list (): LearnedRelayRecord[] {
    return this.ranked().map(r => ({ ...r, reporters: { ...r.reporters } }))
  }

  /** User ids that reported `peerId` (unexpired). */
  reportersOf (peerId: string): string[] {
    const r = this.relays.get(peerId)
    if (r == null) return []
    const since = this.now() - this.limits.ttlMs
    return Object.entries(r.reporters).filter(([, t]) => t > since).map(([u]) => u)
  }

  /** `peerId` is not (or not now) a usable relay: forgotten, and refused for `forMs`. */
  async reject (peerId: string, forMs: number): Promise<void> {
    this.rejected.set(peerId, this.now() + forMs)
    if (!this.relays.delete(peerId)) return
    await this.persist(new Set([peerId]))
  }

  private ranked (): LearnedRelayRecord[] {
    const newest = (r: LearnedRelayRecord): number => Math.max(0, ...Object.values(r.reporters))
    return [...this.relays.values()].sort((a, b) =>
      (Object.keys(b.reporters).length - Object.keys(a.reporters).length) || (newest(b) - newest(a)) || (a.peerId < b.peerId ? -1 : 1))
  }

  /** Drops expired reports of `peerId`, and the relay when none is left. True if it was dropped. */
  private prune (peerId: string): boolean {
    const r = this.relays.get(peerId)
    if (r == null) return true
    const since = this.now() - this.limits.ttlMs
    for (const [u, t] of Object.entries(r.reporters)) if (t <= since) delete r.reporters[u]
    if (Object.keys(r.reporters).length > 0) return false
    this.relays.delete(peerId)
    return true
  }

  private async persist (peerIds: Set<string>): Promise<void> {
    if (this.db == null) return
    for (const peerId of peerIds) {
      const r = this.relays.get(peerId)
      if (r == null) await this.db.del(peerId)
      else await this.db.put(peerId, r)
    }
  }
}
