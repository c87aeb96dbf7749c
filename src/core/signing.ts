/**
 * Ed25519 signing and verification through node:crypto KeyObjects (sign ~61 us, verify ~180 us on
 * this hardware; 16x faster than a pure-JS verifier). Raw keys are 32 bytes (RFC 8032).
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { BoundedMap } from './bounded.js'

// DER prefixes that wrap a raw 32-byte Ed25519 key (RFC 8410): PKCS#8 private key, SPKI public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Signs with one private key. */
export class Signer {
  readonly publicKey: Uint8Array
  private readonly key: KeyObject

  /**
   * @param seed the 32-byte Ed25519 private seed
   * @param publicKey the matching 32-byte public key
   */
  constructor (seed: Uint8Array, publicKey: Uint8Array) {
    if (seed.length !== 32 || publicKey.length !== 32) throw new Error('Ed25519 seed and public key must be 32 bytes')
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    this.publicKey = publicKey
  }

  /** A signer for the 32-byte Ed25519 `seed`, deriving its public key. */
  static fromSeed (seed: Uint8Array): Signer {
    if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes')
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' })
    return new Signer(seed, new Uint8Array(spki.subarray(SPKI_PREFIX.length)))
  }

  /** 64-byte Ed25519 signature over `data`. */
  sign (data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.key))
  }
}

/**
 * Parsed public keys kept, most recently used first (about 2 KiB of native memory each). The same
 * few authors sign most ops of a space; a stream of new authors (many identities) evicts only the
 * least recently used keys, not every key at once (the cache was cleared whole at 10,000 keys).
 */
export const PUBLIC_KEY_CACHE_MAX = 2000
const publicKeys = new BoundedMap<string, KeyObject>(PUBLIC_KEY_CACHE_MAX)

/** Number of parsed public keys held (at most PUBLIC_KEY_CACHE_MAX). */
export function cachedPublicKeys (): number {
  return publicKeys.size
}

function publicKeyObject (raw: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(raw).toString('hex')
  const key = publicKeys.get(cacheKey) ?? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
  publicKeys.set(cacheKey, key) // now the most recently used
  return key
}

/**
 * Verifies a 64-byte Ed25519 signature by the 32-byte `publicKey` over `data`.
 * Returns false (never throws) for malformed keys or signatures.
 */
export function verifySignature (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    return verify(null, data, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}
