/**
 * The `network` report: who we are, where we listen, every connection, the Kademlia routing table,
 * GossipSub mesh per space topic, and sync figures.
 */
import type { App } from './app.js'
import { sanitizeText } from './core/sanitize.js'

/** Number of peers in the Kademlia routing table (the table lives on the implementation). */
export function routingTableSize (app: App): number {
  return (app.node.services.dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0
}

/** Data of the `network` command (docs/cli-json.md). */
export function networkInfo (app: App) {
  const { node } = app
  const connections = node.getConnections().map(c => ({
    peerId: c.remotePeer.toString(),
    addr: c.remoteAddr.toString(),
    direction: c.direction,
    status: c.status,
    limited: c.limits != null,
    openedAt: c.timeline.open
  }))
  const spaces = [...app.store.spaces.values()].map(s => ({
    spaceId: s.info.spaceId,
    name: sanitizeText(s.info.name),
    ops: s.size,
    heads: s.heads.size,
    meshPeers: app.topics.meshPeers(s.info.spaceId).length,
    subscribers: app.topics.subscribers(s.info.spaceId).length
  }))
  return {
    peerId: node.peerId.toString(),
    userId: app.account.userId,
    addrs: app.addresses(),
    connections,
    routingTable: { size: routingTableSize(app) },
    dhtMode: node.services.dht.getMode(),
    spaces,
    joining: app.replica.joiningSpaces(),
    heldOps: app.replica.heldCount,
    rejectedOps: Object.fromEntries(app.replica.rejectedByReason),
    sync: { ...app.sync.totals },
    dataDir: app.dataDir
  }
}
