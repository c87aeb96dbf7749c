/**
 * The soak (bench/soak-run.ts, `npm run soak`) in short: 45 s of churn on real processes - 3 peered
 * relays, 4-6 clients joining, leaving, coming back, killed -9 and restarted, one relay killed -9 and
 * restarted - with every client sending throughout. Asserts zero loss: every acked message is listed
 * by every running client and stored by every relay. RSS is sampled and printed but not judged: 45 s
 * has no warm-up to speak of (the 30-minute run by hand judges it).
 */
import { describe, expect, it } from 'vitest'
import { formatSoak, runSoak } from '../../bench/soak-run.js'

describe('soak (short)', () => {
  it('45 s of churn with a relay killed -9: no acked message lost at any client or relay', async () => {
    const t0 = Date.now()
    const log: string[] = []
    const r = await runSoak({ minutes: 0.75, seed: 12, initialPeers: 3, minPeers: 3, maxPeers: 6, rssIntervalMs: 5000, rssCheck: false, settleMs: 30_000, churnMinMs: 2000, churnMaxMs: 4000, log: l => { log.push(l) } })
    console.log(log.join('\n'))
    console.log(`[soak] ${((Date.now() - t0) / 1000).toFixed(1)} s in all\n${formatSoak(r, { rssCheck: false })}`)
    expect(r.acked).toBeGreaterThan(40)
    expect(r.events['relay kill -9']).toBeGreaterThanOrEqual(1)
    expect(r.events['kill -9']).toBeGreaterThanOrEqual(1)
    expect(r.events.restart).toBeGreaterThanOrEqual(1)
    expect(r.holders.filter(h => h.startsWith('relay'))).toHaveLength(3)
    expect(r.holders.filter(h => h.startsWith('client')).length).toBeGreaterThanOrEqual(3)
    expect(r.lost).toEqual(Object.fromEntries(r.holders.map(h => [h, 0])))
    expect(r.converged).toBe(true)
  }, 180_000)
})
