/**
 * The relay: an always-on peer built from the client's modules. It is a circuit relay v2 server, a
 * Kademlia server and bootstrap peer, and a store-and-forward replica: it starts holding a space when
 * a client reconciles it (the `rec` of the sync protocol, docs/PROTOCOL.md "Relays"), subscribes to the
 * space's topic, validates every op exactly as a client does (the same Replica), stores it in LevelDB
 * and serves the sync protocol. It never authors ops (it has no right to: ops are signed by members).
 * With `peerRelays` it also reconciles every space it holds with other relays (peering.ts), so each
 * backs the others up; and it finds more relays to peer with through the DHT (discovery.ts).
 */
import { mkdir } from 'node:fs/promises'
import { META } from '../src/store/layout.js'
import type { Server } from 'node:http'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { loadOrCreateAccount, type Account } from '../src/account.js'
import { ListenError } from '../src/errors.js'
import { Replica, type ReplicaLimits } from '../src/replica.js'
import { OpStore } from '../src/store/op-store.js'
import { createNode, type SpacewayNode } from '../src/net/node.js'
import { SyncService } from '../src/net/sync-service.js'
import { SpaceTopics } from '../src/net/topics.js'
import { memoryInfo } from '../src/network-info.js'
import { PeerPool, type PeerRecord } from '../src/dht/peer-pool.js'
import { Bootstrapper } from '../src/dht/bootstrapper.js'
import { DhtService } from '../src/dht/dht-service.js'
import { Announcer } from '../src/dht/announcer.js'
import { serveMetrics, relayMetrics, type Health } from './metrics.js'
import { repairGaps } from '../src/net/gap-repair.js'
import { PeerGuard } from '../src/net/peer-guard.js'
import { spaceAccess } from '../src/net/access.js'
import { PeerBuckets } from './rate-limit.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { forwardSynced } from './forward.js'
import { parsePeerRelays, RelayPeering, PEERING_DEFAULTS, MAX_DISCOVERED_RELAYS, type PeerRelayState } from './peering.js'
import { RelayDiscovery, DISCOVERY_DEFAULTS, type DiscoveryState } from './discovery.js'
import { speaksRelay } from '../src/net/relay-check.js'

const log = logger('spaceway:relay')

/** The relay's budgets of ops checked (net/peer-guard.ts): per peer, and over all peers. */
export const RELAY_GUARD = { opsPerSecond: 2_000, totalOpsPerSecond: 10_000 }

export interface RelayOptions {
  /** Data directory: `relay.key` (the relay's identity) and `db/` (LevelDB). */
  dataDir: string
  host: string
  port: number
  /** Port of /health and /metrics on 127.0.0.1 (0 = any free port). */
  metricsPort: number
  /** Circuit relay v2: most reservations, and each relayed connection's duration (ms) and data (bytes). */
  maxReservations: number
  /** Most peers from one IP address (IPv6: one /64) holding a reservation at once. */
  maxReservationsPerIp: number
  circuitDurationMs: number
  circuitDataBytes: number
  /** Store-and-forward limits. */
  maxSpaces: number
  limits: ReplicaLimits
  /** Live ops accepted per peer per second (GossipSub), with a burst of 10 s worth. */
  maxOpRate: number
  /** Largest sync message accepted, bytes. */
  maxMessageBytes: number
  /** Spaces one peer may make the relay hold. */
  maxSpacesPerPeer: number
  /** Bytes of ops one peer may have stored: a bucket of this rate (bytes/s) with a burst of 256 s worth. */
  storeBytesPerSecond: number
  /** Other peers to bootstrap from (other relays). */
  bootstrap?: string[]
  /**
   * Peer relays (`--peer-relay`): multiaddrs with `/p2p/<PeerId>`, dialed and kept connected; every
   * space held is reconciled with each (peering.ts). A peer relay may hold private spaces'
   * ciphertext and is exempt from the per-peer quotas (spaces per peer, bytes stored per second,
   * live ops per second, bytes served): what it hands over passed those same per-peer limits at
   * its own relay. Global limits (spaces held, ops and bytes per space, message size, sync
   * sessions, ops checked per second, invalid ops) still apply. Default none.
   */
  peerRelays?: string[]
  /** Period of anti-entropy with the peer relays, ms (default 30,000, jittered +-20%). */
  peerSyncIntervalMs?: number
  /**
   * Find other relays through the DHT and peer with them (discovery.ts; default true). Discovered
   * relays get no trust: per-peer quotas apply and private spaces are not reconciled with them.
   */
  discoverRelays?: boolean
  /** Most relays found through the DHT peered with at once (default 8; configured ones on top). */
  maxDiscoveredRelays?: number
  /** Period of the relays lookup once it found some, ms (default 600,000; quicker while it finds none). */
  discoverIntervalMs?: number
  /** Exempt 127.0.0.0/8 from libp2p's connection limits (local test clusters; default false). */
  trustLoopback?: boolean
}

export const RELAY_DEFAULTS: Omit<RelayOptions, 'dataDir'> = {
  host: '0.0.0.0',
  port: 9000,
  metricsPort: 9090,
  maxReservations: 256,
  maxReservationsPerIp: 16,
  circuitDurationMs: 60 * 60_000,
  circuitDataBytes: 256 * 1024 * 1024,
  maxSpaces: 1000,
  limits: { maxOpsPerSpace: 1_000_000, maxBytesPerSpace: 512 * 1024 * 1024 },
  maxOpRate: 50,
  maxMessageBytes: 4 * 1024 * 1024,
  maxSpacesPerPeer: 16,
  storeBytesPerSecond: 256 * 1024,
  peerSyncIntervalMs: PEERING_DEFAULTS.intervalMs,
  discoverRelays: true,
  maxDiscoveredRelays: MAX_DISCOVERED_RELAYS,
  discoverIntervalMs: DISCOVERY_DEFAULTS.lookupIntervalMs
}

/** True for a listen host on loopback (127.0.0.0/8, ::1, localhost): discovered relays must be too. */
function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

let metricsTaken = false
/**
 * libp2p's metrics for prom-client's default registry. Its metric names are fixed, so only the first
 * relay of a process (in practice: the only one) gets them; others (tests) run without.
 */
function libp2pMetrics (): ReturnType<typeof prometheusMetrics> | undefined {
  if (metricsTaken) return undefined
  metricsTaken = true
  // keep spaceway's own metrics (registered at import) in the shared registry
  return prometheusMetrics({ preserveExistingMetrics: true })
}

export class RelayServer {
  private readonly startedAt = Date.now()
  private stopping?: Promise<void>
  private stopGapRepair: (() => void) | undefined
  private stopForward: (() => void) | undefined

  private constructor (
    readonly account: Account,
    readonly store: OpStore,
    readonly replica: Replica,
    readonly node: SpacewayNode,
    readonly sync: SyncService,
    readonly topics: SpaceTopics,
    readonly bootstrapper: Bootstrapper,
    readonly announcer: Announcer,
    private readonly dht: DhtService,
    readonly guard: PeerGuard,
    readonly peering: RelayPeering,
    readonly discovery: RelayDiscovery | undefined,
    private http: Server | undefined
  ) {}

  /**
   * Starts the relay.
   * @throws AccountFileError, DataDirLockedError, ListenError (port in use), BadArgumentError (a
   *   malformed peer relay address: see parsePeerRelays)
   */
  static async start (options: RelayOptions): Promise<RelayServer> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
    const account = await loadOrCreateAccount(join(options.dataDir, 'relay.key'))
    const peerRelays = parsePeerRelays(options.peerRelays ?? [], account.peerId)
    const peerRelayIds = new Set(peerRelays.map(p => p.peerId))
    // configured peer relays: trusted with ciphertext, past per-peer quotas (RelayOptions.peerRelays)
    const trusted = (peer: string): boolean => peerRelayIds.has(peer)
    const store = await OpStore.open(join(options.dataDir, 'db'))
    let node: SpacewayNode | undefined
    try {
      // A relay serves many clients: one peer may make it check at most 2,000 ops/s (a quarter of a
      // core), not a client's 8,000 (which lets a member catch up fast); it stores what a client
      // brings at --store-rate anyway.
      const guard = new PeerGuard(RELAY_GUARD)
      const storeQuota = new PeerBuckets(options.storeBytesPerSecond, options.storeBytesPerSecond * 256)
      const replica = new Replica(store, account.signer, { limits: options.limits, guard, admitStore: (peer, bytes) => trusted(peer) || storeQuota.take(peer, bytes) })
      await replica.init()
      const adoptedBy = new Map<string, number>()
      for (const [, peer] of await store.metaRange<string>(META.adoptedPrefix)) adoptedBy.set(peer, (adoptedBy.get(peer) ?? 0) + 1)
      node = await createNode({
        privateKey: account.privateKey,
        mdns: false,
        listen: [`/ip4/${options.host}/tcp/${options.port}`],
        relayServer: { maxReservations: options.maxReservations, maxReservationsPerIp: options.maxReservationsPerIp, durationLimitMs: options.circuitDurationMs, dataLimitBytes: options.circuitDataBytes },
        metrics: libp2pMetrics(),
        guard,
        trustLoopback: options.trustLoopback
      })
      guard.on('misbehaving', (peer, reason) => {
        log('peer %s sent too many invalid ops (last: %s): disconnecting it', peer, reason)
        relayMetrics.peersBlocked.inc()
        node?.hangUp(peerIdFromString(peer)).catch(() => {})
      })
      const rate = new PeerBuckets(options.maxOpRate, options.maxOpRate * 10)
      const topics = new SpaceTopics(node, replica, (peer) => trusted(peer) || rate.take(peer))
      // private spaces: ciphertext to members (and joiners with an invite) and configured peer relays only
      const access = spaceAccess(replica, trusted)
      const sync = new SyncService(node, replica, {
        maxMessageBytes: options.maxMessageBytes,
        access,
        unmetered: trusted,
        adoption: {
          // a slot is taken only once the space's valid space.create is in hand (sync-service.ts)
          mayAdopt: (spaceId, peer) => {
            const why = replica.spaceCount >= options.maxSpaces
              ? `${replica.spaceCount} spaces held`
              : !trusted(peer) && (adoptedBy.get(peer) ?? 0) >= options.maxSpacesPerPeer ? `${peer} brought ${options.maxSpacesPerPeer} spaces already` : null
            if (why == null) return true
            relayMetrics.spacesRefused.inc()
            log('refused to hold space %s for %s: %s', spaceId, peer, why)
            return false
          },
          adopted: (spaceId, peer) => {
            log('holding space %s for %s', spaceId, peer)
            adoptedBy.set(peer, (adoptedBy.get(peer) ?? 0) + 1)
            void replica.want(spaceId)
            void store.setMeta(META.adopted(spaceId), peer).catch(() => {})
            topics.subscribe(spaceId)
          }
        }
      })
      const pool = new PeerPool(store.jsonSublevel<PeerRecord>('peers'))
      await pool.load()
      const bootstrapper = new Bootstrapper(node, pool, { bootstrap: [...(options.bootstrap ?? []), ...peerRelays.flatMap(p => p.addrs.map(a => a.toString()))] })
      const dht = new DhtService(node, bootstrapper)
      const announcer = new Announcer(dht, store, bootstrapper)
      const maxDiscovered = options.maxDiscoveredRelays ?? MAX_DISCOVERED_RELAYS
      let discovery: RelayDiscovery | undefined
      const created = node
      const peering = new RelayPeering(node, sync, {
        spaces: () => store.spaces.keys(),
        opCount: (spaceId) => store.spaces.get(spaceId)?.size
      }, peerRelays, { intervalMs: options.peerSyncIntervalMs ?? PEERING_DEFAULTS.intervalMs }, Math.random, {
        maxDiscovered,
        verify: async (peer, signal) => await speaksRelay(created, peer, signal),
        onDropped: (peer) => { discovery?.droppedRelay(peer) },
        mayShare: (peer, spaceId) => access(peer, spaceId) == null
      })
      if (options.discoverRelays !== false) {
        discovery = new RelayDiscovery(dht, bootstrapper, peering, account.peerId, isLoopbackHost(options.host), { lookupIntervalMs: options.discoverIntervalMs ?? DISCOVERY_DEFAULTS.lookupIntervalMs }, maxDiscovered)
      }
      const relay = new RelayServer(account, store, replica, node, sync, topics, bootstrapper, announcer, dht, guard, peering, discovery, undefined)
      relay.wire()
      await sync.start()
      try {
        await node.start()
      } catch (err) {
        throw new ListenError(`cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, { cause: err })
      }
      for (const spaceId of [...store.spaces.keys(), ...replica.joiningSpaces()]) topics.subscribe(spaceId)
      for (const spaceId of store.spaces.keys()) announcer.announce(spaceId)
      bootstrapper.start()
      peering.start()
      discovery?.start()
      try {
        relay.http = await serveMetrics(options.metricsPort, () => relay.health())
      } catch (err) {
        await relay.stop()
        throw new ListenError(`cannot serve metrics on 127.0.0.1:${options.metricsPort}: ${(err as Error).message}`, { cause: err })
      }
      return relay
    } catch (err) {
      if (node != null) await Promise.resolve(node.stop()).catch(() => {})
      await store.close()
      throw err
    }
  }

  private wire (): void {
    this.replica.on('op', (op) => {
      relayMetrics.opsStored.inc()
      if (op.type === 'space.create') this.announcer.announce(op.spaceId)
    })
    this.replica.on('rejected', (reason) => { relayMetrics.opsRejected.inc({ reason }) })
    this.sync.on('synced', (peer, stats) => {
      relayMetrics.syncServed.inc()
      // new ops arrived by sync (a space just adopted, a client's offline writes, a peer relay's
      // backlog): pass them on to the other peer relays
      if (stats.opsReceived > 0 && this.store.spaces.has(stats.spaceId)) this.peering.touched(stats.spaceId, peer)
    })
    this.sync.on('failed', () => { relayMetrics.syncFailed.inc() })
    this.sync.on('sent', (_peer, bytes) => { relayMetrics.bytesServed.inc(bytes) })
    // Besides peering (peering.ts), a relay starts sessions only to repair a causal gap: an op whose
    // deps it lacks (e.g. a new member's first message gossiped before its member.join reached it).
    this.stopGapRepair = repairGaps(this.replica, this.sync)
    // ops that came by sync (a client's push, a peer relay) reach the members connected here live
    this.stopForward = forwardSynced(this.replica, async (op) => await this.topics.publish(op, { meshOnly: true }))
  }

  /** Dialable addresses (with /p2p/). */
  addresses (): string[] {
    return this.node.getMultiaddrs().map(a => a.toString())
  }

  /** Port of the /health and /metrics endpoint. */
  metricsPort (): number {
    const a = this.http?.address()
    return typeof a === 'object' && a != null ? a.port : 0
  }

  health (): Health {
    // Ops durably written: what the relay has acknowledged.
    const ops = this.replica.committed
    return {
      healthy: this.node.status === 'started',
      connectedPeers: this.node.getPeers().length,
      reservations: this.node.services.relay?.reservations.size ?? 0,
      spaces: this.store.spaces.size,
      joining: this.replica.joiningSpaces().length,
      ops,
      syncSessions: this.sync.sessionCount,
      heldOps: this.replica.heldCount,
      deferredOps: this.replica.deferredCount,
      blockedPeers: this.guard.blockedPeers().length,
      peerRelays: this.peering.size,
      peerRelaysConnected: this.peering.connectedCount(),
      discoveredRelays: this.peering.discoveredCount(),
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      memory: memoryInfo()
    }
  }

  /** State of each peer relay (configured, and found through the DHT). */
  peerRelays (): PeerRelayState[] {
    return this.peering.list()
  }

  /** State of DHT discovery of relays (undefined when turned off). */
  discoveryState (): DiscoveryState | undefined {
    return this.discovery?.state()
  }

  /** Stops everything and closes LevelDB. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.stopGapRepair?.()
      this.stopForward?.()
      this.discovery?.stop()
      this.peering.stop()
      this.announcer.stop()
      this.bootstrapper.stop()
      this.dht.stop()
      await new Promise<void>(resolve => { if (this.http == null) resolve(); else this.http.close(() => resolve()) })
      await this.sync.stop()
      await Promise.resolve(this.node.stop()).catch((err: Error) => { log.error('node stop failed: %s', (err as Error).message) })
      await this.replica.close()
      await this.store.close()
    })()
    await this.stopping
  }
}
