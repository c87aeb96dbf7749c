import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CHUNK_RECORDS, OpIndex } from '../../src/store/op-index.js'

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
const id = fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 52, maxLength: 52 }).map(a => a.map(i => B32[i]).join(''))
const hlc = fc.integer({ min: 0, max: 2 ** 40 }).map(n => n.toString(16).padStart(20, '0'))

interface Model { key: string, size: number, heads: string, author?: string, channel?: string }

describe('op index (the compact op table of a space)', () => {
  it('answers like a Map of its records, before and after a round trip through its stored chunks (property)', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.record({ id, hlc, size: fc.integer({ min: 1, max: 70_000 }), heads: fc.constantFrom('', 'a,b', 'c', 'dd'), msg: fc.option(fc.tuple(fc.constantFrom('u1', 'u2'), fc.constantFrom('c1', 'c2'))) }), { selector: r => r.id, minLength: 1, maxLength: 700 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (records, cuts) => {
        const index = new OpIndex()
        const model = new Map<string, Model>()
        // a commit after some records: the stored rows as a store would write them (later writes win)
        const stored = new Map<number, Uint8Array>()
        const strings: string[] = []
        const commits = new Set(cuts.map(c => c % records.length))
        commits.add(records.length - 1)
        let from = 0
        let crashAt = -1
        let crashRows: { chunks: Uint8Array[], strings: string[] } | null = null
        records.forEach((r, i) => {
          const key = r.hlc + r.id
          const { record, interned } = index.add(key, r.size, r.heads, r.msg?.[0], r.msg?.[1])
          expect(record).toBe(i)
          for (const [n, s] of interned) { expect(n).toBe(strings.length + 1); strings.push(s) }
          model.set(r.id, { key, size: r.size, heads: r.heads, author: r.msg?.[0], channel: r.msg?.[1] })
          if (commits.has(i)) {
            for (const [c, bytes] of index.chunkRows(from, i)) stored.set(c, bytes)
            from = i + 1
            // what a kill right after this commit leaves: the first commit is the one checked
            if (crashRows == null) { crashAt = i; crashRows = { chunks: [...stored.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]), strings: [...strings] } }
          }
        })
        const check = (x: OpIndex, upTo: number): void => {
          const kept = records.slice(0, upTo + 1)
          expect(x.count).toBe(kept.length)
          expect(x.bytes).toBe(kept.reduce((n, r) => n + r.size, 0))
          for (const r of records) {
            const m = model.get(r.id) as Model
            const present = kept.includes(r)
            expect(x.has(r.id)).toBe(present)
            expect(x.keyOf(r.id)).toBe(present ? m.key : undefined)
            expect(x.headsKeyOf(r.id)).toBe(present ? m.heads : undefined)
            expect(x.authorOf(r.id)).toBe(present ? m.author : undefined)
            expect(x.channelOf(r.id)).toBe(present ? m.channel : undefined)
          }
          const keys = kept.map(r => r.hlc + r.id).sort()
          expect(x.lastKey()).toBe(keys.at(-1))
          const bound = records[0].hlc + 'm'
          expect(x.lastKeyBelow(bound)).toBe(keys.filter(k => k < bound).at(-1))
          expect([...x.sorted()]).toEqual(keys)
          expect(x.lastKeyBelow(bound)).toBe(keys.filter(k => k < bound).at(-1))
          expect([...x.messageIds()]).toEqual(kept.filter(r => r.msg != null).map(r => r.id))
        }
        check(index, records.length - 1)
        const reloaded = new OpIndex()
        reloaded.load([...stored.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]), strings)
        check(reloaded, records.length - 1)
        const crashed = new OpIndex()
        crashed.load(crashRows!.chunks, crashRows!.strings)
        check(crashed, crashAt)
      }
    ), { numRuns: Number(process.env.PROP_RUNS ?? 60) })
  })

  it('holds 100,000 ops in a few MiB, and finds each without a scan', () => {
    const index = new OpIndex()
    const ids: string[] = []
    for (let i = 0; i < 100_000; i++) {
      let s = ''
      for (let k = 0; k < 52; k++) s += B32[(Math.random() * 32) | 0]
      ids.push(s)
      index.add(i.toString(16).padStart(20, '0') + s, 300, 'h', 'u', 'c')
    }
    const chunks = index.chunkRows(0, index.count - 1)
    expect(chunks).toHaveLength(Math.ceil(100_000 / CHUNK_RECORDS))
    expect(chunks.reduce((n, [, b]) => n + b.length, 0)).toBeLessThan(9 * 2 ** 20)
    const t0 = performance.now()
    for (const x of ids) if (!index.has(x)) throw new Error(`lost ${x}`)
    const perLookup = (performance.now() - t0) * 1000 / ids.length
    // µs; ~1 µs here even with the machine loaded: a scan of the records would take milliseconds
    expect(perLookup).toBeLessThan(100)
    expect(index.has('a'.repeat(52))).toBe(false)
  })
})
