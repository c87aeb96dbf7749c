import { describe, expect, it } from 'vitest'
import { nextDelay } from '../../src/dht/backoff.js'
import { QueryStats, percentile } from '../../src/dht/stats.js'
import { decodeDescriptor, descriptorKey, encodeDescriptor, selectRecord } from '../../src/dht/records.js'
import { score } from '../../src/dht/peer-pool.js'
import { makeOp, newSigner } from '../helpers/ops.js'

describe('bootstrap schedule', () => {
  const opts = { intervalMs: 15_000, capMs: 300_000, jitter: 0.2 }
  it('checks every interval while healthy and doubles after each failure, capped at 5 min', () => {
    const mid = (): number => 0.5
    expect(nextDelay(0, opts, mid)).toBe(15_000)
    expect(nextDelay(1, opts, mid)).toBe(30_000)
    expect(nextDelay(3, opts, mid)).toBe(120_000)
    expect(nextDelay(5, opts, mid)).toBe(300_000)
    expect(nextDelay(50, opts, mid)).toBe(300_000)
  })
  it('spreads delays by +-20% of jitter', () => {
    expect(nextDelay(0, opts, () => 0)).toBe(12_000)
    expect(nextDelay(0, opts, () => 0.999999)).toBeCloseTo(18_000, -1)
    expect(nextDelay(10, opts, () => 0.999999)).toBe(300_000)
  })
})

describe('query stats and the adaptive timeout', () => {
  it('keeps the configured bound until it has samples, then uses 3 x p95 with a 1 s floor', () => {
    const s = new QueryStats()
    expect(s.timeout(10_000)).toBe(10_000)
    for (let i = 0; i < 20; i++) s.record('succeeded', 40 + i)
    expect(s.timeout(10_000)).toBe(1000)
    for (let i = 0; i < 20; i++) s.record('not_found', 2000)
    expect(s.timeout(10_000)).toBe(6000)
    for (let i = 0; i < 200; i++) s.record('succeeded', 9000)
    expect(s.timeout(10_000)).toBe(10_000)
    s.record('timed_out', 10_000)
    expect(s.summary()).toMatchObject({ run: 241, succeeded: 220, notFound: 20, timedOut: 1 })
  })
  it('percentiles use the nearest rank', () => {
    expect(percentile([], 50)).toBeNull()
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3)
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95)
  })
})

describe('space descriptor records', () => {
  it('are self-certifying: only the space.create whose id is in the key validates', async () => {
    const s = await newSigner()
    const a = makeOp(s, 'space.create', null, { wall: 5, counter: 0 }, [], { name: 'A', nonce: new Uint8Array(16) })
    const b = makeOp(s, 'space.create', null, { wall: 6, counter: 0 }, [], { name: 'B', nonce: new Uint8Array(16) })
    const key = descriptorKey(a.id)
    expect(decodeDescriptor(key, encodeDescriptor(a)).payload.name).toBe('A')
    expect(() => decodeDescriptor(key, encodeDescriptor(b))).toThrow(/not the space.create of this space/)
    expect(() => decodeDescriptor(key, new Uint8Array([1, 2, 3]))).toThrow()
    expect(() => decodeDescriptor(new TextEncoder().encode('/spaceway/space/nope'), encodeDescriptor(a))).toThrow(/key/)
    expect(selectRecord(key, [new Uint8Array([0]), encodeDescriptor(b), encodeDescriptor(a)])).toBe(2)
  })
})

describe('peer pool score', () => {
  it('prefers peers that answered, and recently', () => {
    const now = 10 * 3_600_000
    const good = { peerId: 'a', addrs: [], successes: 9, failures: 0, lastSeen: now, rttMs: 5 }
    const flaky = { ...good, peerId: 'b', failures: 9 }
    const stale = { ...good, peerId: 'c', lastSeen: 0 }
    expect(score(good, now)).toBeGreaterThan(score(stale, now))
    expect(score(stale, now)).toBeGreaterThan(score(flaky, now))
  })
})

describe('bootstrapper options', () => {
  it('an option passed as undefined keeps its default (a NaN delay re-checked the table every millisecond)', async () => {
    const { Bootstrapper } = await import('../../src/dht/bootstrapper.js')
    const b = new Bootstrapper({} as never, {} as never, { intervalMs: undefined, bootstrap: [] })
    const backoff = (b as unknown as { backoff: { intervalMs: number, capMs: number, jitter: number } }).backoff
    expect(backoff).toEqual({ intervalMs: 15_000, capMs: 300_000, jitter: 0.2 })
  })
})
