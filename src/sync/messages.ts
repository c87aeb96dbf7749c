/**
 * Wire messages of `/spaceway/sync/1.0.0` (docs/PROTOCOL.md). Each message is one canonical CBOR
 * value inside an unsigned-varint length prefix. Pure: encode/decode only; decode validates every
 * field of untrusted input and throws `SyncProtocolError` naming what was wrong.
 *
 *   rec     {t:"rec", space: text, ranges: [[upper: text|null, mode: 0|1|2, data], ...], want: [text],
 *            auth?: [invite id: bytes(32), proof: bytes(64)]}
 *           `space` is the space's sync id (core/rendezvous.ts), never the space id;
 *           mode 0 skip (data null), 1 fingerprint (data: bytes(16)), 2 id list (data: [text]);
 *           `auth` (first rec only): a joiner's proof that it holds an invite of the space
 *   ops     {t:"ops", ops: [bytes]}      signed ops, in HLC order
 *   done    {t:"done"}                   the sender has nothing more to say for this space
 *   unknown {t:"unknown", reason?: text}  the responder does not hold the space, or keeps it from us (why)
 */
import { decode, encode } from 'cborg'
import { SyncProtocolError } from '../errors.js'
import { isIdString } from '../core/ids.js'
import { MAX_ROTATE_BYTES } from '../core/op.js'
import { FINGERPRINT_BYTES, type Range } from './rbsr.js'

/** Protocol id of the sync protocol (2: spaces named by sync id; members-only for private spaces). */
export const SYNC_PROTOCOL = '/spaceway/sync/2.0.0'
/** Largest sync message, in bytes (the length prefix is checked before reading the body). */
export const MAX_SYNC_MESSAGE_BYTES = 4 * 1024 * 1024
/** Ops messages are cut at about this many bytes of ops. */
export const OPS_CHUNK_BYTES = 512 * 1024
/** Most ranges in one `rec`. */
export const MAX_RANGES = 4096
/** Most ids across all id lists and `want` of one `rec`. */
export const MAX_IDS = 100_000

/**
 * A joiner's credential for a private space it does not hold yet: the invite's id and the proof of
 * the join (Ed25519 by the invite key over INVITE_CONTEXT || space id || the joiner's key, which is
 * its PeerId's key), so a holder serves it the space before it is a member, and nobody else can
 * replay it.
 */
export interface JoinAuth { invite: Uint8Array, proof: Uint8Array }

export type SyncMessage =
  | { t: 'rec', space: string, ranges: Range[], want: string[], auth?: JoinAuth }
  | { t: 'ops', ops: Uint8Array[] }
  | { t: 'done' }
  | { t: 'unknown', reason?: string }

const MODES = ['skip', 'fp', 'ids'] as const

/** Encodes one message (without the length prefix). */
export function encodeSyncMessage (m: SyncMessage): Uint8Array {
  if (m.t === 'rec') {
    const ranges = m.ranges.map(r => [r.upper, MODES.indexOf(r.mode), r.mode === 'fp' ? r.fp : r.mode === 'ids' ? r.ids : null])
    return encode({ t: 'rec', space: m.space, ranges, want: m.want, ...(m.auth != null ? { auth: [m.auth.invite, m.auth.proof] } : {}) })
  }
  return encode(m)
}

function bad (what: string): never {
  throw new SyncProtocolError(`malformed sync message: ${what}`)
}

function checkIdList (v: unknown, what: string, budget: { ids: number }): string[] {
  if (!Array.isArray(v)) bad(`${what} must be a list`)
  budget.ids += v.length
  if (budget.ids > MAX_IDS) bad(`more than ${MAX_IDS} ids`)
  for (const id of v) if (typeof id !== 'string' || !isIdString(id)) bad(`${what} holds a non-id`)
  return v as string[]
}

/**
 * Decodes and validates one message.
 * @throws SyncProtocolError for anything that is not a well-formed message
 */
export function decodeSyncMessage (bytes: Uint8Array): SyncMessage {
  if (bytes.length > MAX_SYNC_MESSAGE_BYTES) bad('too large')
  let raw: unknown
  try {
    raw = decode(bytes, { strict: true, allowUndefined: false, allowBigInt: false })
  } catch (err) {
    bad(`not CBOR (${(err as Error).message})`)
  }
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) bad('not a map')
  const m = raw as Record<string, unknown>
  switch (m.t) {
    case 'done':
      return { t: 'done' }
    case 'unknown':
      if (m.reason === undefined) return { t: 'unknown' }
      if (typeof m.reason !== 'string' || !/^[a-z_]{1,40}$/.test(m.reason)) bad('reason must be a short lower_snake word')
      return { t: 'unknown', reason: m.reason }
    case 'ops': {
      if (!Array.isArray(m.ops)) bad('ops must be a list')
      for (const o of m.ops) if (!(o instanceof Uint8Array) || o.length > MAX_ROTATE_BYTES) bad('ops holds a non-op')
      return { t: 'ops', ops: m.ops as Uint8Array[] }
    }
    case 'rec': {
      if (typeof m.space !== 'string' || !isIdString(m.space)) bad('space must be a space id')
      if (!Array.isArray(m.ranges) || m.ranges.length > MAX_RANGES) bad(`ranges must be a list of at most ${MAX_RANGES}`)
      const budget = { ids: 0 }
      const want = checkIdList(m.want, 'want', budget)
      let lower = ''
      const ranges: Range[] = m.ranges.map((r: unknown, i: number): Range => {
        if (!Array.isArray(r) || r.length !== 3) bad('range must be [upper, mode, data]')
        const [upper, mode, data] = r as [unknown, unknown, unknown]
        if (upper !== null && (typeof upper !== 'string' || upper.length > 200)) bad('range upper bound must be text or null')
        if (upper === null && i !== (m.ranges as unknown[]).length - 1) bad('only the last range may be unbounded')
        if (typeof upper === 'string') {
          if (upper < lower) bad('ranges out of order')
          lower = upper
        }
        switch (mode) {
          case 0: return { upper: upper as string | null, mode: 'skip' }
          case 1:
            if (!(data instanceof Uint8Array) || data.length !== FINGERPRINT_BYTES) bad('fingerprint must be 16 bytes')
            return { upper: upper as string | null, mode: 'fp', fp: data }
          case 2: return { upper: upper as string | null, mode: 'ids', ids: checkIdList(data, 'id list', budget) }
          default: return bad('unknown range mode')
        }
      })
      let auth: JoinAuth | undefined
      if (m.auth !== undefined) {
        const a = m.auth as unknown[]
        if (!Array.isArray(a) || a.length !== 2 || !(a[0] instanceof Uint8Array) || a[0].length !== 32 || !(a[1] instanceof Uint8Array) || a[1].length !== 64) bad('auth must be [invite id (32 bytes), proof (64 bytes)]')
        auth = { invite: a[0], proof: a[1] }
      }
      return { t: 'rec', space: m.space, ranges, want, ...(auth != null ? { auth } : {}) }
    }
    default:
      bad(`unknown type ${JSON.stringify(String(m.t)).slice(0, 30)}`)
  }
}
