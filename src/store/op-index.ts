/**
 * The compact per-op table of one space: for every op applied, its order key, size, membership heads
 * key (core/auth-graph.ts) and, for a `message.post`, its author and channel. It answers, without
 * touching the disk, what validation asks synchronously about any op of the space (is it applied?
 * its HLC? its heads? who wrote the message an edit names?), and what sync reconciles (the sorted
 * order keys). So `authorize` stays synchronous and needs no prefetch from LevelDB: everything it
 * reads about other ops (a dep's HLC and heads, the author of a message an edit, delete or reaction
 * names, a reply's target) is here, for every op of the space, from the moment it is staged.
 *
 * Layout: fixed-size records of REC_BYTES in chunks of CHUNK_RECORDS (64), in apply order; strings that
 * repeat (heads keys, authors, channels) are interned and records hold their index. An open-addressing
 * hash table (linear probing, load <= 1/2) maps an op id to its record. About 100 bytes per op in
 * memory (88 for the record, 8-16 for the table) against ~1 KiB for the Maps it replaces.
 *
 * Persistence: each chunk is one row of the `opix` sublevel (store/layout.ts), rewritten when a
 * commit adds records to it, in the same atomic batch as the ops (`chunkRows`); a new interned string
 * is an idx row written with the op that first used it (`add` returns it). Opening a store reads the
 * chunks back (`load`): ~1,600 rows for 100,000 ops, instead of a row (and a few Map entries) per op.
 */
import { randomBytes } from 'node:crypto'
import { lowerIndex } from '../core/sorted.js'

/** Bytes of an order key (20 hex chars of HLC, then the 52-char base32 op id; core/order.ts). */
export const KEY_BYTES = 72
/** Offset of the op id in an order key. */
const ID_AT = 20
const ID_CHARS = 52
/** Bytes of one record: order key, size (u32), heads key, author, channel (u32 intern indexes). */
export const REC_BYTES = 88
/**
 * Records per chunk (one stored row of up to 5,632 bytes). A commit rewrites the chunk(s) its ops
 * fall in: a lone message costs ~2.8 KiB written on average, a batch of 64 about one row; opening
 * reads ~1,600 rows for 100,000 ops.
 */
const CHUNK_SHIFT = 6
export const CHUNK_RECORDS = 1 << CHUNK_SHIFT
const SIZE_AT = 72
const HEADS_AT = 76
const AUTHOR_AT = 80
const CHANNEL_AT = 84

/** A per-process seed, so the ids that share a slot cannot be chosen by who makes ops. */
const SEED = randomBytes(4).readUInt32LE(0)

/** FNV-1a of 16 chars of the id from `at` (chars of a base32 hash: uniformly spread), seeded. */
function hashString (id: string, at: number): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0
  for (let i = at; i < at + 16; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function hashBytes (b: Uint8Array, at: number): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0
  for (let i = at; i < at + 16; i++) h = Math.imul(h ^ b[i], 0x01000193)
  return h >>> 0
}

/** Map-like reading of an id-keyed column (what callers used Maps for). */
export interface IdLookup<V> {
  has: (id: string) => boolean
  get: (id: string) => V | undefined
  keys: () => IterableIterator<string>
  readonly size: number
}

export class OpIndex {
  private chunks: Buffer[] = []
  /** Number of records (ops applied). */
  count = 0
  /** Total encoded size of the ops, bytes. */
  bytes = 0
  private slots = new Int32Array(1024)
  private readonly strings: string[] = ['']
  private readonly stringIds = new Map<string, number>([['', 0]])
  /** Sorted order keys, once asked for (kept up to date from then on). */
  private sortedKeys: string[] | null = null
  /** Largest order key of any record. */
  private maxKey = ''

  /**
   * Loads stored records: `chunks` (each a Uint8Array of whole records, in chunk order) and the
   * interned strings (index order, from 1). Call on an empty table only.
   * @throws Error if the chunks are not whole (a store written with another layout)
   */
  load (chunks: Uint8Array[], strings: string[]): void {
    const full = CHUNK_RECORDS * REC_BYTES
    chunks.forEach((c, i) => {
      if (i < chunks.length - 1 ? c.length !== full : c.length % REC_BYTES !== 0 || c.length === 0) throw new Error(`op table chunk ${i} of ${chunks.length} holds ${c.length} bytes`)
    })
    for (const s of strings) this.intern(s)
    // full chunks are only read from now on: kept as they came (no copy); the last one gets room to grow
    this.chunks = chunks.map(c => {
      if (c.length === full) return Buffer.from(c.buffer, c.byteOffset, c.byteLength)
      const b = Buffer.alloc(full)
      b.set(c)
      return b
    })
    this.count = chunks.length === 0 ? 0 : (chunks.length - 1) * CHUNK_RECORDS + Math.floor(chunks[chunks.length - 1].length / REC_BYTES)
    let cap = 1024
    while (cap < this.count * 2) cap *= 2
    this.slots = new Int32Array(cap)
    let max = -1
    for (let i = 0; i < this.count; i++) {
      const b = this.chunks[i >>> CHUNK_SHIFT]
      const at = (i & (CHUNK_RECORDS - 1)) * REC_BYTES
      this.bytes += b[at + SIZE_AT] + b[at + SIZE_AT + 1] * 0x100 + b[at + SIZE_AT + 2] * 0x10000 + b[at + SIZE_AT + 3] * 0x1000000
      this.place(i, hashBytes(b, at + ID_AT))
      if (max < 0 || this.compareRecords(i, max) > 0) max = i
    }
    this.maxKey = max < 0 ? '' : this.keyAt(max)
  }

  private compareRecords (i: number, j: number): number {
    const a = this.chunks[i >>> CHUNK_SHIFT]
    const b = this.chunks[j >>> CHUNK_SHIFT]
    const x = (i & (CHUNK_RECORDS - 1)) * REC_BYTES
    const y = (j & (CHUNK_RECORDS - 1)) * REC_BYTES
    for (let k = 0; k < KEY_BYTES; k++) if (a[x + k] !== b[y + k]) return a[x + k] - b[y + k]
    return 0
  }

  private place (record: number, hash: number): void {
    const mask = this.slots.length - 1
    let s = hash & mask
    while (this.slots[s] !== 0) s = (s + 1) & mask
    this.slots[s] = record + 1
  }

  private grow (): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    for (const r of old) if (r !== 0) this.place(r - 1, hashBytes(this.chunks[(r - 1) >>> CHUNK_SHIFT], ((r - 1) & (CHUNK_RECORDS - 1)) * REC_BYTES + ID_AT))
  }

  /** Record index of op `id`, or -1. */
  find (id: string): number {
    if (id.length !== ID_CHARS) return -1
    const mask = this.slots.length - 1
    let s = hashString(id, 0) & mask
    for (;;) {
      const r = this.slots[s]
      if (r === 0) return -1
      const b = this.chunks[(r - 1) >>> CHUNK_SHIFT]
      const at = ((r - 1) & (CHUNK_RECORDS - 1)) * REC_BYTES + ID_AT
      let k = 0
      while (k < ID_CHARS && b[at + k] === id.charCodeAt(k)) k++
      if (k === ID_CHARS) return r - 1
      s = (s + 1) & mask
    }
  }

  private intern (s: string): number {
    let n = this.stringIds.get(s)
    if (n == null) {
      n = this.strings.length
      this.strings.push(s)
      this.stringIds.set(s, n)
    }
    return n
  }

  /**
   * Adds the record of an op (not present yet). `author` and `channel` only for a `message.post`.
   * @returns the record's index, and the strings interned for it ([index, string]: persist them)
   */
  add (key: string, size: number, headsKey: string, author?: string, channel?: string): { record: number, interned: Array<[number, string]> } {
    const interned: Array<[number, string]> = []
    const ref = (s: string | undefined): number => {
      if (s == null) return 0
      const before = this.strings.length
      const n = this.intern(s)
      if (n === before) interned.push([n, s])
      return n
    }
    const heads = ref(headsKey === '' ? undefined : headsKey)
    const a = ref(author)
    const c = ref(channel)
    const i = this.count
    if ((i & (CHUNK_RECORDS - 1)) === 0) this.chunks.push(Buffer.alloc(CHUNK_RECORDS * REC_BYTES))
    const b = this.chunks[i >>> CHUNK_SHIFT]
    const at = (i & (CHUNK_RECORDS - 1)) * REC_BYTES
    b.write(key, at, KEY_BYTES, 'latin1')
    b.writeUInt32LE(size, at + SIZE_AT)
    b.writeUInt32LE(heads, at + HEADS_AT)
    b.writeUInt32LE(a, at + AUTHOR_AT)
    b.writeUInt32LE(c, at + CHANNEL_AT)
    this.count++
    this.bytes += size
    if (this.count * 2 > this.slots.length) this.grow()
    this.place(i, hashString(key, ID_AT))
    if (key > this.maxKey) this.maxKey = key
    if (this.sortedKeys != null) this.sortedKeys.splice(lowerIndex(this.sortedKeys, key), 0, key)
    return { record: i, interned }
  }

  private u32 (i: number, field: number): number {
    return this.chunks[i >>> CHUNK_SHIFT].readUInt32LE((i & (CHUNK_RECORDS - 1)) * REC_BYTES + field)
  }

  /** Order key of record `i`. */
  keyAt (i: number): string {
    const at = (i & (CHUNK_RECORDS - 1)) * REC_BYTES
    return this.chunks[i >>> CHUNK_SHIFT].toString('latin1', at, at + KEY_BYTES)
  }

  private idAt (i: number): string {
    const at = (i & (CHUNK_RECORDS - 1)) * REC_BYTES
    return this.chunks[i >>> CHUNK_SHIFT].toString('latin1', at + ID_AT, at + KEY_BYTES)
  }

  /** True if op `id` is applied. */
  has (id: string): boolean { return this.find(id) >= 0 }

  /** Order key of op `id`, or undefined. */
  keyOf (id: string): string | undefined {
    const i = this.find(id)
    return i < 0 ? undefined : this.keyAt(i)
  }

  /** Membership heads key of op `id` ('' for none), or undefined if it is not applied. */
  headsKeyOf (id: string): string | undefined {
    const i = this.find(id)
    return i < 0 ? undefined : this.strings[this.u32(i, HEADS_AT)]
  }

  /** Author of message `id`, or undefined if `id` is not a `message.post` applied here. */
  authorOf (id: string): string | undefined {
    const i = this.find(id)
    const a = i < 0 ? 0 : this.u32(i, AUTHOR_AT)
    return a === 0 ? undefined : this.strings[a]
  }

  /** Channel of message `id`, or undefined if `id` is not a `message.post` applied here. */
  channelOf (id: string): string | undefined {
    const i = this.find(id)
    const c = i < 0 ? 0 : this.u32(i, CHANNEL_AT)
    return c === 0 ? undefined : this.strings[c]
  }

  /** Ids of every op (apply order). */
  * ids (): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.idAt(i)
  }

  /** Ids of every `message.post` (apply order). */
  * messageIds (): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) if (this.u32(i, CHANNEL_AT) !== 0) yield this.idAt(i)
  }

  /** Number of `message.post` records (counted on each call: O(n)). */
  messageCount (): number {
    let n = 0
    for (let i = 0; i < this.count; i++) if (this.u32(i, CHANNEL_AT) !== 0) n++
    return n
  }

  /**
   * The order keys of every op, ascending. Built on first call (O(n log n)) and kept up to date by
   * `add` from then on (so a space never reconciled costs no array of keys). Do not mutate.
   */
  sorted (): readonly string[] {
    if (this.sortedKeys == null) {
      const keys = new Array<string>(this.count)
      for (let i = 0; i < this.count; i++) keys[i] = this.keyAt(i)
      this.sortedKeys = keys.sort()
    }
    return this.sortedKeys
  }

  /** The largest order key (undefined when empty). */
  lastKey (): string | undefined {
    return this.count === 0 ? undefined : this.maxKey
  }

  /** The largest order key below `bound`, or undefined (O(log n) once sorted, else one scan). */
  lastKeyBelow (bound: string): string | undefined {
    if (this.maxKey < bound) return this.lastKey()
    if (this.sortedKeys != null) {
      const lo = lowerIndex(this.sortedKeys, bound)
      return lo === 0 ? undefined : this.sortedKeys[lo - 1]
    }
    let best: string | undefined
    for (let i = 0; i < this.count; i++) {
      const k = this.keyAt(i)
      if (k < bound && (best == null || k > best)) best = k
    }
    return best
  }

  /**
   * The stored rows for records `from`..`to` (inclusive): each chunk they fall in, as copies holding
   * its records up to `to` (never a record added after `to`, which belongs to a later commit).
   */
  chunkRows (from: number, to: number): Array<[chunk: number, bytes: Uint8Array]> {
    const out: Array<[number, Uint8Array]> = []
    for (let c = from >>> CHUNK_SHIFT; c <= to >>> CHUNK_SHIFT; c++) {
      const last = Math.min(to, c * CHUNK_RECORDS + CHUNK_RECORDS - 1)
      out.push([c, Uint8Array.prototype.slice.call(this.chunks[c], 0, (last - c * CHUNK_RECORDS + 1) * REC_BYTES)])
    }
    return out
  }

  /** Map-like views of the table's columns. */
  view<V> (get: (id: string) => V | undefined, keys: () => IterableIterator<string>, size: () => number): IdLookup<V> {
    return { has: id => get(id) !== undefined, get, keys, get size () { return size() } }
  }
}
