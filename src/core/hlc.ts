/**
 * Hybrid logical clock, after Kulkarni, Demirbas et al., "Logical Physical Clocks and Consistent
 * Snapshots in Globally Distributed Databases" (OPODIS 2014), algorithm 2.
 *
 * A timestamp is `{wall, counter}`: `wall` is milliseconds since the Unix epoch (the largest physical
 * time seen), `counter` breaks ties among events with the same `wall`. Timestamps are totally ordered
 * by (wall, counter); the op id breaks the remaining ties (see `orderKey` in order.ts).
 */

/** An HLC timestamp. `wall`: ms since the epoch; `counter`: non-negative integer. */
export interface Hlc {
  wall: number
  counter: number
}

/** Largest counter we accept (a 32-bit unsigned integer, so keys stay fixed-width). */
export const MAX_COUNTER = 0xffff_ffff
/** Largest wall time we accept: 2^48 - 1 ms (year 10889), so keys stay fixed-width. */
export const MAX_WALL = 2 ** 48 - 1

/**
 * A remote timestamp more than this far ahead of our physical clock does not move our clock
 * (the paper's epsilon bound on clock skew): one peer with a broken clock cannot drag everyone's
 * clock into the future. The op itself is still accepted and ordered by its own timestamp.
 */
export const DEFAULT_MAX_DRIFT_MS = 60_000

/** Total order on timestamps: negative if a < b, 0 if equal, positive if a > b. */
export function compareHlc (a: Hlc, b: Hlc): number {
  return a.wall !== b.wall ? a.wall - b.wall : a.counter - b.counter
}

/** Fixed-width (20 hex chars) string form that sorts like `compareHlc`; used in LevelDB keys. */
export function hlcKey (h: Hlc): string {
  return h.wall.toString(16).padStart(12, '0') + h.counter.toString(16).padStart(8, '0')
}

/** True when `h` is a well-formed timestamp (integers in range). */
export function isHlc (h: unknown): h is Hlc {
  if (h == null || typeof h !== 'object') return false
  const { wall, counter } = h as Hlc
  return Number.isSafeInteger(wall) && wall >= 0 && wall <= MAX_WALL &&
    Number.isSafeInteger(counter) && counter >= 0 && counter <= MAX_COUNTER
}

/**
 * The clock of one replica. `now` is injectable for tests (ms since the epoch).
 */
export class HybridClock {
  private last: Hlc
  private readonly now: () => number
  private readonly maxDriftMs: number

  constructor (options: { now?: () => number, maxDriftMs?: number, start?: Hlc } = {}) {
    this.now = options.now ?? Date.now
    this.maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS
    this.last = options.start ?? { wall: 0, counter: 0 }
  }

  /** The latest timestamp issued or observed. */
  peek (): Hlc {
    return { ...this.last }
  }

  /** Timestamp for a local event (send): strictly greater than every timestamp issued or observed. */
  tick (): Hlc {
    const pt = this.now()
    if (pt > this.last.wall) {
      this.last = { wall: pt, counter: 0 }
    } else {
      this.last = { wall: this.last.wall, counter: this.last.counter + 1 }
    }
    return { ...this.last }
  }

  /**
   * Folds in a timestamp observed on a received event, so that later local events order after it.
   * Timestamps more than `maxDriftMs` ahead of the physical clock are ignored (see DEFAULT_MAX_DRIFT_MS).
   * With `force`, the drift bound is not applied (used before authoring an op that must order
   * after its causal dependencies, whatever their clocks said).
   * Returns true when the remote timestamp was taken into account.
   */
  observe (remote: Hlc, force = false): boolean {
    const pt = this.now()
    if (!force && remote.wall > pt + this.maxDriftMs) return false
    const l = this.last
    const wall = Math.max(l.wall, remote.wall, pt)
    let counter: number
    if (wall === l.wall && wall === remote.wall) counter = Math.max(l.counter, remote.counter) + 1
    else if (wall === l.wall) counter = l.counter + 1
    else if (wall === remote.wall) counter = remote.counter + 1
    else counter = 0
    this.last = { wall, counter }
    return true
  }
}
