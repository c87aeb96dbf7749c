/**
 * The libp2p node: TCP, noise, yamux, identify, ping, Kademlia (private protocol id, server mode,
 * loopback/LAN addresses kept), GossipSub tuned for chats of 2-50 peers, optional mDNS.
 * Only configuration lives here; behaviour (what to do with peers, topics, streams) lives in the
 * modules that use the node.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { mdns } from '@libp2p/mdns'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Ed25519PrivateKey, PeerDiscovery, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '../core/ids.js'
import { NAMESPACE, selectRecord, validateRecord } from '../dht/records.js'
import { ReservationGuard } from './relay-reservations.js'

/**
 * Most bytes a yamux stream lets its peer send ahead of what we have read (the receive window's
 * cap; yamux's default is 16 MiB). Below yamux's read buffer limit of a paused stream (4 MiB), so a
 * stream we pause for backpressure (sync) takes at most this much more before its sender waits;
 * 2 MiB per round trip still moves 20 MB/s at a 100 ms RTT.
 */
export const STREAM_WINDOW_BYTES = 2 * 1024 * 1024

/**
 * How often libp2p's connection monitor pings each connection (RTT, and closing a connection that
 * does not answer), ms; libp2p's default is 10,000. Each ping is a new stream (multistream-select,
 * 32 bytes each way, close): with 19 connections, those pings were about 13 of an idle process's
 * 17 ms of CPU per second. A dead peer's TCP connection still ends at once (RST/FIN), and yamux
 * keeps every connection alive with its own ping frame every 30 s; go-libp2p runs no such ping.
 */
export const CONNECTION_PING_MS = 60_000

/** Kademlia protocol id: ours, so the network is not the public IPFS DHT. */
export const DHT_PROTOCOL = '/spaceway/kad/1.0.0'

export type NodeServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  /** Only on the relay. */
  relay?: CircuitRelayService
}
export type SpacewayNode = Libp2p<NodeServices>

export interface NodeOptions {
  privateKey: Ed25519PrivateKey
  /** Interface to listen on (default 0.0.0.0). */
  host?: string
  /** TCP port (default 0 = any free port). */
  port?: number
  /** Enable mDNS LAN discovery (default true). */
  mdns?: boolean
  /**
   * Listen addresses instead of `/ip4/<host>/tcp/<port>` (`--relay-only` passes none). Circuit
   * addresses are added at run time, once a relay answers (RelayClient): a generic `/p2p-circuit`
   * listener would make libp2p search the DHT for relays without end whenever none is reachable.
   */
  listen?: string[]
  /**
   * Run a circuit relay v2 server (the relay). Durations in ms, data in bytes. Reservations: at
   * most `maxReservations`, one per PeerId, `maxReservationsPerIp` peers per IP (IPv6: per /64),
   * each released when its peer's last connection closes (relay-reservations.ts).
   */
  relayServer?: { maxReservations: number, maxReservationsPerIp: number, durationLimitMs: number, dataLimitBytes: number }
  /**
   * Outbound dial filter: false refuses the address (--relay-only allows only relays and circuit
   * addresses, so no peer but the relay ever learns our IP).
   */
  dialAllow?: (ma: Multiaddr) => boolean
  /** libp2p metrics implementation (the relay passes @libp2p/prometheus-metrics). */
  metrics?: (components: any) => any
  /**
   * Per-peer penalties (PeerGuard): `score` is GossipSub's application-specific score of a peer
   * (below -80 its RPCs are dropped unread), `blocked` refuses every connection with the peer.
   */
  guard?: { score: (peer: string) => number, isBlocked: (peer: string) => boolean }
  /**
   * Exempt connections from 127.0.0.0/8 from libp2p's connection limits (5 inbound connections per
   * second per IP, 10 inbound connections upgrading at once, 300 connections). For local test
   * clusters only: anyone on the host could then flood the node. Default false.
   */
  trustLoopback?: boolean
}

/** What `trustLoopback` allows past libp2p's connection limits. */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.0/ipcidr/8']

/**
 * Creates (does not start) the node. libp2p's connection limits apply to every address, loopback
 * included, unless `trustLoopback` is set.
 */
export async function createNode (options: NodeOptions): Promise<SpacewayNode> {
  const host = options.host ?? '0.0.0.0'
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (options.mdns !== false) peerDiscovery.push(mdns({ interval: 10_000 }))
  const reservations = options.relayServer != null ? new ReservationGuard(options.relayServer.maxReservationsPerIp) : undefined
  const node = await createLibp2p({
    privateKey: options.privateKey,
    start: false,
    addresses: { listen: options.listen ?? [`/ip4/${host}/tcp/${options.port ?? 0}`] },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 10_000 })],
    metrics: options.metrics,
    connectionEncrypters: [noise()],
    // a paused stream (sync: net/sync-service.ts) lets at most one window arrive unread
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: STREAM_WINDOW_BYTES } })],
    peerDiscovery,
    connectionGater: {
      ...(options.dialAllow != null ? { denyDialMultiaddr: (ma: Multiaddr) => !(options.dialAllow as (m: Multiaddr) => boolean)(ma) } : {}),
      ...(options.guard != null
        ? {
            denyDialPeer: (peer: PeerId) => (options.guard as { isBlocked: (p: string) => boolean }).isBlocked(peer.toString()),
            denyInboundEncryptedConnection: (peer: PeerId) => (options.guard as { isBlocked: (p: string) => boolean }).isBlocked(peer.toString())
          }
        : {}),
      ...(reservations != null ? { denyInboundRelayReservation: reservations.deny } : {})
    },
    connectionMonitor: { pingInterval: CONNECTION_PING_MS },
    connectionManager: {
      allow: options.trustLoopback === true ? LOOPBACK_ALLOW : [],
      dialTimeout: 10_000
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        initialQuerySelfInterval: 0,
        // Queries do not wait for the first self-query (a full lookup, ~1 s on a fresh node): our
        // DhtService answers an empty table itself (NO_DHT_PEERS, or a bootstrap before a put).
        allowQueryWithZeroPeers: true,
        validators: { [NAMESPACE]: validateRecord },
        selectors: { [NAMESPACE]: selectRecord }
      }),
      pubsub: gossipsub({
        // Ops carry their own Ed25519 signatures; the message id is the content hash, so the same op
        // published twice (by its author and by a peer that re-publishes it) is one message.
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (msg) => sha256(msg.data),
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        floodPublish: true,
        // Mesh degrees for chats of 2-50 peers (defaults D=6, D_lo=4 are for large networks).
        D: 4,
        Dlo: 2,
        Dhi: 8,
        Dout: 1,
        Dscore: 2,
        // Many peers of a LAN or a test share an IP; colocation must not graylist them. Peers that
        // send invalid ops lose score through the application-specific score (PeerGuard).
        scoreParams: {
          IPColocationFactorWeight: 0,
          ...(options.guard != null ? { appSpecificScore: (peer: string) => (options.guard as { score: (p: string) => number }).score(peer), appSpecificWeight: 1 } : {})
        },
        // Peers behind a relay (--relay-only) exchange ops over limited (relayed) connections.
        runOnLimitedConnection: true
      }),
      ...(options.relayServer != null
        ? {
            relay: circuitRelayServer({
              reservations: {
                maxReservations: options.relayServer.maxReservations,
                defaultDurationLimit: options.relayServer.durationLimitMs,
                defaultDataLimit: BigInt(options.relayServer.dataLimitBytes)
              }
            })
          }
        : {})
    }
  }) as SpacewayNode
  reservations?.attach(node)
  return node
}
