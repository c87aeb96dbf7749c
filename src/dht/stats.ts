/**
 * Figures of DHT queries (for `network` and the adaptive timeout). Pure.
 */

/** One kind of outcome of a query. */
export type QueryOutcome = 'succeeded' | 'not_found' | 'failed' | 'timed_out'

/** Latencies kept for percentiles (the most recent ones). */
export const LATENCY_WINDOW = 200
/** Queries needed before the adaptive timeout replaces the configured bound. */
export const ADAPTIVE_MIN_SAMPLES = 10
/** The adaptive timeout is never below this, ms. */
export const ADAPTIVE_FLOOR_MS = 1000
/** The adaptive timeout is this multiple of the observed p95. */
export const ADAPTIVE_FACTOR = 3

/** Value at percentile p (0-100) of `xs` (nearest rank), or null for no samples. */
export function percentile (xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

export class QueryStats {
  run = 0
  succeeded = 0
  notFound = 0
  failed = 0
  timedOut = 0
  /** Latencies (ms) of queries that got an answer (found or not found). */
  private readonly latencies: number[] = []

  /** Records one finished query and its duration in ms. */
  record (outcome: QueryOutcome, ms: number): void {
    this.run++
    if (outcome === 'succeeded') this.succeeded++
    else if (outcome === 'not_found') this.notFound++
    else if (outcome === 'failed') this.failed++
    else this.timedOut++
    if (outcome === 'succeeded' || outcome === 'not_found') {
      this.latencies.push(ms)
      if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift()
    }
  }

  /**
   * Per-query bound, ms: `ADAPTIVE_FACTOR` x p95 of answered queries, at least ADAPTIVE_FLOOR_MS,
   * never above `max` (the --dht-timeout). With fewer than ADAPTIVE_MIN_SAMPLES answers: `max`.
   */
  timeout (max: number): number {
    if (this.latencies.length < ADAPTIVE_MIN_SAMPLES) return max
    const p95 = percentile(this.latencies, 95) ?? max
    return Math.min(max, Math.max(ADAPTIVE_FLOOR_MS, Math.ceil(p95 * ADAPTIVE_FACTOR)))
  }

  /** The figures for `network`: counts and p50/p95 latency (ms, null without samples). */
  summary (): { run: number, succeeded: number, notFound: number, failed: number, timedOut: number, p50Ms: number | null, p95Ms: number | null } {
    return {
      run: this.run,
      succeeded: this.succeeded,
      notFound: this.notFound,
      failed: this.failed,
      timedOut: this.timedOut,
      p50Ms: percentile(this.latencies, 50),
      p95Ms: percentile(this.latencies, 95)
    }
  }
}
