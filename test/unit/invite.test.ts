import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeToken, encodeToken, inviteProof, isToken, verifyInviteProof } from '../../src/core/invite.js'
import { Signer } from '../../src/core/signing.js'
import { parseDuration } from '../../src/commands/invite-create.js'

const id = (c: string): string => c.repeat(51) + 'a'

describe('invite tokens', () => {
  it('round-trip space, invite, secret and addresses; typos and truncation are BAD_ARGUMENT', () => {
    const seed = new Uint8Array(randomBytes(32))
    const t = { spaceId: id('b'), inviteId: id('c'), seed, addrs: ['/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWCLAn6TtCB4ws7tcLu6uQmhJvYDKDMx1y28NXEAtK3XCc', '/ip4/127.0.0.1/tcp/9000'] }
    const token = encodeToken(t)
    expect(isToken(token)).toBe(true)
    expect(isToken(id('b'))).toBe(false)
    expect(decodeToken(token)).toEqual(t)
    for (const bad of [token.slice(0, -10), token.slice(0, 20), token.replace('sw1z', 'sw1x'), token + '0', 'sw1zzzzz', 'sw1z' + '2'.repeat(100_000)]) {
      expect(() => decodeToken(bad), bad.slice(-12)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }))
    }
  })

  it('a proof binds the invite key to one joiner in one space', () => {
    const seed = new Uint8Array(randomBytes(32))
    const key = Signer.fromSeed(seed).publicKey
    const joiner = new Uint8Array(randomBytes(32))
    const proof = inviteProof(seed, id('b'), joiner)
    expect(verifyInviteProof(key, id('b'), joiner, proof)).toBe(true)
    expect(verifyInviteProof(key, id('d'), joiner, proof)).toBe(false)
    expect(verifyInviteProof(key, id('b'), new Uint8Array(32), proof)).toBe(false)
  })
})

describe('invite durations', () => {
  it('durations', () => {
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('30m')).toBe(1_800_000)
    expect(parseDuration('never')).toBe(0)
    for (const bad of ['24', 'h', '-1h', '1y', '0s']) expect(() => parseDuration(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }))
  })
})
