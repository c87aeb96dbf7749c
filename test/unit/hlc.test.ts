import { describe, expect, it } from 'vitest'
import { compareHlc, hlcKey, HybridClock } from '../../src/core/hlc.js'

describe('hybrid logical clock', () => {
  it('ticks strictly upward even when the physical clock stands still or goes back', () => {
    let now = 1000
    const c = new HybridClock({ now: () => now })
    const a = c.tick()
    const b = c.tick()
    now = 500
    const d = c.tick()
    expect(compareHlc(a, b)).toBeLessThan(0)
    expect(compareHlc(b, d)).toBeLessThan(0)
    expect(d.wall).toBe(1000)
  })

  it('orders a local event after an observed remote one (Kulkarni et al. receive rule)', () => {
    const c = new HybridClock({ now: () => 1000 })
    c.observe({ wall: 1500, counter: 7 })
    expect(c.tick()).toEqual({ wall: 1500, counter: 9 })
  })

  it('ignores remote timestamps beyond the drift bound unless forced', () => {
    const c = new HybridClock({ now: () => 1000, maxDriftMs: 100 })
    expect(c.observe({ wall: 5000, counter: 0 })).toBe(false)
    expect(c.tick().wall).toBe(1000)
    expect(c.observe({ wall: 5000, counter: 0 }, true)).toBe(true)
    expect(compareHlc(c.tick(), { wall: 5000, counter: 0 })).toBeGreaterThan(0)
  })

  it('keys sort like the timestamps', () => {
    const hs = [{ wall: 2, counter: 0 }, { wall: 1, counter: 300 }, { wall: 1, counter: 2 }, { wall: 256, counter: 0 }]
    const byKey = [...hs].sort((a, b) => hlcKey(a) < hlcKey(b) ? -1 : 1)
    expect(byKey).toEqual([...hs].sort(compareHlc))
  })
})
