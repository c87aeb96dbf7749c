/** Helpers that author real signed ops without a network or a store. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createOp, type Op, type OpType, type Payloads } from '../../src/core/op.js'
import { idFromString } from '../../src/core/ids.js'
import { Signer } from '../../src/core/signing.js'
import type { Hlc } from '../../src/core/hlc.js'

export async function newSigner (): Promise<Signer> {
  const key = await generateKeyPair('Ed25519')
  return new Signer(key.raw.subarray(0, 32), key.publicKey.raw)
}

/** Authors an op directly (for tests that build histories by hand). */
export function makeOp<T extends OpType> (signer: Signer, type: T, space: string | null, hlc: Hlc, deps: string[], payload: Payloads[T]): Op<T> {
  return createOp({ type, space: space == null ? null : idFromString(space), hlc, deps: deps.map(idFromString), payload }, signer)
}
