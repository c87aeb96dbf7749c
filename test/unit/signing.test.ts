import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cachedPublicKeys, PUBLIC_KEY_CACHE_MAX, Signer, verifySignature } from '../../src/core/signing.js'

describe('Ed25519 signing', () => {
  it('verifies its own signatures and refuses altered data, signatures and malformed keys', () => {
    const s = Signer.fromSeed(new Uint8Array(randomBytes(32)))
    const data = new TextEncoder().encode('hello')
    const sig = s.sign(data)
    expect(verifySignature(s.publicKey, data, sig)).toBe(true)
    expect(verifySignature(s.publicKey, new TextEncoder().encode('hellO'), sig)).toBe(false)
    expect(verifySignature(s.publicKey, data, sig.map((b, i) => i === 0 ? b ^ 1 : b))).toBe(false)
    expect(verifySignature(new Uint8Array(31), data, sig)).toBe(false)
    expect(verifySignature(new Uint8Array(32).fill(0xff), data, sig)).toBe(false)
  })

  it('keeps at most PUBLIC_KEY_CACHE_MAX parsed keys through a flood of new authors, and goes on verifying the one in use', () => {
    const hot = Signer.fromSeed(new Uint8Array(randomBytes(32)))
    const data = new TextEncoder().encode('m')
    const hotSig = hot.sign(data)
    // a flood of new authors (their keys need not be valid signers: each is parsed and cached)
    for (let i = 0; i < PUBLIC_KEY_CACHE_MAX + 500; i++) {
      if (i % 100 === 0) expect(verifySignature(hot.publicKey, data, hotSig)).toBe(true)
      verifySignature(Signer.fromSeed(new Uint8Array(randomBytes(32))).publicKey, data, hotSig)
      expect(cachedPublicKeys()).toBeLessThanOrEqual(PUBLIC_KEY_CACHE_MAX)
    }
    expect(cachedPublicKeys()).toBe(PUBLIC_KEY_CACHE_MAX)
    expect(verifySignature(hot.publicKey, data, hotSig)).toBe(true)
  })
})
