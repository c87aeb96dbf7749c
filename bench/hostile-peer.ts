/**
 * A hostile peer for the hostile bench: a plain libp2p node (the project's node configuration, no
 * replica, no sync service of its own) that speaks raw sync messages, and helpers that sign ops by
 * hand (any HLC, any deps). Tests use it too (test/helpers/hostile.ts).
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Hlc } from '../src/core/hlc.js'
import { syncIdOf } from '../src/core/rendezvous.js'
import { idFromString, idToString } from '../src/core/ids.js'
import { createOp, decodeOp, type Op, type OpType, type Payloads } from '../src/core/op.js'
import { Signer } from '../src/core/signing.js'
import { createNode, type SpacewayNode } from '../src/net/node.js'
import { decodeSyncMessage, encodeSyncMessage, SYNC_PROTOCOL, type SyncMessage } from '../src/sync/messages.js'

/**
 * Starts a bare node on 127.0.0.1 (no mDNS) and dials `addr` if given (`trustLoopback`: exempt
 * from libp2p's connection limits, as tests want). Stop it with `node.stop()`.
 */
export async function hostileNode (addr?: string, options: { trustLoopback?: boolean } = {}): Promise<SpacewayNode> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: options.trustLoopback })
  await node.start()
  if (addr != null) await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })
  return node
}

/** A raw sync stream: `send` a message, `next` reads one (null at end of stream, reset or after `ms`). */
export interface RawSync {
  send: (m: SyncMessage) => Promise<void>
  /** Writes bytes as they are (no length prefix added); false when the stream's buffer is full. */
  sendRaw: (b: Uint8Array) => boolean
  next: (ms?: number) => Promise<SyncMessage | null>
  close: () => Promise<void>
  abort: () => void
}

/** Opens a sync stream to `peer` (a PeerId string). */
export async function rawSync (node: SpacewayNode, peer: string, signal = AbortSignal.timeout(30_000)): Promise<RawSync> {
  const stream = await node.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
  const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024, maxBufferSize: 17 * 1024 * 1024 })
  return {
    send: async (m) => { await lp.write(encodeSyncMessage(m), { signal }) },
    sendRaw: (b) => stream.send(b),
    next: async (ms = 10_000) => {
      try {
        return decodeSyncMessage((await lp.read({ signal: AbortSignal.any([signal, AbortSignal.timeout(ms)]) })).subarray())
      } catch {
        return null
      }
    },
    close: async () => { await stream.close().catch(() => {}) },
    abort: () => { stream.abort(new Error('bye')) }
  }
}

/** A fresh Ed25519 signer (a new user). */
export function newSigner (): Signer {
  return Signer.fromSeed(new Uint8Array(randomBytes(32)))
}

/** Signs an op by hand: any HLC, any deps. */
export function makeOp<T extends OpType> (signer: Signer, type: T, space: string | null, hlc: Hlc, deps: string[], payload: Payloads[T]): Op<T> {
  return createOp({ type, space: space == null ? null : idFromString(space), hlc, deps: deps.map(idFromString), payload }, signer)
}

/** The user id of a signer. */
export const userId = (s: Signer): string => idToString(s.publicKey)

/** A random 52-character op (or space) id. */
export const randomId = (): string => idToString(new Uint8Array(randomBytes(32)))

/**
 * Pushes ops of `spaceId` to `peer` in one raw sync session: a `rec` whose only range is the id
 * list `ids` (default: the ids of `batches`), then, when the peer answers with its `rec` (and its
 * `want`), every batch as one `ops` message, then `done`. Returns the `ops` messages written and the
 * ops the peer sent us meanwhile. Ends early (without throwing) when the peer resets the stream or
 * closes the connection.
 */
export async function pushOps (node: SpacewayNode, peer: string, spaceId: string, batches: Uint8Array[][], ids?: string[], signal?: AbortSignal): Promise<{ written: number, received: number, outcome: string }> {
  const list = ids ?? [...new Set(batches.flat().map(b => decodeOp(b, { verify: false }).id))]
  let written = 0
  let received = 0
  let ch: RawSync
  try {
    ch = await rawSync(node, peer, signal)
    await ch.send({ t: 'rec', space: syncIdOf(spaceId), ranges: [{ upper: null, mode: 'ids', ids: list }], want: [] })
  } catch (err) {
    return { written, received, outcome: `refused (${(err as Error).message})` }
  }
  for (;;) {
    const m = await ch.next()
    if (m == null) return { written, received, outcome: 'reset' }
    if (m.t === 'ops') { received += m.ops.length; continue }
    if (m.t !== 'rec') return { written, received, outcome: m.t }
    try {
      for (const b of batches) {
        await ch.send({ t: 'ops', ops: b })
        written++
      }
      await ch.send({ t: 'done' })
    } catch {
      return { written, received, outcome: 'reset' }
    }
    // the peer closes once it has applied what we sent
    while (await ch.next() != null) {}
    await ch.close()
    return { written, received, outcome: 'done' }
  }
}

/**
 * Pulls every op of `spaceId` from `peer` (an honest session opened with an empty id list).
 * Returns the ops' signed bytes and the sync bytes received.
 */
export async function pullAll (node: SpacewayNode, peer: string, spaceId: string): Promise<{ ops: Uint8Array[], bytes: number }> {
  const ch = await rawSync(node, peer)
  await ch.send({ t: 'rec', space: syncIdOf(spaceId), ranges: [{ upper: null, mode: 'ids', ids: [] }], want: [] })
  const ops: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const m = await ch.next()
    if (m == null || m.t !== 'ops') break
    bytes += encodeSyncMessage(m).length
    ops.push(...m.ops)
  }
  await ch.close()
  return { ops, bytes }
}
