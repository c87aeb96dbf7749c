/**
 * A hostile peer for tests and the hostile bench: a plain libp2p node (the project's node config,
 * no replica, no sync service of its own) that speaks raw protocol messages.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { createNode, type SpacewayNode } from '../../src/net/node.js'
import { decodeSyncMessage, encodeSyncMessage, SYNC_PROTOCOL, type SyncMessage } from '../../src/sync/messages.js'

/** Starts a bare node on 127.0.0.1 (trusted loopback, no mDNS). Stop it with `node.stop()`. */
export async function hostileNode (): Promise<SpacewayNode> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
  await node.start()
  return node
}

/**
 * Opens a sync stream to `peer` and returns a raw channel: `send` a message, `next` reads the next
 * one (null at end of stream or after `ms`), `close`/`abort`.
 */
export async function rawSync (node: SpacewayNode, peer: string, signal = AbortSignal.timeout(20_000)): Promise<{ send: (m: SyncMessage) => Promise<void>, sendRaw: (b: Uint8Array) => void, next: (ms?: number) => Promise<SyncMessage | null>, close: () => Promise<void>, abort: () => void }> {
  const stream = await node.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
  const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024, maxBufferSize: 17 * 1024 * 1024 })
  return {
    send: async (m) => { await lp.write(encodeSyncMessage(m), { signal }) },
    sendRaw: (b) => { stream.send(b) },
    next: async (ms = 5000) => {
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
