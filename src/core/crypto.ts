/**
 * The cryptography of private spaces, each primitive from an audited library (no cipher, KDF or
 * signature code of our own):
 *
 * - HKDF-SHA256 (RFC 5869), node:crypto: every symmetric key is derived from a 32-byte *epoch
 *   secret* S with a purpose label (`channelKey`, `metaKey`, `profileKey`, `historyKey`), and S's
 *   public *key id* too (`keyIdOf`), so a key id names a secret without revealing it.
 * - XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03), @noble/ciphers: the AEAD of op bodies and of
 *   the keystore; 24-byte random nonces, so nonce reuse by chance is negligible.
 * - HPKE (RFC 9180), @hpke/core, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM:
 *   one box of S per member, to the member's X25519 key. Members' X25519 key pairs are derived
 *   from their account seed with DeriveKeyPair (RFC 9180 section 7.1.3), so nothing new is stored.
 *
 * Randomness (secrets, nonces) comes from an injectable `RandomSource`, so tests are reproducible;
 * HPKE's ephemeral keys come from WebCrypto.
 */
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes as nodeRandomBytes, type webcrypto } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { SpacewayError } from '../errors.js'
import { concatBytes } from './ids.js'

/** A source of random bytes: `n` -> n random bytes. */
export type RandomSource = (n: number) => Uint8Array

/** node:crypto's CSPRNG. */
export const systemRandom: RandomSource = (n) => new Uint8Array(nodeRandomBytes(n))

/** Length of an epoch secret, bytes. */
export const SECRET_BYTES = 32
/** Length of a key id, bytes. */
export const KEY_ID_BYTES = 16
/** XChaCha20-Poly1305 nonce length, bytes. */
export const NONCE_BYTES = 24
/** Poly1305 tag length, bytes. */
export const TAG_BYTES = 16
/** Length of a key fingerprint (which X25519 key a box is for), bytes. */
export const FINGERPRINT_BYTES = 8

/** A box could not be opened (wrong key, or altered). */
export class DecryptError extends SpacewayError {
  static name = 'DecryptError'
  constructor (message: string) { super('DECRYPT_FAILED', message) }
}

const te = new TextEncoder()

/** HKDF-SHA256 (RFC 5869) with an empty salt: `length` bytes of key material for `info`. */
export function hkdf (ikm: Uint8Array, info: string | Uint8Array, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), typeof info === 'string' ? te.encode(info) : info, length))
}

/** The public id of epoch secret `secret` (16 bytes). */
export function keyIdOf (secret: Uint8Array): Uint8Array {
  return hkdf(secret, 'spaceway/key-id/v1', KEY_ID_BYTES)
}

/** The key of one channel's message bodies (posts, edits, reactions) in epoch `secret`. */
export function channelKey (secret: Uint8Array, channelId: Uint8Array): Uint8Array {
  return hkdf(secret, concatBytes('spaceway/channel/v1\n', channelId))
}

/** The key of space metadata (the space name, channel names) in epoch `secret`. */
export function metaKey (secret: Uint8Array): Uint8Array {
  return hkdf(secret, 'spaceway/meta/v1')
}

/** The key of profiles (display names) in epoch `secret`. */
export function profileKey (secret: Uint8Array): Uint8Array {
  return hkdf(secret, 'spaceway/profile/v1')
}

/** The key that seals, inside a rotate, the earlier epoch secrets its members keep. */
export function historyKey (secret: Uint8Array): Uint8Array {
  return hkdf(secret, 'spaceway/history/v1')
}

/** A sealed box: a 24-byte nonce and the ciphertext with its 16-byte tag. */
export interface Sealed { nonce: Uint8Array, ct: Uint8Array }

/** XChaCha20-Poly1305 encryption of `plaintext` under the 32-byte `key`, bound to `aad`. */
export function seal (key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, random: RandomSource = systemRandom): Sealed {
  const nonce = random(NONCE_BYTES)
  return { nonce, ct: xchacha20poly1305(key, nonce, aad).encrypt(plaintext) }
}

/**
 * Opens what `seal` made.
 * @throws DecryptError if the key, nonce or aad differ, or the ciphertext was altered
 */
export function open (key: Uint8Array, aad: Uint8Array, box: Sealed): Uint8Array {
  try {
    return xchacha20poly1305(key, box.nonce, aad).decrypt(box.ct)
  } catch {
    throw new DecryptError('cannot decrypt: wrong key, or the data was altered')
  }
}

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() })

/** A member's X25519 key pair (RFC 7748) for HPKE; `publicKey` is the 32-byte raw key. */
export interface EncryptionKeyPair { publicKey: Uint8Array, pair: webcrypto.CryptoKeyPair }

/**
 * The X25519 key pair derived from `ikm` (>= 32 bytes of secret key material) with RFC 9180's
 * DeriveKeyPair: the same ikm always gives the same pair.
 */
export async function deriveEncryptionKey (ikm: Uint8Array): Promise<EncryptionKeyPair> {
  const pair = await suite.kem.deriveKeyPair(ikm.slice().buffer) as webcrypto.CryptoKeyPair
  return { publicKey: new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey as never)), pair }
}

/** Any X25519 private key: a low-order point gives an all-zero shared secret with every one of them. */
let probe: ReturnType<typeof generateKeyPairSync>['privateKey'] | null = null

/**
 * True if `publicKey` (32 bytes) is an X25519 public key a box can be sealed to: not one of the
 * low-order points, whose shared secret is all zeros whatever the private key (RFC 7748 section 6.1,
 * RFC 9180 section 7.1.4: HPKE's DH fails on them). The answer depends on the bytes alone, so every
 * replica gives the same (OpenSSL, through node:crypto, makes the check).
 */
export function isUsableEncryptionKey (publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false
  probe ??= generateKeyPairSync('x25519').privateKey
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
    return !diffieHellman({ privateKey: probe, publicKey: key }).every(b => b === 0)
  } catch {
    return false
  }
}

/** First 8 bytes of SHA-256 of an X25519 public key: which key a box was sealed to. */
export function keyFingerprint (publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('spaceway/x25519/v1\n').update(publicKey).digest().subarray(0, FINGERPRINT_BYTES))
}

/** An HPKE box: the encapsulated key (32 bytes) and the AEAD ciphertext. */
export interface HpkeBox { enc: Uint8Array, ct: Uint8Array }

/**
 * Seals `plaintext` to the 32-byte X25519 `recipient` key with HPKE (RFC 9180, base mode,
 * single-shot), bound to `info` and `aad`.
 * @throws SpacewayError (BAD_KEY) if `recipient` is not a valid X25519 public key
 */
export async function boxTo (recipient: Uint8Array, plaintext: Uint8Array, info: Uint8Array, aad: Uint8Array): Promise<HpkeBox> {
  let key: webcrypto.CryptoKey
  try {
    key = await suite.kem.deserializePublicKey(recipient.slice().buffer) as webcrypto.CryptoKey
  } catch (err) {
    throw new SpacewayError('BAD_KEY', `not an X25519 public key: ${(err as Error).message}`)
  }
  const out = await suite.seal({ recipientPublicKey: key as never, info: info.slice().buffer }, plaintext, aad)
  return { enc: new Uint8Array(out.enc), ct: new Uint8Array(out.ct) }
}

/**
 * Opens an HPKE box sealed to `keys`.
 * @throws DecryptError if it was not sealed to this key, or was altered
 */
export async function openBox (keys: EncryptionKeyPair, box: HpkeBox, info: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  try {
    return new Uint8Array(await suite.open({ recipientKey: keys.pair as never, enc: box.enc.slice().buffer, info: info.slice().buffer }, box.ct, aad))
  } catch {
    throw new DecryptError('cannot open the key box: not sealed to this key, or altered')
  }
}
