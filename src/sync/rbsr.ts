/**
 * Range-based set reconciliation: A. Meyer, "Range-Based Set Reconciliation", SRDS 2023
 * (arXiv:2212.13567), as used by Negentropy. Pure: no I/O.
 *
 * Both sides hold a set of items sorted by the same key (the op order key: HLC, then op id). A range
 * [lower, upper) is summarized by a fingerprint; equal fingerprints mean (with overwhelming
 * probability) equal contents, and the range is skipped. A differing range is split into BRANCHING
 * sub-ranges, or, when small, listed in full so the other side can compute exactly what each lacks.
 * Messages and work grow with the number of differences times log(n), not with n.
 */
import { createHash } from 'node:crypto'
import { splitOrderKey } from '../core/order.js'
import { lowerIndex } from '../core/sorted.js'

/** Sub-ranges a differing range is split into. */
export const BRANCHING = 16
/** A range with at most this many items is sent as an id list instead of being split. */
export const ID_LIST_THRESHOLD = 32
/** Fingerprint length in bytes. */
export const FINGERPRINT_BYTES = 16

/**
 * One range of a reconciliation message. Ranges are contiguous: each starts where the previous one
 * ended (the first at the lowest key) and ends before `upper` (null = past the last key).
 * - `skip`: nothing to do here.
 * - `fp`: the sender's fingerprint of its items in the range.
 * - `ids`: the sender's full list of op ids (base32) in the range.
 */
export type Range =
  | { upper: string | null, mode: 'skip' }
  | { upper: string | null, mode: 'fp', fp: Uint8Array }
  | { upper: string | null, mode: 'ids', ids: string[] }

/** What one reconciliation step decided. */
export interface StepResult {
  /** Ranges to send back; all `skip` (or empty) means this side has nothing more to ask. */
  ranges: Range[]
  /** Op ids this side has and the peer lacks (send them). */
  have: string[]
  /** Op ids the peer has and this side lacks (ask for them). */
  need: string[]
}

/** Index of the first key >= `bound` in sorted `keys` (keys.length if none, or if `bound` is null). */
function boundIndex (keys: readonly string[], bound: string | null, from = 0): number {
  return bound == null ? keys.length : lowerIndex(keys, bound, from)
}

/** Bytes of an order key's op id that the fingerprint sums (the 52 ASCII chars of its base32 text). */
const ID_TEXT_BYTES = 52

/**
 * Fingerprint of keys[from, to): SHA-256 over (the sum of the items' id texts, as 52-byte
 * little-endian integers mod 2^416) and the count (uint32 LE), truncated to 16 bytes. This is
 * Negentropy's construction with the id's text standing for its bytes.
 */
export function fingerprint (keys: readonly string[], from: number, to: number): Uint8Array {
  const sum = new Uint8Array(ID_TEXT_BYTES)
  for (let i = from; i < to; i++) {
    const key = keys[i]
    const offset = key.length - ID_TEXT_BYTES
    let carry = 0
    for (let b = 0; b < ID_TEXT_BYTES; b++) {
      const v = sum[b] + key.charCodeAt(offset + b) + carry
      sum[b] = v & 0xff
      carry = v >> 8
    }
  }
  const count = Buffer.alloc(4)
  count.writeUInt32LE(to - from)
  return new Uint8Array(createHash('sha256').update(sum).update(count).digest().subarray(0, FINGERPRINT_BYTES))
}

function idsOf (keys: readonly string[], from: number, to: number): string[] {
  const out: string[] = []
  for (let i = from; i < to; i++) out.push(splitOrderKey(keys[i]).id)
  return out
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

/** Describes keys[from, to) ending at `upper`: one id list if small, else BRANCHING fingerprints. */
function describe (keys: readonly string[], from: number, to: number, upper: string | null, out: Range[]): void {
  const n = to - from
  if (n <= ID_LIST_THRESHOLD) {
    out.push({ upper, mode: 'ids', ids: idsOf(keys, from, to) })
    return
  }
  const per = Math.ceil(n / BRANCHING)
  for (let start = from; start < to; start += per) {
    const end = Math.min(start + per, to)
    out.push({ upper: end < to ? keys[end] : upper, mode: 'fp', fp: fingerprint(keys, start, end) })
  }
}

/** The opening message of a reconciliation over all of `keys` (sorted order keys). */
export function initiate (keys: readonly string[]): Range[] {
  const out: Range[] = []
  if (keys.length <= ID_LIST_THRESHOLD) out.push({ upper: null, mode: 'ids', ids: idsOf(keys, 0, keys.length) })
  else out.push({ upper: null, mode: 'fp', fp: fingerprint(keys, 0, keys.length) })
  return out
}

/**
 * Answers the peer's ranges against this side's sorted `keys`.
 * @throws Error if the ranges are not in ascending order (the caller treats it as a protocol error)
 */
export function reconcile (keys: readonly string[], incoming: readonly Range[]): StepResult {
  const ranges: Range[] = []
  const have: string[] = []
  const need: string[] = []
  let from = 0
  let lower = ''
  for (const r of incoming) {
    if (r.upper != null && r.upper < lower) throw new Error('ranges out of order')
    const to = boundIndex(keys, r.upper, from)
    switch (r.mode) {
      case 'skip':
        ranges.push({ upper: r.upper, mode: 'skip' })
        break
      case 'fp':
        if (equalBytes(fingerprint(keys, from, to), r.fp)) ranges.push({ upper: r.upper, mode: 'skip' })
        else describe(keys, from, to, r.upper, ranges)
        break
      case 'ids': {
        const theirs = new Set(r.ids)
        const mine = new Set<string>()
        for (let i = from; i < to; i++) {
          const id = splitOrderKey(keys[i]).id
          mine.add(id)
          if (!theirs.has(id)) have.push(id)
        }
        for (const id of theirs) if (!mine.has(id)) need.push(id)
        ranges.push({ upper: r.upper, mode: 'skip' })
        break
      }
    }
    from = to
    lower = r.upper ?? '\uffff'
  }
  return { ranges: mergeSkips(ranges), have, need }
}

/** Merges adjacent `skip` ranges; a message of only skips becomes []. */
function mergeSkips (ranges: Range[]): Range[] {
  const out: Range[] = []
  for (const r of ranges) {
    const prev = out.at(-1)
    if (r.mode === 'skip' && prev?.mode === 'skip') prev.upper = r.upper
    else out.push(r)
  }
  if (out.every(r => r.mode === 'skip')) return []
  return out
}
