/**
 * A hostile peer for tests: the hostile bench's bare node (the project's node config, no replica,
 * no sync service of its own; bench/hostile-peer.ts), trusted on loopback, speaking raw sync messages.
 */
import { hostileNode as bareNode, rawSync } from '../../bench/hostile-peer.js'
import type { SpacewayNode } from '../../src/net/node.js'

export { rawSync }

/** Starts a bare node on 127.0.0.1 (trusted loopback, no mDNS). Stop it with `node.stop()`. */
export async function hostileNode (): Promise<SpacewayNode> {
  return await bareNode(undefined, { trustLoopback: true })
}
