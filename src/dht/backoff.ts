/**
 * When to look at the routing table again. Pure, so the schedule is tested without waiting.
 */

export interface BackoffOptions {
  /** Check period while healthy (or before the first failure), ms. Default 15,000. */
  intervalMs: number
  /** Largest delay after repeated failures, ms. Default 300,000 (5 min). */
  capMs: number
  /** Jitter as a fraction of the delay (0.2 = +-20%). Default 0.2. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { intervalMs: 15_000, capMs: 300_000, jitter: 0.2 }

/**
 * Delay before the next check after `failures` consecutive failed bootstraps (0 = last one worked
 * or none yet): interval x 2^failures with +-jitter, never above the cap. `random` returns [0, 1).
 */
export function nextDelay (failures: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(options.capMs, options.intervalMs * 2 ** Math.min(failures, 30))
  const spread = base * options.jitter
  return Math.min(options.capMs, Math.max(0, Math.round(base - spread + random() * 2 * spread)))
}
