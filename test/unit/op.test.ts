import { encode, decode } from 'cborg'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeOp, MAX_MESSAGE_CHARS, SIGNING_CONTEXT, signedBytesOf, verifyOp } from '../../src/core/op.js'
import { InvalidOpError } from '../../src/errors.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import { makeOp, newSigner } from '../helpers/ops.js'

function reason (fn: () => unknown): string {
  try { fn() } catch (err) { if (err instanceof InvalidOpError) return err.reason; throw err }
  return 'accepted'
}

describe('op codec', () => {
  it('cuts the signed bytes out of the encoding: the same bytes as encoding the map without sig, for any HLC, deps and text', async () => {
    const s = await newSigner()
    const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'Test', nonce: new Uint8Array(16) })
    fc.assert(fc.property(
      // walls and counters across every CBOR integer width (1, 2, 3, 5 and 9 bytes)
      fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 24, max: 0xffff }), fc.integer({ min: 0x10000, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 32, max: 2 ** 47 })),
      fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 24, max: 2 ** 32 - 1 })),
      fc.string({ minLength: 1, maxLength: 200 }).filter(t => t.trim() !== ''),
      fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 0, maxLength: 5, selector: b => b.join() }),
      (wall, counter, text, extra) => {
        const op = makeOp(s, 'message.post', create.id, { wall: wall + 2, counter }, [create.id, ...extra.map(idToString)], { channel: idFromString(create.id), text })
        const { sig, ...unsigned } = decode(op.bytes) as Record<string, unknown>
        const body = encode(unsigned)
        const expected = new Uint8Array([...SIGNING_CONTEXT, ...body])
        expect(sig).toBeInstanceOf(Uint8Array)
        expect(signedBytesOf(op.bytes)).toEqual(expected)
        return true
      }
    ), { numRuns: 200 })
  })

  it('gives no signed bytes for an encoding without the canonical layout (the caller encodes the map then)', async () => {
    const s = await newSigner()
    const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'Test', nonce: new Uint8Array(16) })
    const raw = decode(create.bytes) as Record<string, unknown>
    expect(signedBytesOf(encode({ ...raw, v: 2 }))).toBeNull()
    expect(signedBytesOf(create.bytes.subarray(0, 20))).toBeNull()
    expect(signedBytesOf(new Uint8Array(0))).toBeNull()
  })

  it('round-trips, derives the space id from space.create, and verifies', async () => {
    const s = await newSigner()
    const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'Test', nonce: new Uint8Array(16) })
    expect(create.spaceId).toBe(create.id)
    const post = makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [create.id], { channel: idFromString(create.id), text: 'hi' })
    const back = decodeOp(post.bytes)
    expect(back.id).toBe(post.id)
    expect(back.deps).toEqual([create.id])
    expect(back.spaceId).toBe(create.id)
    expect(() => { verifyOp(back) }).not.toThrow()
  })

  it('rejects forged signatures, non-canonical bytes, oversize text and bad shapes by reason', async () => {
    const s = await newSigner()
    const other = await newSigner()
    const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'Test', nonce: new Uint8Array(16) })
    const raw = decode(create.bytes) as Record<string, unknown>
    // Someone else's key claimed as author.
    expect(reason(() => decodeOp(encode({ ...raw, author: other.publicKey })))).toBe('bad_signature')
    // Tampered payload.
    expect(reason(() => decodeOp(encode({ ...raw, payload: { name: 'Evil', nonce: new Uint8Array(16) } })))).toBe('bad_signature')
    // Same content, non-canonical map order.
    const m = new Map(Object.entries(raw).reverse())
    expect(reason(() => decodeOp(encode(m, { mapSorter: () => 0 })))).toBe('not_canonical')
    expect(reason(() => decodeOp(new Uint8Array([0xff, 0x00])))).toBe('bad_encoding')
    expect(reason(() => decodeOp(encode({ ...raw, type: 'space.nuke' })))).toBe('bad_type')
    expect(reason(() => decodeOp(encode({ ...raw, extra: 1 })))).toBe('bad_shape')
    expect(reason(() => decodeOp(new Uint8Array(200_000)))).toBe('too_large')
    expect(reason(() => makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [create.id], { channel: new Uint8Array(32), text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }))).toBe('too_large')
    expect(reason(() => makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [], { channel: new Uint8Array(32), text: 'x' }))).toBe('bad_deps')
    expect(reason(() => makeOp(s, 'message.post', create.id, { wall: -1, counter: 0 }, [create.id], { channel: new Uint8Array(32), text: 'x' }))).toBe('bad_hlc')
  })
})
