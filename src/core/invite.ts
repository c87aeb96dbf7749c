/**
 * Invites: an `invite.create` op publishes only an Ed25519 public key; the matching private seed
 * travels in the token the inviter hands out. A joiner proves it holds the token by signing
 * INVITE_CONTEXT || space id || its own user key with the invite key, so a `member.join` seen on the
 * network cannot be replayed by anyone else, and the secret itself is never published.
 * (The same idea as Keybase's "Seitan tokens" and local-first-auth's invitations.)
 *
 * Token: `sw1` + base58btc (multibase, `z...`) of canonical CBOR
 *   { v: 1, s: space id (32 bytes), i: invite op id (32 bytes), k: invite seed (32 bytes), a: [multiaddr bytes] }
 */
import { decode, encode } from 'cborg'
import { multiaddr } from '@multiformats/multiaddr'
import { base58btc } from 'multiformats/bases/base58'
import { BadArgumentError } from '../errors.js'
import { idFromString, idToString } from './ids.js'
import { Signer, verifySignature } from './signing.js'

/** Domain separation for invite proofs. */
export const INVITE_CONTEXT = new TextEncoder().encode('spaceway/invite/v1\n')
/** Prefix of every invite token. */
export const TOKEN_PREFIX = 'sw1'
/** Most addresses a token carries. */
export const MAX_TOKEN_ADDRS = 4
/** Longest token accepted, characters (base58 decoding is quadratic: bound it before decoding). */
export const MAX_TOKEN_CHARS = 2000
/** Longest multiaddr a token may carry, bytes. */
const MAX_ADDR_BYTES = 300

/** What an invite token carries. Ids are base32 strings; `seed` is the invite's 32-byte private seed. */
export interface InviteToken { spaceId: string, inviteId: string, seed: Uint8Array, addrs: string[] }

function proofBytes (spaceId: string, author: Uint8Array): Uint8Array {
  const space = idFromString(spaceId)
  const out = new Uint8Array(INVITE_CONTEXT.length + 64)
  out.set(INVITE_CONTEXT)
  out.set(space, INVITE_CONTEXT.length)
  out.set(author, INVITE_CONTEXT.length + 32)
  return out
}

/** The 64-byte proof that the holder of invite `seed` lets `author` (32-byte key) join `spaceId`. */
export function inviteProof (seed: Uint8Array, spaceId: string, author: Uint8Array): Uint8Array {
  return Signer.fromSeed(seed).sign(proofBytes(spaceId, author))
}

/** True if `proof` is a valid invite proof by the invite public `key`. Never throws. */
export function verifyInviteProof (key: Uint8Array, spaceId: string, author: Uint8Array, proof: Uint8Array): boolean {
  return verifySignature(key, proofBytes(spaceId, author), proof)
}

/** Encodes a token (at most MAX_TOKEN_ADDRS addresses are kept, in binary multiaddr form). */
export function encodeToken (t: InviteToken): string {
  const body = encode({ v: 1, s: idFromString(t.spaceId), i: idFromString(t.inviteId), k: t.seed, a: t.addrs.slice(0, MAX_TOKEN_ADDRS).map(a => multiaddr(a).bytes) })
  return TOKEN_PREFIX + base58btc.encode(body)
}

/** True if `text` looks like an invite token (so `join` can tell it from a space id). */
export function isToken (text: string): boolean {
  return text.startsWith(TOKEN_PREFIX + 'z')
}

const bytes32 = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32

/**
 * Decodes an invite token pasted by a user.
 * @throws BadArgumentError if it is truncated, mistyped or malformed
 */
export function decodeToken (text: string): InviteToken {
  const bad = (why: string): never => { throw new BadArgumentError(`this invite token is not valid (${why}); copy the whole token again`) }
  if (!isToken(text)) bad(`it must start with ${TOKEN_PREFIX}z`)
  if (text.length > MAX_TOKEN_CHARS) bad(`it is longer than ${MAX_TOKEN_CHARS} characters`)
  let raw: unknown
  try {
    raw = decode(base58btc.decode(text.slice(TOKEN_PREFIX.length)), { strict: true })
  } catch {
    bad('it does not decode')
  }
  const m = raw as Record<string, unknown>
  if (m == null || typeof m !== 'object' || m.v !== 1) bad('unknown version')
  if (!bytes32(m.s) || !bytes32(m.i) || !bytes32(m.k)) bad('missing fields')
  const addrs: string[] = []
  for (const a of Array.isArray(m.a) ? m.a.slice(0, MAX_TOKEN_ADDRS) : []) {
    if (!(a instanceof Uint8Array) || a.length > MAX_ADDR_BYTES) continue
    try { addrs.push(multiaddr(a).toString()) } catch { /* an address we cannot read is skipped; others may work */ }
  }
  return { spaceId: idToString(m.s as Uint8Array), inviteId: idToString(m.i as Uint8Array), seed: m.k as Uint8Array, addrs }
}
