/**
 * The primitives against their published test vectors: HPKE (RFC 9180 appendix A.1.1,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode), XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha-03 appendix A.3.1), HKDF-SHA256 (RFC 5869 test case 3: empty salt and
 * info).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect, it } from 'vitest'
import { boxTo, channelKey, DecryptError, deriveEncryptionKey, hkdf, keyFingerprint, keyIdOf, metaKey, open, openBox, seal } from '../../src/core/crypto.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('cryptography', () => {
  it('HPKE: RFC 9180 A.1.1 (DeriveKeyPair and a box opened with the recipient key)', async () => {
    const recipient = await deriveEncryptionKey(hex('6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037'))
    expect(toHex(recipient.publicKey)).toBe('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d')
    const pt = await openBox(recipient, {
      enc: hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431'),
      ct: hex('f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a')
    }, hex('4f6465206f6e2061204772656369616e2055726e'), hex('436f756e742d30'))
    expect(Buffer.from(pt).toString()).toBe('Beauty is truth, truth beauty')
  })

  it('HPKE boxes open only with the recipient key, info and aad they were sealed with', async () => {
    const alice = await deriveEncryptionKey(new Uint8Array(32).fill(1))
    const mallory = await deriveEncryptionKey(new Uint8Array(32).fill(2))
    const info = new TextEncoder().encode('info')
    const box = await boxTo(alice.publicKey, new Uint8Array([1, 2, 3]), info, new Uint8Array([9]))
    expect([...await openBox(alice, box, info, new Uint8Array([9]))]).toEqual([1, 2, 3])
    await expect(openBox(mallory, box, info, new Uint8Array([9]))).rejects.toBeInstanceOf(DecryptError)
    await expect(openBox(alice, box, info, new Uint8Array([8]))).rejects.toBeInstanceOf(DecryptError)
    await expect(openBox(alice, box, new Uint8Array(0), new Uint8Array([9]))).rejects.toBeInstanceOf(DecryptError)
    expect(keyFingerprint(alice.publicKey)).toHaveLength(8)
  })

  it('XChaCha20-Poly1305: draft-irtf-cfrg-xchacha A.3.1, and our seal/open round trip', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657')
    const aad = hex('50515253c0c1c2c3c4c5c6c7')
    const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    expect(toHex(xchacha20poly1305(key, nonce, aad).encrypt(pt))).toBe(
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49')
    // the same through seal/open with that nonce as the random source
    const box = seal(key, aad, pt, () => nonce)
    expect(toHex(box.nonce)).toBe(toHex(nonce))
    expect(open(key, aad, box)).toEqual(pt)
    expect(() => open(key, new Uint8Array(0), box)).toThrow(DecryptError)
    const altered = { nonce, ct: box.ct.slice() }
    altered.ct[0] ^= 1
    expect(() => open(key, aad, altered)).toThrow(DecryptError)
  })

  it('HKDF-SHA256: RFC 5869 test case 3; derived keys differ by purpose and channel', () => {
    const okm = hkdf(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), new Uint8Array(0), 42)
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
    const s = new Uint8Array(32).fill(7)
    const keys = [keyIdOf(s), metaKey(s), channelKey(s, new Uint8Array(32)), channelKey(s, new Uint8Array(32).fill(1))].map(toHex)
    expect(new Set(keys).size).toBe(4)
    expect(keyIdOf(s)).toHaveLength(16)
  })
})
