/**
 * RSS series of the soak and the "flat after warm-up" rule. Pure functions (no I/O), so the rule is
 * tested on its own (test/unit/soak-rss.test.ts).
 *
 * The rule, for one process that lived through the whole churn phase of length T (ms):
 *   W        = min(5 min, T / 6)                        warm-up, and the length of each window
 *   base     = max RSS over samples with t in [W, 2W)   (the first window after warm-up)
 *   last     = max RSS over samples with t in [T - W, T] (the last window of the churn phase)
 *   growth   = last - base
 *   flat     <=> last <= base * (1 + tolerance)         (tolerance default 0.10)
 * For a 30-minute run: warm-up 5 min, base = max over minutes 5-10, last = max over minutes 25-30.
 * Maxima rather than means, so a GC cycle that happens to fall in one window does not decide.
 * The least-squares slope over every sample after warm-up (MiB/min) is printed beside it, as a hint,
 * not as part of the rule. A process restarted during the run (a killed peer, a killed relay) has a
 * series too short for the rule; only its first/last/max are reported.
 */

/** One RSS reading: ms since the start of the churn phase, MiB. */
export interface RssSample { t: number, mib: number }

/** The rule's figures for one series. */
export interface Flatness {
  warmupMs: number
  base: number
  last: number
  growth: number
  /** base * (1 + tolerance) */
  limit: number
  flat: boolean
  /** Least-squares slope after warm-up, MiB per minute (NaN with fewer than 2 samples). */
  slopePerMin: number
  /** Samples in the base and last windows. */
  nBase: number
  nLast: number
}

/** W = min(5 min, T / 6), ms. */
export function warmupMs (churnMs: number): number {
  return Math.min(5 * 60_000, churnMs / 6)
}

/** Least-squares slope of mib over t, MiB per minute. */
export function slopePerMin (samples: RssSample[]): number {
  const n = samples.length
  if (n < 2) return Number.NaN
  const mt = samples.reduce((s, x) => s + x.t, 0) / n
  const mm = samples.reduce((s, x) => s + x.mib, 0) / n
  let num = 0
  let den = 0
  for (const x of samples) { num += (x.t - mt) * (x.mib - mm); den += (x.t - mt) ** 2 }
  return den === 0 ? 0 : num / den * 60_000
}

/**
 * Applies the rule to `samples` of a process that lived through [0, churnMs].
 * @returns null when either window holds no sample (the series is too short to judge)
 */
export function flatness (samples: RssSample[], churnMs: number, tolerance = 0.10): Flatness | null {
  const w = warmupMs(churnMs)
  const base = samples.filter(s => s.t >= w && s.t < 2 * w)
  const last = samples.filter(s => s.t >= churnMs - w && s.t <= churnMs)
  if (base.length === 0 || last.length === 0) return null
  const b = Math.max(...base.map(s => s.mib))
  const l = Math.max(...last.map(s => s.mib))
  const limit = b * (1 + tolerance)
  return { warmupMs: w, base: b, last: l, growth: l - b, limit, flat: l <= limit, slopePerMin: slopePerMin(samples.filter(s => s.t >= w && s.t <= churnMs)), nBase: base.length, nLast: last.length }
}

/** First, last and max of a series, MiB. */
export function summary (samples: RssSample[]): { first: number, last: number, max: number } {
  return { first: samples[0]?.mib ?? Number.NaN, last: samples[samples.length - 1]?.mib ?? Number.NaN, max: Math.max(...samples.map(s => s.mib)) }
}
