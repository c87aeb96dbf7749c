/**
 * Holds back ops whose causal dependencies have not arrived yet, and releases them, in causal order,
 * once every dependency is applied. Bounded three ways, so no peer can fill it with junk:
 * - at most `maxOps` held in all (past it the oldest held op is evicted and counted);
 * - at most `maxPerSource` held for any one peer (past it the op is refused);
 * - a held op expires after `maxAgeMs` (`expire`); sync fetches it again when its deps can arrive.
 * What the replica admits here at all is decided before (signature, author a member or the op a
 * membership op): see `Replica.ingest`.
 */
import type { Op } from './op.js'

/** Defaults of the holdback's bounds. */
export const HOLDBACK_DEFAULTS = {
  /** Most ops held in all. */
  maxOps: 10_000,
  /** Most ops held that came from one peer. */
  maxPerSource: 2_000,
  /** How long an op may wait for its deps, ms. */
  maxAgeMs: 120_000
}

interface Entry { op: Op, missing: Set<string>, source: string, at: number }

export class Holdback {
  private readonly held = new Map<string, Entry>()
  private readonly waiters = new Map<string, Set<string>>()
  private readonly perSource = new Map<string, number>()
  private readonly limits: typeof HOLDBACK_DEFAULTS
  /** Ops evicted because the buffer was full. */
  evicted = 0
  /** Ops refused because their peer had its share held already. */
  refused = 0
  /** Ops dropped because their deps did not arrive in time. */
  expired = 0

  constructor (limits: Partial<typeof HOLDBACK_DEFAULTS> = {}) {
    this.limits = { ...HOLDBACK_DEFAULTS, ...limits }
  }

  /** Number of ops held. */
  get size (): number {
    return this.held.size
  }

  /** True if `id` is held. */
  has (id: string): boolean {
    return this.held.has(id)
  }

  /** Ids of deps that held ops of `spaceId` wait for and that are not themselves held. */
  missingFor (spaceId: string): string[] {
    const out = new Set<string>()
    for (const { op, missing } of this.held.values()) {
      if (op.spaceId !== spaceId) continue
      for (const m of missing) if (!this.held.has(m)) out.add(m)
    }
    return [...out]
  }

  /**
   * Holds `op`, which waits for the ids in `missing` (non-empty), received from `source` (a PeerId,
   * or '' for local) at `now` (ms). Returns `{ evicted }`, the op evicted to make room if any, or
   * `{ refused: true }` when `source` has its share of the buffer held already.
   */
  hold (op: Op, missing: string[], source = '', now = Date.now()): { evicted?: Op, refused?: boolean } {
    if (this.held.has(op.id)) return {}
    const mine = this.perSource.get(source) ?? 0
    if (source !== '' && mine >= this.limits.maxPerSource) {
      this.refused++
      return { refused: true }
    }
    let evicted: Op | undefined
    if (this.held.size >= this.limits.maxOps) {
      const oldest = this.held.keys().next().value as string
      evicted = this.remove(oldest)
      this.evicted++
    }
    this.held.set(op.id, { op, missing: new Set(missing), source, at: now })
    this.perSource.set(source, mine + 1)
    for (const m of missing) {
      let set = this.waiters.get(m)
      if (set == null) { set = new Set(); this.waiters.set(m, set) }
      set.add(op.id)
    }
    return { evicted }
  }

  /** Drops held ops older than `maxAgeMs` at `now` (ms); returns them. */
  expire (now = Date.now()): Op[] {
    const out: Op[] = []
    for (const [id, e] of this.held) {
      // Map order is insertion order: the first young entry ends the scan.
      if (now - e.at < this.limits.maxAgeMs) break
      out.push(this.remove(id) as Op)
    }
    this.expired += out.length
    return out
  }

  /**
   * Records that `id` was applied; returns the held ops that no longer miss anything (in the order
   * they became ready). The caller applies them and calls `applied` for each in turn.
   */
  applied (id: string): Op[] {
    const ready: Op[] = []
    const waiting = this.waiters.get(id)
    if (waiting == null) return ready
    this.waiters.delete(id)
    for (const heldId of waiting) {
      const entry = this.held.get(heldId)
      if (entry == null) continue
      entry.missing.delete(id)
      if (entry.missing.size === 0) {
        this.forget(heldId, entry)
        ready.push(entry.op)
      }
    }
    return ready
  }

  private forget (id: string, entry: Entry): void {
    this.held.delete(id)
    const n = (this.perSource.get(entry.source) ?? 1) - 1
    if (n <= 0) this.perSource.delete(entry.source)
    else this.perSource.set(entry.source, n)
  }

  private remove (id: string): Op | undefined {
    const entry = this.held.get(id)
    if (entry == null) return undefined
    this.forget(id, entry)
    for (const m of entry.missing) {
      const set = this.waiters.get(m)
      set?.delete(id)
      if (set?.size === 0) this.waiters.delete(m)
    }
    return entry.op
  }
}
