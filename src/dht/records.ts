/**
 * What spaceway keeps in the DHT, and how peers check it.
 *
 * - Provider records: each member provides the CID `space-cid(id)` = CIDv1(raw, sha256(
 *   "spaceway/space/v1/" + space id)); `join` looks up its providers.
 * - The space descriptor record of a public space, key `/spaceway/space/<hash of the space id>`:
 *   CBOR `{v: 1, op: bytes}` where `op` is the space's signed `space.create` op. It is
 *   self-certifying: the hash of the op's id must equal the id in the key and its Ed25519 signature
 *   must verify, so it carries the name, the creator and the
 *   creation time, and nobody can forge or alter it. Every valid record for a key is the same op;
 *   the selector takes the one with the newest HLC (so a future descriptor version can supersede).
 */
import { decode, encode } from 'cborg'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { InvalidOpError } from '../errors.js'
import { compareHlc } from '../core/hlc.js'
import { decodeOp, type Op } from '../core/op.js'
import { isIdString } from '../core/ids.js'
import { descriptorIdOf } from '../core/rendezvous.js'

/** DHT key namespace (the first path part validators and selectors are registered under). */
export const NAMESPACE = 'spaceway'

/** CID whose providers are the members of a space. */
export async function spaceCid (spaceId: string): Promise<CID> {
  const digest = await sha256Hasher.digest(new TextEncoder().encode(`spaceway/space/v1/${spaceId}`))
  return CID.createV1(raw.code, digest)
}

/**
 * DHT key of a space's descriptor record: `/spaceway/space/<descriptor id>`, a hash of the space id
 * (core/rendezvous.ts), so the key does not name the space. Only public spaces publish one.
 */
export function descriptorKey (spaceId: string): Uint8Array {
  return new TextEncoder().encode(`/${NAMESPACE}/space/${descriptorIdOf(spaceId)}`)
}

/** The record value for a space: its `space.create` op, wrapped. */
export function encodeDescriptor (create: Op<'space.create'>): Uint8Array {
  return encode({ v: 1, op: create.bytes })
}

/**
 * Decodes and checks a descriptor for `key`.
 * @throws InvalidOpError if the key is not a space key, or the value is not a valid `space.create`
 *   op whose id is the key's space id
 */
export function decodeDescriptor (key: Uint8Array, value: Uint8Array): Op<'space.create'> {
  const parts = new TextDecoder().decode(key).split('/')
  if (parts.length !== 4 || parts[1] !== NAMESPACE || parts[2] !== 'space' || !isIdString(parts[3])) {
    throw new InvalidOpError('bad_key', 'not a /spaceway/space/<id> key')
  }
  let wrapped: unknown
  try {
    wrapped = decode(value, { strict: true })
  } catch (err) {
    throw new InvalidOpError('bad_encoding', `descriptor is not CBOR: ${(err as Error).message}`)
  }
  const w = wrapped as { v?: unknown, op?: unknown }
  if (w?.v !== 1 || !(w.op instanceof Uint8Array)) throw new InvalidOpError('bad_shape', 'descriptor must be {v: 1, op: bytes}')
  const op = decodeOp(w.op)
  if (op.type !== 'space.create' || descriptorIdOf(op.id) !== parts[3]) throw new InvalidOpError('bad_payload', 'descriptor op is not the space.create of this space')
  return op as Op<'space.create'>
}

/** kad-dht validator for the `/spaceway/` namespace: throws on an invalid record. */
export async function validateRecord (key: Uint8Array, value: Uint8Array): Promise<void> {
  decodeDescriptor(key, value)
}

/** kad-dht selector for the `/spaceway/` namespace: index of the newest valid record. */
export function selectRecord (key: Uint8Array, records: Uint8Array[]): number {
  let best = -1
  let bestOp: Op | undefined
  records.forEach((r, i) => {
    try {
      const op = decodeDescriptor(key, r)
      if (bestOp == null || compareHlc(op.hlc, bestOp.hlc) > 0) { best = i; bestOp = op }
    } catch {}
  })
  return Math.max(0, best)
}
