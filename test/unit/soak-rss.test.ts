/** The soak's RSS rule (bench/soak-rss.ts): flat after warm-up, judged on window maxima. */
import { describe, expect, it } from 'vitest'
import { flatness, slopePerMin, warmupMs } from '../../bench/soak-rss.js'

const MIN = 60_000
/** One sample every 10 s over `minutes`, RSS from `f(t ms)`. */
const series = (minutes: number, f: (t: number) => number) => Array.from({ length: minutes * 6 + 1 }, (_, i) => ({ t: i * 10_000, mib: f(i * 10_000) }))

describe('soak RSS rule', () => {
  it('warm-up is 5 min for a 30-min run and a sixth of a shorter one', () => {
    expect(warmupMs(30 * MIN)).toBe(5 * MIN)
    expect(warmupMs(60 * MIN)).toBe(5 * MIN)
    expect(warmupMs(6 * MIN)).toBe(MIN)
  })

  it('a flat series with a warm-up climb and GC noise passes', () => {
    const s = series(30, t => (t < 5 * MIN ? 100 + 20 * t / (5 * MIN) : 120) + (Math.floor(t / 10_000) % 3) * 2)
    const v = flatness(s, 30 * MIN)!
    expect(v.flat).toBe(true)
    expect(v.base).toBe(124)
    expect(Math.abs(v.slopePerMin)).toBeLessThan(0.1)
  })

  it('a leak of 1 MiB/min after warm-up fails (base ~130, last ~150)', () => {
    const s = series(30, t => 120 + t / MIN)
    const v = flatness(s, 30 * MIN)!
    expect(v.flat).toBe(false)
    expect(v.growth).toBeGreaterThan(14)
    expect(slopePerMin(s)).toBeCloseTo(1, 5)
  })

  it('a series that misses a window cannot be judged', () => {
    expect(flatness(series(30, () => 100).filter(x => x.t < 8 * MIN), 30 * MIN)).toBeNull()
  })
})
