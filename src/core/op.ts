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
/** Largest encoded op accepted, in bytes. */
export const MAX_OP_BYTES = 20 * 1024
/** Longest message text, in characters (UTF-16 code units). */
export const MAX_MESSAGE_CHARS = 4000
/** Longest space, channel or display name, in characters. */
export const MAX_NAME_CHARS = 64
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
 * Payloads by op type. Ids, keys, nonces and proofs are raw bytes on the wire. Where a payload names
 * another op (an invite, a message), that op must also be one of the op's `deps`, so it is always
 * in the op's causal history and validity never depends on arrival order.
 */
export interface Payloads {
  /** `public` absent: a space made before membership existed (every signer counts as a member). */
  'space.create': { name: string, nonce: Uint8Array, public?: boolean }
  'channel.create': { name: string }
  /** Renames `channel` (a `channel.create` id, or the space id for `general`; also a dep). */
  'channel.rename': { channel: Uint8Array, name: string }
  /** Deletes `channel` (a `channel.create` id; also a dep). `general` cannot be deleted. */
  'channel.delete': { channel: Uint8Array }
  /** `reply`: id of the message replied to (also a dep). */
  'message.post': { channel: Uint8Array, text: string, reply?: Uint8Array }
  'profile.set': { name: string }
  /** `message`: id of the author's own `message.post` (also a dep). */
  'message.edit': { message: Uint8Array, text: string }
  /** `message`: id of the `message.post` deleted (also a dep). */
  'message.delete': { message: Uint8Array }
  /** Adds (`on`) or removes a reaction `emoji` (1-16 chars) by the author to `message` (also a dep). */
  'message.react': { message: Uint8Array, emoji: string, on: boolean }
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
  'member.join': { invite: Uint8Array | null, proof: Uint8Array | null }
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
  'invite.create', 'invite.revoke', 'member.join', 'member.leave', 'member.kick', 'member.ban', 'member.unban', 'role.set', 'heads.merge'
]

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

function isBytes (v: unknown, len?: number): v is Uint8Array {
  return v instanceof Uint8Array && (len == null || v.length === len)
}

function checkName (v: unknown, what: string): string {
  if (typeof v !== 'string') fail('bad_payload', `${what} must be a string`)
  if (v.trim().length === 0) fail('bad_payload', `${what} is empty`)
  if (v.length > MAX_NAME_CHARS) fail('too_large', `${what} is longer than ${MAX_NAME_CHARS} characters`)
  return v
}

function checkText (v: unknown): void {
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

function checkPayload (type: OpType, p: unknown, deps: Uint8Array[]): void {
  if (p == null || typeof p !== 'object' || Array.isArray(p) || p instanceof Uint8Array) fail('bad_payload', 'payload must be a map')
  const o = p as Record<string, unknown>
  const keys = Object.keys(o).sort().join(',')
  const shape = (...allowed: string[]): void => {
    if (!allowed.includes(keys)) fail('bad_payload', `${type} payload must be {${allowed[0].split(',').join(', ')}}`)
  }
  switch (type) {
    case 'space.create':
      shape('name,nonce,public', 'name,nonce')
      checkName(o.name, 'space name')
      if (!isBytes(o.nonce, 16)) fail('bad_payload', 'nonce must be 16 bytes')
      if (keys.includes('public') && typeof o.public !== 'boolean') fail('bad_payload', 'public must be a boolean')
      return
    case 'channel.create':
    case 'profile.set':
      shape('name')
      checkName(o.name, 'name')
      return
    case 'message.post':
      shape('channel,text', 'channel,reply,text')
      if (!isBytes(o.channel, 32)) fail('bad_payload', 'channel must be a 32-byte id')
      checkText(o.text)
      if (keys.includes('reply')) checkRef(o, 'reply', deps)
      return
    case 'channel.rename':
      shape('channel,name')
      checkRef(o, 'channel', deps)
      checkName(o.name, 'channel name')
      return
    case 'channel.delete':
      shape('channel')
      checkRef(o, 'channel', deps)
      return
    case 'message.edit':
      shape('message,text')
      checkRef(o, 'message', deps)
      checkText(o.text)
      return
    case 'message.delete':
      shape('message')
      checkRef(o, 'message', deps)
      return
    case 'message.react':
      shape('emoji,message,on')
      checkRef(o, 'message', deps)
      if (typeof o.emoji !== 'string' || o.emoji.trim() === '' || /\s/.test(o.emoji)) fail('bad_payload', 'emoji must be a non-empty string without spaces')
      if (o.emoji.length > MAX_REACTION_CHARS) fail('too_large', `emoji is longer than ${MAX_REACTION_CHARS} characters`)
      if (typeof o.on !== 'boolean') fail('bad_payload', 'on must be a boolean')
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
      shape('invite,proof')
      if (o.invite === null && o.proof === null) return
      checkRef(o, 'invite', deps)
      if (!isBytes(o.proof, 64)) fail('bad_payload', 'proof must be a 64-byte signature')
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
 * Checks the Ed25519 signature of an op decoded with `verify: false`.
 * @throws InvalidOpError (`bad_signature`)
 */
export function verifyOp (op: Op): void {
  const unsigned = unsignedMap({
    type: op.type,
    space: op.type === 'space.create' ? null : idFromString(op.spaceId),
    hlc: op.hlc,
    deps: op.deps.map(idFromString),
    payload: op.payload
  }, op.authorKey)
  if (!verifySignature(op.authorKey, signingBytes(unsigned), op.sig)) fail('bad_signature', 'signature does not verify')
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
  if (bytes.length > MAX_OP_BYTES) fail('too_large', `op is ${bytes.length} bytes, more than ${MAX_OP_BYTES}`)
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
  if (options.verify !== false && !verifySignature(m.author as Uint8Array, signingBytes(unsigned), sig as Uint8Array)) {
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
