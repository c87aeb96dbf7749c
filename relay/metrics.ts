/**
 * The relay's monitoring endpoint, bound to 127.0.0.1: `GET /health` (JSON) and `GET /metrics`
 * (Prometheus text: libp2p's own metrics through @libp2p/prometheus-metrics, plus ours).
 */
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, register } from 'prom-client'

/** spaceway's own relay metrics (registered once per process in prom-client's default registry). */
export const relayMetrics = {
  opsStored: new Counter({ name: 'spaceway_relay_ops_stored_total', help: 'Ops validated and stored' }),
  opsRejected: new Counter({ name: 'spaceway_relay_ops_rejected_total', help: 'Ops rejected, by reason', labelNames: ['reason'] }),
  syncServed: new Counter({ name: 'spaceway_relay_sync_sessions_total', help: 'Sync sessions completed' }),
  syncFailed: new Counter({ name: 'spaceway_relay_sync_failed_total', help: 'Sync sessions reset (malformed or hostile traffic, timeouts)' }),
  bytesServed: new Counter({ name: 'spaceway_relay_sync_bytes_served_total', help: 'Sync bytes sent to peers' }),
  peersBlocked: new Counter({ name: 'spaceway_relay_peers_blocked_total', help: 'Peers disconnected and blocked for sending invalid ops' }),
  spacesRefused: new Counter({ name: 'spaceway_relay_spaces_refused_total', help: 'Requests to hold a space refused (max spaces)' }),
  spaces: new Gauge({ name: 'spaceway_relay_spaces', help: 'Spaces held' }),
  ops: new Gauge({ name: 'spaceway_relay_ops', help: 'Ops stored' }),
  peers: new Gauge({ name: 'spaceway_relay_connected_peers', help: 'Connected peers' }),
  reservations: new Gauge({ name: 'spaceway_relay_reservations', help: 'Circuit relay reservations' }),
  syncSessions: new Gauge({ name: 'spaceway_relay_sync_sessions', help: 'Sync sessions running' }),
  heldOps: new Gauge({ name: 'spaceway_relay_held_ops', help: 'Ops held back for missing deps' }),
  deferredOps: new Gauge({ name: 'spaceway_relay_deferred_ops', help: 'Ops from the future kept until due' }),
  blockedPeers: new Gauge({ name: 'spaceway_relay_blocked_peers', help: 'Peers blocked for sending invalid ops' }),
  peerRelays: new Gauge({ name: 'spaceway_relay_peer_relays_connected', help: 'Configured peer relays connected' })
}

/**
 * What `/health` reports: every slot a peer can take. `spaces` held; `joining` spaces wanted whose
 * space.create has not arrived; `syncSessions` running; `heldOps` waiting for deps; `deferredOps`
 * from the future; `blockedPeers` refused for sending invalid ops; `peerRelays` configured
 * (`--peer-relay`) and found through the DHT, `peerRelaysConnected` now, `discoveredRelays` of them
 * found through the DHT (held, checked or not yet).
 */
export interface Health { healthy: boolean, connectedPeers: number, reservations: number, spaces: number, joining: number, ops: number, syncSessions: number, heldOps: number, deferredOps: number, blockedPeers: number, peerRelays: number, peerRelaysConnected: number, discoveredRelays: number, uptimeS: number, memory: { rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number } }

/**
 * Serves /health and /metrics on 127.0.0.1:`port` (0 = any free port). Resolves once listening.
 * @throws the listen error (e.g. EADDRINUSE)
 */
export async function serveMetrics (port: number, health: () => Health): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') { res.writeHead(405).end(); return }
    if (path === '/health') {
      const h = health()
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h))
      return
    }
    if (path === '/metrics') {
      const h = health()
      relayMetrics.spaces.set(h.spaces)
      relayMetrics.ops.set(h.ops)
      relayMetrics.peers.set(h.connectedPeers)
      relayMetrics.reservations.set(h.reservations)
      relayMetrics.syncSessions.set(h.syncSessions)
      relayMetrics.heldOps.set(h.heldOps)
      relayMetrics.deferredOps.set(h.deferredOps)
      relayMetrics.blockedPeers.set(h.blockedPeers)
      relayMetrics.peerRelays.set(h.peerRelaysConnected)
      register.metrics().then(text => {
        res.writeHead(200, { 'content-type': register.contentType }).end(text)
      }, (err: Error) => { res.writeHead(500).end(err.message) })
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /health or /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  return server
}
