/**
 * Holds back ops whose causal dependencies have not arrived yet, and releases them, in causal order,
 * once every dependency is applied. Bounded: past `maxOps` the oldest held op is evicted (and counted;
 * the caller logs it, and anti-entropy sync fetches it again later).
 */
import type { Op } from './op.js'

export class Holdback {
  private readonly held = new Map<string, { op: Op, missing: Set<string> }>()
  private readonly waiters = new Map<string, Set<string>>()
  private readonly maxOps: number
  /** Ops evicted because the buffer was full. */
  evicted = 0

  /** @param maxOps most ops held at once (default 10,000) */
  constructor (maxOps = 10_000) {
    this.maxOps = maxOps
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
   * Holds `op`, which waits for the ids in `missing` (non-empty). Returns the op evicted to make
   * room, if any.
   */
  hold (op: Op, missing: string[]): Op | undefined {
    if (this.held.has(op.id)) return undefined
    let evicted: Op | undefined
    if (this.held.size >= this.maxOps) {
      const oldest = this.held.keys().next().value as string
      evicted = this.remove(oldest)
      this.evicted++
    }
    this.held.set(op.id, { op, missing: new Set(missing) })
    for (const m of missing) {
      let set = this.waiters.get(m)
      if (set == null) this.waiters.set(m, set = new Set())
      set.add(op.id)
    }
    return evicted
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
        this.held.delete(heldId)
        ready.push(entry.op)
      }
    }
    return ready
  }

  private remove (id: string): Op | undefined {
    const entry = this.held.get(id)
    if (entry == null) return undefined
    this.held.delete(id)
    for (const m of entry.missing) {
      const set = this.waiters.get(m)
      set?.delete(id)
      if (set?.size === 0) this.waiters.delete(m)
    }
    return entry.op
  }
}
