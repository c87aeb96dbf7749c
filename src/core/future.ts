/**
 * Ops from the future: an op whose HLC wall time is more than the drift bound ahead of our clock is
 * neither applied nor forwarded until it is due (docs/PROTOCOL.md "Time"). This buffer keeps such ops
 * until then. Bounded: at most `maxOps` in all and `maxPerSource` per peer; ops due later than
 * `horizonMs` from now are not kept at all (a peer whose clock is that wrong sends them again, or
 * sync brings them, once they are due).
 */
import type { Op } from './op.js'

export const FUTURE_DEFAULTS = {
  maxOps: 5_000,
  maxPerSource: 500,
  /** Ops due further ahead than this are not kept, ms. */
  horizonMs: 3_600_000
}

interface Entry { op: Op, source: string, dueAt: number }

export class FutureOps {
  private readonly entries: Entry[] = []
  private readonly ids = new Set<string>()
  private readonly perSource = new Map<string, number>()
  private readonly limits: typeof FUTURE_DEFAULTS

  constructor (limits: Partial<typeof FUTURE_DEFAULTS> = {}) {
    this.limits = { ...FUTURE_DEFAULTS, ...limits }
  }

  get size (): number { return this.entries.length }
  has (id: string): boolean { return this.ids.has(id) }

  /**
   * Keeps `op` from `source` until `dueAt` (ms since the epoch). Returns false when it is not kept:
   * due beyond the horizon, or the buffer (or the peer's share of it) is full.
   */
  hold (op: Op, source: string, dueAt: number, now = Date.now()): boolean {
    if (this.ids.has(op.id)) return true
    if (dueAt - now > this.limits.horizonMs || this.entries.length >= this.limits.maxOps) return false
    const mine = this.perSource.get(source) ?? 0
    if (mine >= this.limits.maxPerSource) return false
    let lo = 0
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.entries[mid].dueAt <= dueAt) lo = mid + 1
      else hi = mid
    }
    this.entries.splice(lo, 0, { op, source, dueAt })
    this.ids.add(op.id)
    this.perSource.set(source, mine + 1)
    return true
  }

  /** When the next op is due (ms since the epoch), or undefined if none is held. */
  nextDue (): number | undefined {
    return this.entries[0]?.dueAt
  }

  /** Removes and returns the ops due at `now`, grouped by the peer they came from. */
  takeDue (now = Date.now()): Map<string, Op[]> {
    const out = new Map<string, Op[]>()
    let n = 0
    while (n < this.entries.length && this.entries[n].dueAt <= now) n++
    for (const e of this.entries.splice(0, n)) {
      this.ids.delete(e.op.id)
      const left = (this.perSource.get(e.source) ?? 1) - 1
      if (left <= 0) this.perSource.delete(e.source)
      else this.perSource.set(e.source, left)
      const list = out.get(e.source) ?? []
      list.push(e.op)
      out.set(e.source, list)
    }
    return out
  }
}
