/**
 * Text forms of the binary identifiers used everywhere: op ids, space ids, channel ids (32-byte
 * SHA-256 digests) and user ids (32-byte Ed25519 public keys) are written as lowercase RFC 4648
 * base32 without padding (52 characters).
 */
import { createHash } from 'node:crypto'
import { fromString, toString as bytesToString } from 'uint8arrays'

/**
 * Shape of the text form of a 32-byte id: 52 base32 characters; 52 x 5 = 260 bits carry 256, so the
 * last character's 4 low bits are zero (it is `a` or `q`).
 */
const ID_TEXT = /^[a-z2-7]{51}[aq]$/

/** Length in bytes of op ids and user ids. */
export const ID_BYTES = 32

/** Bytes -> lowercase base32 (no padding). */
export function idToString (bytes: Uint8Array): string {
  return bytesToString(bytes, 'base32')
}

/**
 * Lowercase base32 -> bytes. Throws `Error` if the text is not base32 or does not decode to 32 bytes.
 */
export function idFromString (text: string): Uint8Array {
  if (!ID_TEXT.test(text)) throw new Error(`not an id: ${JSON.stringify(text.slice(0, 60))}`)
  const bytes = fromString(text, 'base32')
  if (bytes.length !== ID_BYTES) throw new Error('id must be 32 bytes')
  return bytes
}

/** True if `text` has the shape of a full id. */
export function isIdString (text: string): boolean {
  return ID_TEXT.test(text)
}

/** SHA-256 digest (32 bytes). */
export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/** Bytewise comparison of two byte arrays (memcmp order). */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** Lower-case hex of `bytes` (read in place, not copied): key ids and other binary names in maps. */
export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

const te = new TextEncoder()

/** `parts` (strings as UTF-8) one after the other: labels and ids of HPKE info, AAD and HKDF info. */
export function concatBytes (...parts: Array<Uint8Array | string>): Uint8Array {
  const bytes = parts.map(p => typeof p === 'string' ? te.encode(p) : p)
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0))
  let at = 0
  for (const b of bytes) { out.set(b, at); at += b.length }
  return out
}
