/**
 * Ops: every change to a space is one signed, content-addressed op.
 *
 * Wire form (canonical CBOR, RFC 8949 section 4.2.1 "core deterministic encoding" as produced by
 * cborg's default map sorting; integers only, no floats, no indefinite lengths):
 *
 *   { v: 1, type: string, space: bytes(32) | null, author: bytes(32), hlc: [wall, counter],
 *     deps: [bytes(32), ...] (sorted, unique), payload: {...}, sig: bytes(64) }
 *
 * `sig` is Ed25519 by `author` over SIGNING_CONTEXT || CBOR(the map without `sig`).
 * The op id is SHA-256 of the whole signed encoding. A space's id is the id of its `space.create`
 * op (whose `space` is null and `deps` empty). See docs/PROTOCOL.md.
 */
import { decode, encode } from 'cborg'
import { InvalidOpError } from '../errors.js'
import { type Hlc, isHlc } from './hlc.js'
import { compareBytes, idFromString, idToString, sha256 } from './ids.js'
import { type Signer, verifySignature } from './signing.js'

/** Prefix of every signed byte string, so an op signature can never be replayed as anything else. */
export const SIGNING_CONTEXT = new TextEncoder().encode('spaceway/op/v1\n')
/** Largest encoded op accepted, in bytes (a `key.rotate` may be up to MAX_ROTATE_BYTES). */
export const MAX_OP_BYTES = 20 * 1024
/**
 * Largest `key.rotate`, bytes: one 88-byte box per member, so about 1,400 members (beyond that a
 * private space cannot re-key in one op; docs/PROTOCOL.md "Private spaces").
 */
export const MAX_ROTATE_BYTES = 128 * 1024
/** Length of an X25519 public key, bytes. */
export const ENC_KEY_BYTES = 32
/** Length of an epoch key id, bytes. */
export const KEY_ID_BYTES = 16
/** Longest message text, in characters (UTF-16 code units). */
export const MAX_MESSAGE_CHARS = 4000
/** Longest space, channel or display name, in characters. */
export const MAX_NAME_CHARS = 64
/** Most earlier epochs one history bundle names (each one's rotate is also a dep). */
export const MAX_BUNDLED = 32
/** Most causal dependencies one op may list. */
export const MAX_DEPS = 64

/** Roles a `role.set` may assign (the owner is the space's creator and is never assigned). */
export const ASSIGNABLE_ROLES = ['admin', 'moderator', 'member'] as const
export type AssignableRole = typeof ASSIGNABLE_ROLES[number]

/** Longest reaction, in characters (an emoji sequence or a short word). */
export const MAX_REACTION_CHARS = 16

/** Largest `maxUses` of an invite. */
export const MAX_INVITE_USES = 1_000_000

/**
 * A body sealed with XChaCha20-Poly1305 under a key derived from an epoch secret (core/crypto.ts,
 * core/envelope.ts): `key` is the epoch's 16-byte key id, `nonce` 24 bytes, `ct` the ciphertext
 * (with its tag) of the CBOR body. In a private space every content op carries one instead of its
 * plaintext fields.
 */
export interface SealedBody { key: Uint8Array, nonce: Uint8Array, ct: Uint8Array }

/** One HPKE box (RFC 9180) of a secret to one member: [key fingerprint (8), enc (32), ciphertext]. */
export type KeyBox = [fp: Uint8Array, enc: Uint8Array, ct: Uint8Array]

/** History of a private space for members who join later: `full` (default) or `since-join`. */
export type HistoryMode = 'full' | 'since-join'

/**
 * Payloads by op type. Ids, keys, nonces and proofs are raw bytes on the wire. Where a payload names
 * another op (an invite, a message), that op must also be one of the op's `deps`, so it is always
 * in the op's causal history and validity never depends on arrival order.
 */
export interface Payloads {
  /**
   * `public` absent: a space made before membership existed (every signer counts as a member).
   * A private space made since encryption (`sealed`) has no plaintext name: `sealed` holds it under
   * the first epoch's metadata key, `enc` is the owner's X25519 key, `history` says what members
   * who join later may read; `dm`: a direct-message space of two.
   */
  'space.create': { name: string, nonce: Uint8Array, public?: boolean } |
  { nonce: Uint8Array, public: false, history: HistoryMode, enc: Uint8Array, sealed: SealedBody, dm?: boolean }
  'channel.create': { name: string } | { sealed: SealedBody }
  /** Renames `channel` (a `channel.create` id, or the space id for `general`; also a dep). */
  'channel.rename': { channel: Uint8Array, name: string } | { channel: Uint8Array, sealed: SealedBody }
  /** Deletes `channel` (a `channel.create` id; also a dep). `general` cannot be deleted. */
  'channel.delete': { channel: Uint8Array }
  /** `reply`: id of the message replied to (also a dep). */
  'message.post': { channel: Uint8Array, text: string, reply?: Uint8Array } | { channel: Uint8Array, reply?: Uint8Array, sealed: SealedBody }
  'profile.set': { name: string } | { sealed: SealedBody }
  /** `message`: id of the author's own `message.post` (also a dep). */
  'message.edit': { message: Uint8Array, text: string } | { message: Uint8Array, sealed: SealedBody }
  /** `message`: id of the `message.post` deleted (also a dep). */
  'message.delete': { message: Uint8Array }
  /** Adds (`on`) or removes a reaction `emoji` (1-16 chars) by the author to `message` (also a dep). */
  'message.react': { message: Uint8Array, emoji: string, on: boolean } | { message: Uint8Array, sealed: SealedBody }
  /**
   * `key`: 32-byte Ed25519 public key of the invite (its private seed travels in the token only);
   * `maxUses`: 0 = unlimited; `expiresAt`: ms since the epoch, 0 = never.
   */
  'invite.create': { key: Uint8Array, maxUses: number, expiresAt: number }
  'invite.revoke': { invite: Uint8Array }
  /**
   * Joins as the op's author. `invite`: id of the `invite.create` (also a dep), or null in a public
   * space; `proof`: Ed25519 signature by the invite key over INVITE_CONTEXT || space id || author key.
   */
  'member.join': { invite: Uint8Array | null, proof: Uint8Array | null, enc?: Uint8Array }
  /** Publishes (or replaces) the author's X25519 key (`enc`, 32 bytes) in the space. */
  'member.key': { enc: Uint8Array }
  /**
   * A new epoch: `key` is its key id; `boxes` one HPKE box of the epoch secret per member of the
   * space at this op's causal point that has an X25519 key, in user-id order, each to that member's
   * key (its fingerprint first); `history` earlier epoch secrets the author holds, sealed under the
   * new epoch's history key, with the ids of their rotates in the clear (`rotates`, each also a dep,
   * so only epochs of the rotate's causal past: who holds this epoch can open those, which tells key
   * holders what a member still lacks); null: none, or `since-join`.
   */
  'key.rotate': { key: Uint8Array, boxes: KeyBox[], history: { nonce: Uint8Array, ct: Uint8Array, rotates: Uint8Array[] } | null }
  /** The secret of epoch `rotate` (a `key.rotate` id; also a dep) boxed to member `to`. */
  'key.share': { rotate: Uint8Array, to: Uint8Array, box: KeyBox }
  /** An invite to a direct-message space, boxed to member `to` (only `to` can open it). */
  'dm.invite': { to: Uint8Array, box: KeyBox }
  'member.leave': Record<string, never>
  'member.kick': { user: Uint8Array }
  'member.ban': { user: Uint8Array }
  'member.unban': { user: Uint8Array }
  'role.set': { user: Uint8Array, role: AssignableRole }
  /**
   * Changes nothing; its deps (2 to MAX_DEPS) become one head. Authors use it when a space has more
   * membership heads than one op can list (many concurrent membership ops), so later ops again cover
   * the whole membership state. Any member may merge.
   */
  'heads.merge': Record<string, never>
}
export type OpType = keyof Payloads
export const OP_TYPES: readonly OpType[] = [
  'space.create', 'channel.create', 'channel.rename', 'channel.delete', 'message.post', 'profile.set', 'message.edit', 'message.delete', 'message.react',
  'invite.create', 'invite.revoke', 'member.join', 'member.leave', 'member.kick', 'member.ban', 'member.unban', 'role.set', 'heads.merge',
  'member.key', 'key.rotate', 'key.share', 'dm.invite'
]

/** Op types whose body a private space seals (content); everything else stays plaintext. */
export const SEALABLE_TYPES: ReadonlySet<OpType> = new Set<OpType>(['space.create', 'channel.create', 'channel.rename', 'message.post', 'profile.set', 'message.edit', 'message.react'])

/** True if the op's payload carries a sealed body instead of plaintext fields. */
export function isSealed (payload: object): payload is { sealed: SealedBody } {
  return 'sealed' in payload
}

/** An op as the rest of the program sees it: decoded, verified, with text ids. */
export interface Op<T extends OpType = OpType> {
  /** base32 SHA-256 of `bytes`. */
  id: string
  /** The canonical signed encoding (what is stored and sent). */
  bytes: Uint8Array
  type: T
  /** base32 space id; for `space.create` it equals `id`. */
  spaceId: string
  /** base32 of the author's 32-byte Ed25519 public key: the user id. */
  author: string
  authorKey: Uint8Array
  /** 64-byte Ed25519 signature. */
  sig: Uint8Array
  hlc: Hlc
  /** base32 op ids of causal predecessors (the heads the author had seen), sorted. */
  deps: string[]
  payload: Payloads[T]
}

/** What an author supplies to make an op. */
export interface OpDraft<T extends OpType = OpType> {
  type: T
  /** Raw 32-byte space id; null only for `space.create`. */
  space: Uint8Array | null
  hlc: Hlc
  deps: Uint8Array[]
  payload: Payloads[T]
}

function unsignedMap (draft: OpDraft, author: Uint8Array): Record<string, unknown> {
  return {
    v: 1,
    type: draft.type,
    space: draft.space,
    author,
    hlc: [draft.hlc.wall, draft.hlc.counter],
    deps: [...draft.deps].sort(compareBytes),
    payload: draft.payload
  }
}

function signingBytes (unsigned: Record<string, unknown>): Uint8Array {
  const body = encode(unsigned)
  const out = new Uint8Array(SIGNING_CONTEXT.length + body.length)
  out.set(SIGNING_CONTEXT)
  out.set(body, SIGNING_CONTEXT.length)
  return out
}

/**
 * Signs a draft and returns the finished op. Throws `InvalidOpError` if the result would not pass
 * `decodeOp` (so nothing we author is something peers would reject).
 */
export function createOp<T extends OpType> (draft: OpDraft<T>, signer: Signer): Op<T> {
  const unsigned = unsignedMap(draft, signer.publicKey)
  const sig = signer.sign(signingBytes(unsigned))
  const bytes = encode({ ...unsigned, sig })
  return decodeOp(bytes, { verify: false }) as Op<T>
}

function fail (reason: string, message: string): never {
  throw new InvalidOpError(reason, message)
}

/**
 * An X25519 key a member publishes: 32 bytes. (Whether it is usable - not a low-order point - is a
 * rule of the space, core/auth.ts, not of the encoding: an op stored before that rule still decodes.)
 */
function checkEncKey (v: unknown): void {
  if (!isBytes(v, ENC_KEY_BYTES)) fail('bad_payload', 'enc must be a 32-byte X25519 key')
}

function isBytes (v: unknown, len?: number): v is Uint8Array {
  return v instanceof Uint8Array && (len == null || v.length === len)
}

/**
 * Checks a space, channel or display name: a non-blank string of at most MAX_NAME_CHARS.
 * @throws InvalidOpError (bad_payload, too_large)
 */
export function checkName (v: unknown, what: string): string {
  if (typeof v !== 'string') fail('bad_payload', `${what} must be a string`)
  if (v.trim().length === 0) fail('bad_payload', `${what} is empty`)
  if (v.length > MAX_NAME_CHARS) fail('too_large', `${what} is longer than ${MAX_NAME_CHARS} characters`)
  return v
}

/**
 * Checks message text: a non-blank string of at most MAX_MESSAGE_CHARS.
 * @throws InvalidOpError (bad_payload, too_large)
 */
export function checkText (v: unknown): void {
  if (typeof v !== 'string' || v.trim().length === 0) fail('bad_payload', 'text must be a non-empty string')
  if (v.length > MAX_MESSAGE_CHARS) fail('too_large', `text is longer than ${MAX_MESSAGE_CHARS} characters`)
}

function checkUint (v: unknown, max: number, what: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) fail('bad_payload', `${what} must be an integer from 0 to ${max}`)
}

/** Checks that the payload field `field` is a 32-byte op id that is also listed in `deps`. */
function checkRef (o: Record<string, unknown>, field: string, deps: Uint8Array[]): void {
  const ref = o[field]
  if (!isBytes(ref, 32)) fail('bad_payload', `${field} must be a 32-byte id`)
  if (!deps.some(d => compareBytes(d, ref) === 0)) fail('bad_deps', `${field} must also be a dep`)
}

/** Largest ciphertext of a sealed body per op type, bytes (the plaintext limits, as UTF-8, plus CBOR and tag). */
const SEALED_MAX: Partial<Record<OpType, number>> = {
  'message.post': MAX_MESSAGE_CHARS * 3 + 64,
  'message.edit': MAX_MESSAGE_CHARS * 3 + 64,
  'message.react': MAX_REACTION_CHARS * 3 + 64,
  'space.create': MAX_NAME_CHARS * 3 + 64,
  'channel.create': MAX_NAME_CHARS * 3 + 64,
  'channel.rename': MAX_NAME_CHARS * 3 + 64,
  'profile.set': MAX_NAME_CHARS * 3 + 64
}

function checkSealed (type: OpType, v: unknown): void {
  if (v == null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) fail('bad_payload', 'sealed must be a map')
  const b = v as Record<string, unknown>
  if (Object.keys(b).sort().join(',') !== 'ct,key,nonce') fail('bad_payload', 'sealed must be {key, nonce, ct}')
  if (!isBytes(b.key, KEY_ID_BYTES)) fail('bad_payload', `sealed key id must be ${KEY_ID_BYTES} bytes`)
  if (!isBytes(b.nonce, 24)) fail('bad_payload', 'sealed nonce must be 24 bytes')
  if (!isBytes(b.ct) || b.ct.length < 16) fail('bad_payload', 'sealed ct must be bytes with a tag')
  if (b.ct.length > (SEALED_MAX[type] ?? 0)) fail('too_large', `sealed body of ${type} is longer than ${SEALED_MAX[type] ?? 0} bytes`)
}

function checkBox (v: unknown, what: string): void {
  if (!Array.isArray(v) || v.length !== 3) fail('bad_payload', `${what} must be [fingerprint, enc, ct]`)
  if (!isBytes(v[0], 8) || !isBytes(v[1], ENC_KEY_BYTES) || !isBytes(v[2]) || v[2].length > 512) fail('bad_payload', `${what} must be [8 bytes, 32 bytes, at most 512 bytes]`)
}

function checkPayload (type: OpType, p: unknown, deps: Uint8Array[]): void {
  if (p == null || typeof p !== 'object' || Array.isArray(p) || p instanceof Uint8Array) fail('bad_payload', 'payload must be a map')
  const o = p as Record<string, unknown>
  const keys = Object.keys(o).sort().join(',')
  const shape = (...allowed: string[]): void => {
    if (!allowed.includes(keys)) fail('bad_payload', `${type} payload must be {${allowed[0].split(',').join(', ')}}`)
  }
  const sealed = 'sealed' in o
  if (sealed) checkSealed(type, o.sealed)
  switch (type) {
    case 'space.create':
      if (sealed) {
        shape('enc,history,nonce,public,sealed', 'dm,enc,history,nonce,public,sealed')
        if (o.public !== false) fail('bad_payload', 'a sealed space is not public')
        if (o.history !== 'full' && o.history !== 'since-join') fail('bad_payload', 'history must be "full" or "since-join"')
        checkEncKey(o.enc)
        if (keys.startsWith('dm,') && o.dm !== true) fail('bad_payload', 'dm must be true when present')
      } else {
        shape('name,nonce,public', 'name,nonce')
        checkName(o.name, 'space name')
        if (keys.includes('public') && typeof o.public !== 'boolean') fail('bad_payload', 'public must be a boolean')
      }
      if (!isBytes(o.nonce, 16)) fail('bad_payload', 'nonce must be 16 bytes')
      return
    case 'channel.create':
    case 'profile.set':
      if (sealed) { shape('sealed'); return }
      shape('name')
      checkName(o.name, 'name')
      return
    case 'message.post':
      if (sealed) shape('channel,sealed', 'channel,reply,sealed')
      else {
        shape('channel,text', 'channel,reply,text')
        checkText(o.text)
      }
      if (!isBytes(o.channel, 32)) fail('bad_payload', 'channel must be a 32-byte id')
      if (keys.includes('reply')) checkRef(o, 'reply', deps)
      return
    case 'channel.rename':
      shape(sealed ? 'channel,sealed' : 'channel,name')
      checkRef(o, 'channel', deps)
      if (!sealed) checkName(o.name, 'channel name')
      return
    case 'channel.delete':
      shape('channel')
      checkRef(o, 'channel', deps)
      return
    case 'message.edit':
      shape(sealed ? 'message,sealed' : 'message,text')
      checkRef(o, 'message', deps)
      if (!sealed) checkText(o.text)
      return
    case 'message.delete':
      shape('message')
      checkRef(o, 'message', deps)
      return
    case 'message.react':
      shape(sealed ? 'message,sealed' : 'emoji,message,on')
      checkRef(o, 'message', deps)
      if (!sealed) checkReaction(o.emoji, o.on)
      return
    case 'invite.create':
      shape('expiresAt,key,maxUses')
      if (!isBytes(o.key, 32)) fail('bad_payload', 'invite key must be 32 bytes')
      checkUint(o.maxUses, MAX_INVITE_USES, 'maxUses')
      checkUint(o.expiresAt, Number.MAX_SAFE_INTEGER, 'expiresAt')
      return
    case 'invite.revoke':
      shape('invite')
      if (!isBytes(o.invite, 32)) fail('bad_payload', 'invite must be a 32-byte id')
      return
    case 'member.join':
      shape('invite,proof', 'enc,invite,proof')
      if (keys.startsWith('enc')) checkEncKey(o.enc)
      if (o.invite === null && o.proof === null) return
      checkRef(o, 'invite', deps)
      if (!isBytes(o.proof, 64)) fail('bad_payload', 'proof must be a 64-byte signature')
      return
    case 'member.key':
      shape('enc')
      checkEncKey(o.enc)
      return
    case 'key.rotate': {
      shape('boxes,history,key')
      if (!isBytes(o.key, KEY_ID_BYTES)) fail('bad_payload', `key must be a ${KEY_ID_BYTES}-byte key id`)
      if (!Array.isArray(o.boxes) || o.boxes.length === 0) fail('bad_payload', 'boxes must be a non-empty list')
      for (const b of o.boxes) checkBox(b, 'each box')
      const h = o.history as Record<string, unknown> | null
      if (h !== null && (h == null || typeof h !== 'object' || Object.keys(h).sort().join(',') !== 'ct,nonce,rotates' || !isBytes(h.nonce, 24) || !isBytes(h.ct) ||
        !Array.isArray(h.rotates) || h.rotates.length === 0 || h.rotates.length > MAX_BUNDLED)) {
        fail('bad_payload', `history must be null or {nonce: 24 bytes, ct: bytes, rotates: [1 to ${MAX_BUNDLED} key.rotate ids]}`)
      }
      if (h != null) {
        const rotates = h.rotates as unknown[]
        for (const r of rotates) {
          if (!isBytes(r, 32)) fail('bad_payload', 'history rotates must be 32-byte ids')
          if (!deps.some(d => compareBytes(d, r) === 0)) fail('bad_deps', 'each rotate a history names must also be a dep')
        }
        if (new Set(rotates.map(r => idToString(r as Uint8Array))).size !== rotates.length) fail('bad_payload', 'history names a rotate twice')
      }
      return
    }
    case 'key.share':
      shape('box,rotate,to')
      checkRef(o, 'rotate', deps)
      if (!isBytes(o.to, 32)) fail('bad_payload', 'to must be a 32-byte user id')
      checkBox(o.box, 'box')
      return
    case 'dm.invite':
      shape('box,to')
      if (!isBytes(o.to, 32)) fail('bad_payload', 'to must be a 32-byte user id')
      checkBox(o.box, 'box')
      return
    case 'member.leave':
      shape('')
      return
    case 'heads.merge':
      shape('')
      if (deps.length < 2) fail('bad_deps', 'heads.merge must merge at least 2 ops')
      return
    case 'member.kick':
    case 'member.ban':
    case 'member.unban':
      shape('user')
      if (!isBytes(o.user, 32)) fail('bad_payload', 'user must be a 32-byte public key')
      return
    case 'role.set':
      shape('role,user')
      if (!isBytes(o.user, 32)) fail('bad_payload', 'user must be a 32-byte public key')
      if (!(ASSIGNABLE_ROLES as readonly unknown[]).includes(o.role)) fail('bad_payload', `role must be one of ${ASSIGNABLE_ROLES.join(', ')}`)
  }
}

/**
 * Checks a reaction: an emoji sequence or short word of 1-16 characters without whitespace, and `on`.
 * @throws InvalidOpError (bad_payload, too_large)
 */
export function checkReaction (emoji: unknown, on: unknown): void {
  if (typeof emoji !== 'string' || emoji.trim() === '' || /\s/.test(emoji)) fail('bad_payload', 'emoji must be a non-empty string without spaces')
  if (emoji.length > MAX_REACTION_CHARS) fail('too_large', `emoji is longer than ${MAX_REACTION_CHARS} characters`)
  if (typeof on !== 'boolean') fail('bad_payload', 'on must be a boolean')
}

/** The canonical encoding of every op starts with these bytes: map(8), "v": 1, "hlc", array(2). */
const OP_HEAD = Uint8Array.of(0xa8, 0x61, 0x76, 0x01, 0x63, 0x68, 0x6c, 0x63, 0x82)
/** The `sig` entry: text(3) "sig", bytes(64) header; the 64 signature bytes follow. */
const SIG_ENTRY = Uint8Array.of(0x63, 0x73, 0x69, 0x67, 0x58, 0x40)
const SIG_ENTRY_BYTES = SIG_ENTRY.length + 64

/** Length of the CBOR unsigned integer (major type 0, RFC 8949 section 3.1) at `b[i]`, or -1. */
function uintLength (b: Uint8Array, i: number): number {
  if (i >= b.length || b[i] >> 5 !== 0) return -1
  const info = b[i] & 0x1f
  return info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : info === 27 ? 9 : -1
}

/**
 * The bytes an op's signature covers (SIGNING_CONTEXT || CBOR of the map without `sig`), cut out of
 * its canonical encoding rather than encoded again: canonical CBOR sorts map keys length-first
 * (RFC 8949 section 4.2.3, cborg's default), so the entries are v, hlc, sig, deps, type, space,
 * author, payload, and the map without `sig` is the same bytes with a 7-entry header and the `sig`
 * entry removed. Null when `bytes` do not have that layout (the caller then encodes the map).
 * Only for bytes that passed `decodeOp`'s canonical check.
 */
export function signedBytesOf (bytes: Uint8Array): Uint8Array | null {
  for (let k = 0; k < OP_HEAD.length; k++) if (bytes[k] !== OP_HEAD[k]) return null
  const wall = uintLength(bytes, OP_HEAD.length)
  if (wall < 0) return null
  const counter = uintLength(bytes, OP_HEAD.length + wall)
  if (counter < 0) return null
  const at = OP_HEAD.length + wall + counter
  if (bytes.length < at + SIG_ENTRY_BYTES) return null
  for (let k = 0; k < SIG_ENTRY.length; k++) if (bytes[at + k] !== SIG_ENTRY[k]) return null
  const ctx = SIGNING_CONTEXT.length
  const out = new Uint8Array(ctx + bytes.length - SIG_ENTRY_BYTES)
  out.set(SIGNING_CONTEXT)
  out[ctx] = 0xa7
  out.set(bytes.subarray(1, at), ctx + 1)
  out.set(bytes.subarray(at + SIG_ENTRY_BYTES), ctx + at)
  return out
}

/**
 * Checks the Ed25519 signature of an op decoded with `verify: false`.
 * @throws InvalidOpError (`bad_signature`)
 */
export function verifyOp (op: Op): void {
  if (!verifySignature(op.authorKey, signedBytesOf(op.bytes) ?? signingBytes(unsignedMap({
    type: op.type,
    space: op.type === 'space.create' ? null : idFromString(op.spaceId),
    hlc: op.hlc,
    deps: op.deps.map(idFromString),
    payload: op.payload
  }, op.authorKey)), op.sig)) fail('bad_signature', 'signature does not verify')
}

/** True where the signature of each decoded op (`decodeOp` with `verify: false`) verifies. Never throws. */
export function verifyOps (ops: Op[]): boolean[] {
  return ops.map(op => {
    try {
      verifyOp(op)
      return true
    } catch {
      return false
    }
  })
}

/**
 * Checks the signatures of many encoded ops: true where an op decodes and its signature verifies.
 * Never throws.
 */
export function verifyAll (ops: Uint8Array[]): boolean[] {
  return ops.map(bytes => {
    try {
      verifyOp(decodeOp(bytes, { verify: false }))
      return true
    } catch {
      return false
    }
  })
}

/**
 * Decodes and validates untrusted op bytes: size, canonical CBOR, shape, field types and sizes,
 * payload per type, and (unless `verify: false`) the Ed25519 signature. Does not check deps
 * against any store: that is `OpStore`'s job.
 *
 * @throws InvalidOpError with `reason` one of: too_large, bad_encoding, not_canonical, bad_shape,
 *   bad_type, bad_hlc, bad_deps, bad_payload, bad_signature
 */
export function decodeOp (bytes: Uint8Array, options: { verify?: boolean } = {}): Op {
  if (!(bytes instanceof Uint8Array)) fail('bad_encoding', 'op must be bytes')
  if (bytes.length > MAX_ROTATE_BYTES) fail('too_large', `op is ${bytes.length} bytes, more than ${MAX_ROTATE_BYTES}`)
  let raw: unknown
  try {
    raw = decode(bytes, { strict: true, rejectDuplicateMapKeys: true, allowUndefined: false, allowIndefinite: false, allowBigInt: false })
  } catch (err) {
    fail('bad_encoding', `op is not valid CBOR: ${(err as Error).message}`)
  }
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) fail('bad_shape', 'op must be a CBOR map')
  const m = raw as Record<string, unknown>
  if (Object.keys(m).sort().join(',') !== 'author,deps,hlc,payload,sig,space,type,v') fail('bad_shape', 'op must have exactly v, type, space, author, hlc, deps, payload, sig')
  if (m.v !== 1) fail('bad_shape', `unsupported op version ${String(m.v)}`)
  if (typeof m.type !== 'string' || !OP_TYPES.includes(m.type as OpType)) fail('bad_type', `unknown op type ${JSON.stringify(String(m.type)).slice(0, 40)}`)
  const type = m.type as OpType
  if (type !== 'key.rotate' && bytes.length > MAX_OP_BYTES) fail('too_large', `op is ${bytes.length} bytes, more than ${MAX_OP_BYTES}`)
  if (!isBytes(m.author, 32)) fail('bad_shape', 'author must be a 32-byte public key')
  if (!isBytes(m.sig, 64)) fail('bad_shape', 'sig must be 64 bytes')
  if (!Array.isArray(m.hlc) || m.hlc.length !== 2) fail('bad_hlc', 'hlc must be [wall, counter]')
  const hlc = { wall: m.hlc[0] as number, counter: m.hlc[1] as number }
  if (!isHlc(hlc)) fail('bad_hlc', 'hlc out of range')
  if (!Array.isArray(m.deps) || m.deps.length > MAX_DEPS) fail('bad_deps', `deps must be a list of at most ${MAX_DEPS} ids`)
  const deps = m.deps as unknown[]
  for (let i = 0; i < deps.length; i++) {
    if (!isBytes(deps[i], 32)) fail('bad_deps', 'each dep must be a 32-byte op id')
    if (i > 0 && compareBytes(deps[i - 1] as Uint8Array, deps[i] as Uint8Array) >= 0) fail('bad_deps', 'deps must be sorted and unique')
  }
  if (type === 'space.create') {
    if (m.space !== null) fail('bad_shape', 'space.create must have space = null')
    if (deps.length !== 0) fail('bad_deps', 'space.create has no deps')
  } else {
    if (!isBytes(m.space, 32)) fail('bad_shape', 'space must be a 32-byte id')
    if (deps.length === 0) fail('bad_deps', `${type} must depend on at least one op of its space`)
  }
  checkPayload(type, m.payload, deps as Uint8Array[])
  // Canonical form: re-encoding must give the same bytes, so the id is a function of the content.
  const { sig, ...unsigned } = m
  const reencoded = encode(m)
  if (compareBytes(reencoded, bytes) !== 0) fail('not_canonical', 'op is not in canonical CBOR form')
  if (options.verify !== false && !verifySignature(m.author as Uint8Array, signedBytesOf(bytes) ?? signingBytes(unsigned), sig as Uint8Array)) {
    fail('bad_signature', 'signature does not verify')
  }
  const id = idToString(sha256(bytes))
  return {
    id,
    bytes,
    type,
    spaceId: type === 'space.create' ? id : idToString(m.space as Uint8Array),
    author: idToString(m.author as Uint8Array),
    authorKey: m.author as Uint8Array,
    sig: m.sig as Uint8Array,
    hlc,
    deps: (deps as Uint8Array[]).map(idToString),
    payload: m.payload as Payloads[OpType]
  }
}
