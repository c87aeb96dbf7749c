/**
 * Bounds of relays learned from members (net/learned-relays.ts, net/relay-check.ts,
 * net/relay-exchange.ts): a hostile member naming 1,000 relays gets at most the per-member cap in,
 * addresses outside the rule are never kept, the total is bounded, relays named by more members are
 * preferred, reports expire, rejected relays stay out, and what is kept survives a reload.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encode } from 'cborg'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LEARNED_LIMITS, LearnedRelays, type LearnedRelayRecord } from '../../src/net/learned-relays.js'
import { acceptRelayAddr } from '../../src/net/relay-check.js'
import { decodeRelays, encodeRelays, MAX_REPORTED } from '../../src/net/relay-exchange.js'
import type { Sub } from '../../src/store/op-store.js'

const ids: string[] = []
for (let i = 0; i < 80; i++) ids.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
const loop = (i: number, port = 9000 + i): string => `/ip4/127.0.0.1/tcp/${port}/p2p/${ids[i]}`

/** A Sub in memory. */
function memSub (): Sub<LearnedRelayRecord> & { map: Map<string, LearnedRelayRecord> } {
  const map = new Map<string, LearnedRelayRecord>()
  return {
    map,
    get: async (k) => map.get(k),
    getMany: async (ks) => ks.map(k => map.get(k)),
    put: async (k, v) => { map.set(k, JSON.parse(JSON.stringify(v))) },
    del: async (k) => { map.delete(k) },
    iterator: async function * () { for (const e of [...map.entries()].sort()) yield e },
    keys: async function * () { for (const k of [...map.keys()].sort()) yield k },
    clear: async () => { map.clear() }
  }
}

function learned (options: { now?: () => number, exclude?: (p: string) => boolean, db?: Sub<LearnedRelayRecord> | null } = {}): LearnedRelays {
  return new LearnedRelays(options.db ?? null, { loopback: true, exclude: options.exclude ?? (() => false), now: options.now })
}

describe('the address rule', () => {
  it('takes only direct TCP addresses with a PeerId, loopback iff we are on loopback', () => {
    expect(acceptRelayAddr(loop(0), true)?.peerId).toBe(ids[0])
    expect(acceptRelayAddr(loop(0), false)).toBeNull()
    expect(acceptRelayAddr(`/ip4/10.0.0.5/tcp/9000/p2p/${ids[0]}`, true)).toBeNull()
    expect(acceptRelayAddr(`/ip4/10.0.0.5/tcp/9000/p2p/${ids[0]}`, false)?.peerId).toBe(ids[0])
    expect(acceptRelayAddr(`/ip6/::1/tcp/9000/p2p/${ids[0]}`, false)).toBeNull()
    expect(acceptRelayAddr(`/ip4/0.0.0.0/tcp/9000/p2p/${ids[0]}`, false)).toBeNull()
    for (const bad of ['/ip4/127.0.0.1/tcp/9000', `/ip4/127.0.0.1/tcp/9000/p2p/${ids[0]}/p2p-circuit/p2p/${ids[1]}`,
      `/ip4/127.0.0.1/udp/9000/p2p/${ids[0]}`, `/ip4/127.0.0.1/tcp/0/p2p/${ids[0]}`, 'not a multiaddr', 42, null, 'x'.repeat(300)]) {
      expect(acceptRelayAddr(bad, true)).toBeNull()
    }
  })
})

describe('learned relays', () => {
  it('a hostile member naming 1,000 relays gets at most the per-member cap in; non-addresses are not kept', async () => {
    const l = learned()
    const many = Array.from({ length: 1000 }, (_, i) => loop(i % 80, 10_000 + i))
    expect(await l.report('hostile', many)).toBe(LEARNED_LIMITS.perMember)
    expect(l.size).toBe(LEARNED_LIMITS.perMember)
    // junk first: the cap counts entries, not valid ones, so junk costs the sender its own slots
    expect(await l.report('junk', ['x', 7, { a: 1 }, `/ip4/8.8.8.8/tcp/1/p2p/${ids[5]}`, loop(6)])).toBe(0)
    expect(await l.report('junk', 'not a list')).toBe(0)
    expect(l.list().every(r => Object.keys(r.reporters).length === 1 && r.reporters.hostile != null)).toBe(true)
  })

  it('remembers at most `candidates` relays, uses at most `inUse`, preferring those named by more members', async () => {
    let t = 1000
    const l = learned({ now: () => t })
    // 20 members x 4 distinct relays = 80 relays named; ids[79] named by 3 members
    for (let m = 0; m < 20; m++) { t++; await l.report(`m${m}`, [0, 1, 2, 3].map(k => loop(m * 4 + k))) }
    await l.report('m20', [loop(79)])
    await l.report('m21', [loop(79)])
    expect(l.size).toBeLessThanOrEqual(LEARNED_LIMITS.candidates)
    const chosen = l.chosen()
    expect(chosen).toHaveLength(LEARNED_LIMITS.inUse)
    expect(chosen[0].peerId).toBe(ids[79])
    expect(Object.keys(chosen[0].reporters).sort()).toEqual(['m19', 'm20', 'm21'])
  })

  it('a new report replaces the member\'s previous one; excluded relays (ours) are not learned', async () => {
    const l = learned({ exclude: (p) => p === ids[9] })
    await l.report('m', [loop(1), loop(2)])
    await l.report('m', [loop(2), loop(3), loop(9)])
    expect(l.list().map(r => r.peerId).sort()).toEqual([ids[2], ids[3]].sort())
  })

  it('reports expire; a rejected relay stays out until its time is up', async () => {
    let t = 1_000_000
    const l = learned({ now: () => t })
    await l.report('m', [loop(1), loop(2)])
    await l.reject(ids[1], 60_000)
    expect(l.chosen().map(r => r.peerId)).toEqual([ids[2]])
    await l.report('n', [loop(1)])
    expect(l.reportersOf(ids[1])).toEqual([])
    t += 60_001
    await l.report('n', [loop(1)])
    expect(l.reportersOf(ids[1])).toEqual(['n'])
    t += LEARNED_LIMITS.ttlMs
    expect(l.chosen()).toEqual([])
  })

  it('survives a reload; expired and malformed records are dropped from the store', async () => {
    let t = 5_000_000
    const db = memSub()
    const a = learned({ now: () => t, db })
    await a.report('m', [loop(1)])
    t += 1000
    await a.report('n', [loop(2)])
    db.map.set('garbage', { peerId: 'garbage', addr: 'nope', reporters: { m: t }, firstSeen: t })
    t += LEARNED_LIMITS.ttlMs - 500 // m's report (at +0) has expired, n's (at +1000) not
    const b = learned({ now: () => t, db })
    await b.load()
    expect(b.list().map(r => r.peerId)).toEqual([ids[2]])
    expect([...db.map.keys()]).toEqual([ids[2]])
  })

  it('property: whatever members say, each adds at most the cap and the total stays bounded', async () => {
    const entry = fc.oneof(fc.integer({ min: 0, max: 79 }).map(i => loop(i)), fc.string(), fc.integer(), fc.constant(null))
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.array(entry, { maxLength: 50 })), { maxLength: 60 }), async (reports) => {
      const l = learned()
      for (const [m, list] of reports) {
        expect(await l.report(`m${m}`, list)).toBeLessThanOrEqual(LEARNED_LIMITS.perMember)
        expect(l.size).toBeLessThanOrEqual(LEARNED_LIMITS.candidates)
      }
      expect(l.chosen().length).toBeLessThanOrEqual(LEARNED_LIMITS.inUse)
      for (const r of l.list()) expect(acceptRelayAddr(r.addr, true)?.peerId).toBe(r.peerId)
    }), { numRuns: 50 })
  })
})

describe('the relays message', () => {
  it('an answer carries at most MAX_REPORTED relays; an oversized or malformed one is refused', () => {
    expect(decodeRelays(encodeRelays(Array.from({ length: 100 }, (_, i) => loop(i % 80))))).toHaveLength(MAX_REPORTED)
    expect(() => decodeRelays(encode({ v: 1, relays: Array.from({ length: 1000 }, (_, i) => loop(i % 80)) }))).toThrow(/bytes/)
    expect(() => decodeRelays(encode({ v: 2, relays: [] }))).toThrow(/expected/)
    expect(() => decodeRelays(new Uint8Array([0xff, 0x00]))).toThrow(/CBOR/)
  })
})
