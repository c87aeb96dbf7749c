/**
 * Sealed op bodies (docs/PROTOCOL.md "Private spaces"). A content op of a private space keeps a
 * plaintext *envelope* - type, space, author, hlc, deps, the ids it names (channel, reply, message)
 * and the epoch's key id - and carries its secret fields (text, emoji, names) as an
 * XChaCha20-Poly1305 ciphertext of their CBOR encoding. The AAD is the canonical CBOR of the whole
 * envelope (the unsigned op with `sealed` reduced to its key id), so a body cannot be moved to
 * another op, another author or another time: a member who re-signs someone's ciphertext as its
 * own gets an op nobody can open. The Ed25519 signature still covers the whole op.
 *
 * Keys: message bodies (post, edit, reaction) under the channel key of their channel; space and
 * channel names under the metadata key; profiles under the profile key (core/crypto.ts).
 */
import { decode, encode } from 'cborg'
import { InvalidOpError } from '../errors.js'
import { channelKey, DecryptError, metaKey, open, profileKey, seal, systemRandom, type RandomSource } from './crypto.js'
import { checkName, checkReaction, checkText, type Op, type OpType, type SealedBody } from './op.js'
import { compareBytes, idFromString, idToString, toHex } from './ids.js'

const AAD_CONTEXT = new TextEncoder().encode('spaceway/body/v1\n')

/** The secret fields of each sealable op type. */
export interface Bodies {
  'space.create': { name: string }
  'channel.create': { name: string }
  'channel.rename': { name: string }
  'message.post': { text: string }
  'message.edit': { text: string }
  'message.react': { emoji: string, on: boolean }
  'profile.set': { name: string }
}
export type SealableType = keyof Bodies

/** The envelope fields an author has chosen before signing (what the AAD binds). */
export interface Envelope {
  type: OpType
  /** Raw space id; null for `space.create`. */
  space: Uint8Array | null
  author: Uint8Array
  hlc: { wall: number, counter: number }
  deps: Uint8Array[]
}

/** Which derived key seals a body: the channel's (messages), or the space's metadata or profile key. */
export type BodyKey = { kind: 'channel', channel: Uint8Array } | { kind: 'meta' } | { kind: 'profile' }

function aad (env: Envelope, payload: Record<string, unknown>, keyId: Uint8Array): Uint8Array {
  const body = encode({
    v: 1,
    type: env.type,
    space: env.space,
    author: env.author,
    hlc: [env.hlc.wall, env.hlc.counter],
    deps: [...env.deps].sort(compareBytes),
    payload: { ...payload, sealed: { key: keyId } }
  })
  const out = new Uint8Array(AAD_CONTEXT.length + body.length)
  out.set(AAD_CONTEXT)
  out.set(body, AAD_CONTEXT.length)
  return out
}

/**
 * Derived keys by epoch secret (the very array the key ring holds, so nothing outlives it) and
 * purpose: one HKDF per channel and epoch, not one per body (about a fifth of the cost of opening one).
 */
const derived = new WeakMap<Uint8Array, Map<string, Uint8Array>>()
const MAX_DERIVED_PER_SECRET = 1024

function derive (secret: Uint8Array, which: BodyKey): Uint8Array {
  const name = which.kind === 'channel' ? toHex(which.channel) : which.kind
  let keys = derived.get(secret)
  if (keys == null) { keys = new Map(); derived.set(secret, keys) }
  let key = keys.get(name)
  if (key == null) {
    key = which.kind === 'channel' ? channelKey(secret, which.channel) : which.kind === 'meta' ? metaKey(secret) : profileKey(secret)
    if (keys.size >= MAX_DERIVED_PER_SECRET) keys.clear()
    keys.set(name, key)
  }
  return key
}

/**
 * Seals `body` for an op with envelope `env` and plaintext fields `plain` (the ids it names):
 * returns the payload to sign, `{...plain, sealed}`.
 */
export function sealPayload<T extends SealableType> (env: Envelope, plain: Record<string, unknown>, body: Bodies[T], secret: Uint8Array, keyId: Uint8Array, which: BodyKey, random: RandomSource = systemRandom): Record<string, unknown> {
  const box = seal(derive(secret, which), aad(env, plain, keyId), encode(body), random)
  return { ...plain, sealed: { key: keyId, nonce: box.nonce, ct: box.ct } satisfies SealedBody }
}

/** The key a body of `op` is sealed under; `channelOf` gives a message's channel (edits, reactions). */
export function bodyKeyOf (op: Op, channelOf: (messageId: string) => string | undefined): BodyKey | null {
  const p = op.payload as Record<string, unknown>
  switch (op.type) {
    case 'message.post': return { kind: 'channel', channel: p.channel as Uint8Array }
    case 'message.edit':
    case 'message.react': {
      const channel = channelOf(idToString(p.message as Uint8Array))
      return channel == null ? null : { kind: 'channel', channel: idFromString(channel) }
    }
    case 'profile.set': return { kind: 'profile' }
    case 'space.create':
    case 'channel.create':
    case 'channel.rename': return { kind: 'meta' }
    default: return null
  }
}

/**
 * Opens the sealed body of `op` with epoch `secret` and checks its fields as the plaintext op would
 * be checked (text length, name, emoji).
 * @throws DecryptError if it does not open (wrong key, moved, altered); InvalidOpError if what it
 *   holds is not a valid body
 */
export function openPayload<T extends SealableType> (op: Op<T>, secret: Uint8Array, which: BodyKey): Bodies[T] {
  const p = op.payload as Record<string, unknown>
  const sealed = p.sealed as SealedBody
  const { sealed: _, ...plain } = p
  const bytes = open(derive(secret, which), aad({ type: op.type, space: op.type === 'space.create' ? null : idFromString(op.spaceId), author: op.authorKey, hlc: op.hlc, deps: op.deps.map(idFromString) }, plain, sealed.key), { nonce: sealed.nonce, ct: sealed.ct })
  let body: unknown
  try {
    body = decode(bytes, { strict: true })
  } catch (err) {
    throw new InvalidOpError('bad_payload', `sealed body is not CBOR: ${(err as Error).message}`)
  }
  if (body == null || typeof body !== 'object') throw new InvalidOpError('bad_payload', 'sealed body must be a map')
  const b = body as Record<string, unknown>
  const keys = Object.keys(b).sort().join(',')
  switch (op.type as SealableType) {
    case 'message.post':
    case 'message.edit':
      if (keys !== 'text') throw new InvalidOpError('bad_payload', 'sealed body must be {text}')
      checkText(b.text)
      break
    case 'message.react':
      if (keys !== 'emoji,on') throw new InvalidOpError('bad_payload', 'sealed body must be {emoji, on}')
      checkReaction(b.emoji, b.on)
      break
    default:
      if (keys !== 'name') throw new InvalidOpError('bad_payload', 'sealed body must be {name}')
      checkName(b.name, 'name')
  }
  return b as Bodies[T]
}

export { DecryptError }
