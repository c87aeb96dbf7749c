/**
 * The `network` report: who we are, where we listen, every connection, the Kademlia routing table,
 * GossipSub mesh per space topic, and sync figures.
 */
import type { App } from './app.js'
import { spaceView } from './views.js'

/** Number of peers in the Kademlia routing table (the table lives on the implementation). */
export function routingTableSize (app: App): number {
  return (app.node.services.dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0
}

/**
 * This process's memory, bytes (node:process memoryUsage): resident set, V8 heap used and reserved,
 * memory outside the heap held by JS objects (`external`, of which `arrayBuffers` is buffers).
 */
export function memoryInfo (): { rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number } {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external, arrayBuffers }
}

/** Data of the `network` command (docs/cli-json.md). */
export function networkInfo (app: App) {
  const { node } = app
  const connections = node.getConnections().map(c => ({
    peerId: c.remotePeer.toString(),
    addr: c.remoteAddr.toString(),
    direction: c.direction,
    transport: c.remoteAddr.getComponents().some(x => x.name === 'p2p-circuit') ? 'circuit-relay' : (c.remoteAddr.getComponents().find(x => x.name === 'tcp' || x.name === 'udp' || x.name === 'ws')?.name ?? 'unknown'),
    rttMs: c.rtt ?? null,
    status: c.status,
    limited: c.limits != null,
    openedAt: c.timeline.open
  }))
  const spaces = [...app.store.spaces.values()].map(s => ({
    spaceId: s.info.spaceId,
    name: spaceView(s).name,
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
    dht: {
      mode: node.services.dht.getMode(),
      routingTableSize: routingTableSize(app),
      queryTimeoutMs: app.dht.currentTimeout(),
      queries: app.dht.stats.summary(),
      lastBootstrap: app.bootstrapper.last,
      failedBootstraps: app.bootstrapper.failures,
      nextCheckAt: app.bootstrapper.nextCheckAt,
      peerPool: app.pool.size
    },
    announcements: app.announcer.list(),
    relays: app.relays.list(),
    spaces,
    joining: app.replica.joiningSpaces(),
    heldOps: app.replica.heldCount,
    evictedOps: app.replica.evictedCount,
    deferredOps: app.replica.deferredCount,
    rejectedOps: Object.fromEntries(app.replica.rejectedByReason),
    ignoredOps: Object.fromEntries(app.replica.ignoredByReason),
    peers: { blocked: app.guard.blockedPeers(), ...app.guard.stats },
    sync: { ...app.sync.totals, running: app.sync.sessionCount },
    memory: memoryInfo(),
    dataDir: app.dataDir
  }
}

/** Data of the `dht` command: the Kademlia routing table by bucket (prefix of the XOR distance). */
export function dhtTable (app: App): { size: number, buckets: Array<{ prefix: string, depth: number, peers: Array<{ peerId: string, lastPing: number | null }> }> } {
  type Bucket = { prefix: string, depth: number, peers?: Array<{ peerId: { toString: () => string }, lastPing: number }>, left?: Bucket, right?: Bucket }
  const table = (app.node.services.dht as unknown as { routingTable?: { kb?: { root: Bucket } } }).routingTable
  const buckets: Array<{ prefix: string, depth: number, peers: Array<{ peerId: string, lastPing: number | null }> }> = []
  const walk = (b: Bucket | undefined): void => {
    if (b == null) return
    if (b.peers != null) {
      if (b.peers.length > 0) buckets.push({ prefix: b.prefix, depth: b.depth, peers: b.peers.map(p => ({ peerId: p.peerId.toString(), lastPing: p.lastPing > 0 ? p.lastPing : null })) })
      return
    }
    walk(b.left)
    walk(b.right)
  }
  walk(table?.kb?.root)
  return { size: routingTableSize(app), buckets }
}
