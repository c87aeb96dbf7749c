/**
 * The running client: account, store, replica and libp2p node wired together, and the operations the
 * commands call. Start order matters (see CONVENTIONS.md): protocol handlers and event listeners are
 * registered before the node starts, topics are subscribed right after, and only then are peers
 * dialed.
 */
import { EventEmitter } from 'node:events'
import { META, SUBLEVELS } from './store/layout.js'
import { mkdir } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import { type Account, defaultDataDir, loadOrCreateAccount } from './account.js'
import { BadArgumentError, ListenError, PermissionError } from './errors.js'
import { DEFAULT_RELAY, RelayClient } from './net/relay-client.js'

export { DEFAULT_RELAY }
import type { Op, OpType, Payloads } from './core/op.js'
import type { SealableType } from './core/envelope.js'
import { KeyManager, splitPayload } from './key-manager.js'
import { acceptDmInvites } from './dm-actions.js'
import { KeyRing } from './store/keyring.js'
import { Replica } from './replica.js'
import { OpStore } from './store/op-store.js'
import { createNode, DHT_PROTOCOL, type SpacewayNode } from './net/node.js'
import { SyncService, type SyncProgress } from './net/sync-service.js'
import { spaceAccess } from './net/access.js'
import type { JoinAuth } from './sync/messages.js'
import { SpaceTopics } from './net/topics.js'
import { repairGaps } from './net/gap-repair.js'
import { PeerPool, type PeerRecord } from './dht/peer-pool.js'
import { Bootstrapper } from './dht/bootstrapper.js'
import { DhtService } from './dht/dht-service.js'
import { Announcer } from './dht/announcer.js'
import { displayName, type MessageView } from './views.js'
import { eventsOf, type SpaceEventMap } from './space-events.js'
import { MEMBERSHIP_TYPES, REASON_CODES } from './core/auth.js'
import { PeerGuard } from './net/peer-guard.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { RelayLearning } from './net/relay-learning.js'
import { FLUSH_MS, Outbox, type FlushResult } from './net/outbox.js'
import type { SpaceReach } from './net/reach.js'
import { DiscoveryDialer } from './net/discovery-dialer.js'
import { Foreground } from './net/foreground.js'

const log = logger('spaceway:app')

export interface AppOptions {
  /** Key file path (created on first use). */
  account: string
  /** LevelDB directory (default: beside the key file, `<key file>.data`). */
  dataDir?: string
  /** Listen host (default 0.0.0.0). */
  host?: string
  /** Listen port (default 0 = any free port). */
  port?: number
  /** mDNS discovery (default true). */
  mdns?: boolean
  /** Multiaddrs dialed at start (in the background). */
  bootstrap?: string[]
  /** Period of anti-entropy sync per space with one subscribed peer, ms (default 30,000). */
  antiEntropyMs?: number
  /** Bound of each DHT query, ms (default 10,000). */
  dhtTimeoutMs?: number
  /** Period of the empty-routing-table check, ms (default 15,000). */
  dhtCheckMs?: number
  /** Relay multiaddrs (default: DEFAULT_RELAY, tried quietly). */
  relays?: string[]
  /** No public listener: reachable only through relay circuits (needs a relay). */
  relayOnly?: boolean
  /** Exempt 127.0.0.0/8 from libp2p's connection limits (local test clusters; default false). */
  trustLoopback?: boolean
}

export interface AppEvents {
  /** A message from another author was accepted. */
  message: [MessageView]
  /** Edits, deletions and membership changes (space-events.ts). */
  'message:edit': [SpaceEventMap['message:edit']]
  'message:delete': [SpaceEventMap['message:delete']]
  'message:react': [SpaceEventMap['message:react']]
  'member:join': [SpaceEventMap['member:join']]
  'member:leave': [SpaceEventMap['member:leave']]
  'member:role': [SpaceEventMap['member:role']]
  /** An op from a peer was rejected (`reason`: a stable tag such as bad_signature or not_member). */
  'op:rejected': [{ reason: string, peerId: string | null, message: string }]
  'peer:connect': [peerId: string]
  'peer:disconnect': [peerId: string]
  /** Something the status line shows changed (peers, spaces, context, relays). */
  change: []
  /** A sync is bringing ops here (started, progress, done). */
  sync: [SyncProgress]
  /** A member opened direct messages with us (`spaceId`; `via`: the space the invite came through). */
  dm: [{ spaceId: string, via: string, from: { userId: string, name: string } }]
  /** A key of a private space arrived: its sealed names and messages may be read now. */
  key: [{ spaceId: string }]
  /** A member sent us a key box or share that does not hold the key it names (`op`); the space is re-keyed. */
  'key:forged': [{ spaceId: string, from: { userId: string, name: string }, op: string }]
  /** An op was applied to a space we hold (`local`: authored here); after the events it produces. */
  applied: [op: Op, local: boolean]
  /** An op authored here was published to `recipients` peers (0: nobody subscribed; sync delivers it later). */
  published: [op: Op, recipients: number]
  /** A relay refused to hold a space of ours (full, or our share taken): offline members cannot catch up through it. */
  'relay:refused': [{ peerId: string, spaceId: string }]
}

/** How long after a peer subscribes to a space topic we reconcile with it (if nothing else did), ms. */
export const SUBSCRIBER_SYNC_DELAY_MS = 300
/** A session the subscriber opened this long before its subscription arrived still counts, ms. */
export const SUBSCRIBER_SYNC_WINDOW_MS = 2000


/** Current space and channel (null where none). */
export interface Context { spaceId: string | null, channelId: string | null }

/** --relay-only: dial only the relays themselves and circuit addresses through them. */
function relayOnlyDialFilter (relays: string[]): (ma: { toString: () => string }) => boolean {
  const prefixes = relays.map(r => r.split('/p2p/')[0])
  return (ma) => {
    const text = ma.toString()
    return text.includes('/p2p-circuit') || prefixes.some(p => text === p || text.startsWith(p + '/'))
  }
}

export class App extends EventEmitter<AppEvents> {
  context: Context = { spaceId: null, channelId: null }
  /** Credentials of spaces being joined with an invite (sync sessions open with them). */
  readonly joinAuth = new Map<string, JoinAuth>()
  /** Spaces hidden from `spaces` (direct messages with a user we blocked, that we cannot leave). */
  readonly hidden = new Set<string>()
  private timer?: NodeJS.Timeout
  private stopGapRepair: (() => void) | undefined
  /** Relays learned from members, and telling them ours (net/relay-learning.ts). */
  readonly learning: RelayLearning
  /** Our relays, a space's subscribers, and sync with one of them (net/reach.ts). */
  readonly reach: SpaceReach
  /** Spaces with own ops no completed sync has carried yet; pushed once more on stop (net/outbox.ts). */
  readonly outbox: Outbox
  private readonly stopping = new AbortController()
  /** The step `stop` is in (e.g. `closing connections`), null before it starts: named when a stop is forced. */
  stopPhase: string | null = null
  /** Aborts when `stop` begins: background work of the client (e.g. net/key-pull.ts) ends with it. */
  get stopSignal (): AbortSignal {
    return this.stopping.signal
  }

  private constructor (
    readonly account: Account,
    readonly dataDir: string,
    readonly store: OpStore,
    readonly replica: Replica,
    readonly node: SpacewayNode,
    readonly sync: SyncService,
    readonly topics: SpaceTopics,
    readonly pool: PeerPool,
    readonly bootstrapper: Bootstrapper,
    readonly dht: DhtService,
    readonly announcer: Announcer,
    readonly relays: RelayClient,
    readonly guard: PeerGuard,
    readonly keys: KeyManager,
    /** Busy while a user-facing network operation runs; background network work holds back then. */
    readonly foreground: Foreground,
    private readonly options: AppOptions
  ) {
    super()
    const loopback = options.host === 'localhost' || options.host?.startsWith('127.') === true
    this.learning = new RelayLearning(node, replica, relays, { loopback, learn: options.relayOnly !== true, db: store.jsonSublevel(SUBLEVELS.relays) })
    this.reach = {
      syncWith: async (peer, spaceId, o) => await sync.syncWith(peer, spaceId, o),
      isRelay: (peer) => relays.isRelay(peer),
      connectedRelays: () => relays.connectedRelays(),
      subscribers: (spaceId) => topics.subscribers(spaceId)
    }
    this.outbox = new Outbox(this.reach)
  }

  /**
   * Loads the account, opens the store and starts the node.
   * @throws AccountFileError, DataDirLockedError, ListenError (port in use, bad host), SpacewayError
   */
  static async start (options: AppOptions): Promise<App> {
    const account = await loadOrCreateAccount(options.account)
    const dataDir = options.dataDir ?? defaultDataDir(account.file)
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const store = await OpStore.open(dataDir)
    try {
      const guard = new PeerGuard()
      const replica = new Replica(store, account.signer, { guard })
      await replica.init()
      const seed = account.privateKey.raw.subarray(0, 32)
      const ring = new KeyRing(store.jsonSublevel(SUBLEVELS.keys), seed)
      await ring.load()
      store.setKeys(ring)
      const keys = await KeyManager.create(replica, ring, seed, account.userId)
      if (options.relayOnly === true && (options.relays ?? []).length === 0) throw new BadArgumentError('--relay-only needs at least one --relay')
      const node = await createNode({
        privateKey: account.privateKey,
        host: options.host,
        port: options.port,
        // relay-only: no TCP listener and no mDNS, so no address of ours is announced but circuits
        mdns: options.relayOnly === true ? false : options.mdns,
        listen: options.relayOnly === true ? [] : undefined,
        dialAllow: options.relayOnly === true ? relayOnlyDialFilter(options.relays ?? []) : undefined,
        guard,
        trustLoopback: options.trustLoopback
      })
      let app: App | undefined
      const sync = new SyncService(node, replica, {
        access: spaceAccess(replica, (peer, spaceId) => app?.learning.trusted(peer, spaceId) === true),
        joinAuth: (spaceId) => app?.joinAuth.get(spaceId)
      })
      const pool = new PeerPool(store.jsonSublevel<PeerRecord>(SUBLEVELS.peers))
      await pool.load()
      const foreground = new Foreground()
      const bootstrapper = new Bootstrapper(node, pool, { bootstrap: options.bootstrap, intervalMs: options.dhtCheckMs, foreground })
      const dht = new DhtService(node, bootstrapper, options.dhtTimeoutMs)
      const announcer = new Announcer(dht, store, bootstrapper)
      const relays = new RelayClient(node, options.relays ?? [DEFAULT_RELAY], (peerId, addr) => { app?.onRelay(peerId, addr) })
      app = new App(account, dataDir, store, replica, node, sync, new SpaceTopics(node, replica), pool, bootstrapper, dht, announcer, relays, guard, keys, foreground, options)
      await app.run()
      return app
    } catch (err) {
      await store.close()
      throw err
    }
  }

  private async run (): Promise<void> {
    await this.sync.start()
    await this.learning.start()
    this.wireEvents()
    try {
      await this.node.start()
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const where = `${this.options.host ?? '0.0.0.0'}:${this.options.port ?? 0}`
      if (e.code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message)) throw new ListenError(`port in use: cannot listen on ${where}; pick another --port`, { cause: err })
      throw new ListenError(`cannot listen on ${where}: ${e.message}`, { cause: err })
    }
    for (const spaceId of this.store.spaces.keys()) this.topics.subscribe(spaceId)
    for (const spaceId of this.replica.joiningSpaces()) this.topics.subscribe(spaceId)
    for (const [spaceId] of await this.store.metaRange(META.hiddenPrefix)) this.hidden.add(spaceId)
    acceptDmInvites(this)
    const saved = await this.store.getMeta<Context>(META.context)
    if (saved?.spaceId != null && this.store.spaces.has(saved.spaceId)) this.context = saved
    // Dials the peer pool (best first) and --bootstrap peers, then keeps the routing table filled.
    this.bootstrapper.start()
    this.relays.start()
    // Provider records only for spaces we are a member of (not ones we left, were removed from, or
    // fetched for a join that was refused).
    for (const [spaceId, state] of this.store.spaces) if (state.members.roleOf(this.account.userId) != null) this.announcer.announce(spaceId)
    // keys of private spaces: publish ours where missing, open boxes, hand keys to members who lack them
    void this.keys.catchUp([...this.store.spaces.values()])
    this.timer = setInterval(() => { this.antiEntropy() }, this.options.antiEntropyMs ?? 30_000)
    this.timer.unref()
  }

  private wireEvents (): void {
    this.node.addEventListener('peer:connect', (evt) => {
      this.emit('peer:connect', evt.detail.toString())
      this.emit('change')
    })
    this.node.addEventListener('peer:disconnect', (evt) => {
      this.emit('peer:disconnect', evt.detail.toString())
      this.emit('change')
    })
    this.node.addEventListener('peer:identify', (evt) => {
      const { peerId, protocols, listenAddrs } = evt.detail
      this.pool.succeeded(peerId.toString(), listenAddrs.map(a => a.toString())).catch(err => { log('peer pool: %s', (err as Error).message) })
      // Every connected peer enters the Kademlia routing table, however it connected.
      if (protocols.includes(DHT_PROTOCOL)) {
        const dht = this.node.services.dht as unknown as { routingTable?: { add: (p: PeerId, o?: { signal?: AbortSignal }) => Promise<void> } }
        dht.routingTable?.add(peerId, { signal: AbortSignal.timeout(10_000) }).catch(err => { log('routing table add %p failed: %s', peerId, (err as Error).message) })
      }
      // One side of each pair reconciles every space it holds or is joining: the one with the
      // smaller PeerId, whoever dialed (so a re-used or re-dialed connection still syncs, and the
      // same ops are not sent twice by two crossing sessions).
      if (this.node.peerId.toString() < peerId.toString()) this.syncPeer(peerId.toString())
    })
    // mDNS and DHT walks discover peers; libp2p does not dial them by itself (net/discovery-dialer.ts)
    const discovery = new DiscoveryDialer(this.node, this.stopSignal, this.foreground)
    this.node.addEventListener('peer:discovery', (evt) => { discovery.discovered(evt.detail.id, evt.detail.multiaddrs) })
    // announced once validated and applied in memory, not after our disk write (reads of the store
    // wait for that write: OpStore `setWriteBarrier`)
    this.replica.on('staged', (op, local) => { this.onOp(op, local) })
    this.keys.on('key', (spaceId) => { this.emit('key', { spaceId }); this.emit('change') })
    this.keys.on('key:forged', ({ spaceId, from, op }) => { this.emit('key:forged', { spaceId, from: { userId: from, name: displayName(this.store.spaces.get(spaceId), from) }, op }) })
    // Publish where we append: an op authored here goes out as soon as it is applied in memory.
    this.replica.on('authored', (op) => {
      this.outbox.wrote(op.spaceId)
      void this.topics.publish(op).then(n => { this.emit('published', op, n) })
    })
    // A peer over its invalid-op limit is disconnected (and refused by the connection gater while blocked).
    this.guard.on('misbehaving', (peer, reason) => {
      log('peer %s sent too many invalid ops (last: %s): disconnecting it', peer, reason)
      this.node.hangUp(peerIdFromString(peer)).catch(() => {})
    })
    this.replica.on('rejected', (reason, source, message) => { this.emit('op:rejected', { reason, peerId: source ?? null, message }) })
    this.sync.on('progress', (p) => { this.emit('sync', p) })
    this.sync.on('synced', (peer, stats) => {
      this.outbox.synced(peer, stats)
      if (!this.relays.isRelay(peer) || !this.store.spaces.has(stats.spaceId)) return
      // A relay that answers a bare `unknown` for a space we offered it refused to hold it: say so.
      // Not a refusal: a pull of a space we are still fetching for a join (the relay does not hold it
      // yet), or an access answer for a private space (e.g. `bad_invite` while the relay still lacks
      // the invite we joined with) - the next sync tries again.
      if (stats.outcome === 'unknown' && (!stats.offered || stats.refusal != null)) {
        if (stats.refusal != null) log('relay %s keeps %s from us for now: %s', peer, stats.spaceId, stats.refusal)
        return
      }
      if (this.relays.synced(peer, stats.spaceId, stats.outcome !== 'unknown')) this.emit('relay:refused', { peerId: peer, spaceId: stats.spaceId })
    })
    this.relays.on('change', () => { this.emit('change') })
    // A peer that subscribes to a space's topic missed whatever was published before: reconcile
    // that space with it (one side per pair; always us towards our relays, which initiate only gap repairs) -
    // unless it opened a session with us on that space around then (a joiner pulls the history by
    // itself; pushing it too would send it twice).
    this.node.services.pubsub.addEventListener('subscription-change', (evt) => {
      const peer = evt.detail.peerId.toString()
      if (!(this.relays.isRelay(peer) || this.node.peerId.toString() < peer)) return
      const seen = Date.now()
      for (const { topic, subscribe } of evt.detail.subscriptions) {
        const spaceId = this.topics.spaceOf(topic)
        if (!subscribe || spaceId == null || !this.store.spaces.has(spaceId)) continue
        const timer = setTimeout(() => {
          if (this.sync.openedBySince(peer, spaceId, seen - SUBSCRIBER_SYNC_WINDOW_MS)) return
          this.sync.syncWith(peer, spaceId).catch(err => { log('sync of %s with new subscriber %s failed: %s', spaceId, peer, (err as Error).message) })
        }, SUBSCRIBER_SYNC_DELAY_MS)
        timer.unref()
      }
    })
    this.stopGapRepair = repairGaps(this.replica, this.sync)
  }

  private onOp (op: Op, local: boolean): void {
    const state = this.store.spaces.get(op.spaceId)
    if (state == null) return
    void this.keys.onOp(op, state, local)
    // A removed user keeps the space as its context: what it tries next fails with FORBIDDEN and
    // says who removed it.
    for (const e of eventsOf(op, state, this.account.userId, local)) {
      ;(this.emit as (name: string, data: unknown) => boolean)(e.name, e.data)
      // removed from a private space: stop following its topic (nothing said there is ours now)
      if (e.name === 'member:leave' && e.data.you && !state.members.isPublic) this.topics.unsubscribe(op.spaceId)
    }
    this.emit('applied', op, local)
    if (MEMBERSHIP_TYPES.has(op.type) || op.type.startsWith('channel.')) this.emit('change')
  }


  /**
   * A relay (re)connected: it becomes a bootstrap peer, and every space is reconciled with it (which
   * makes it hold them; new ops then reach it live through GossipSub).
   */
  onRelay (peerId: string, addr: string): void {
    // configured relays only: learned ones are many and come and go (the peer pool keeps them anyway)
    if (this.relays.sourceOf(peerId) === 'configured') this.bootstrapper.addBootstrap(addr)
    this.syncPeer(peerId)
  }

  /** Reconciles one space with every connected relay, in the background (after create or join). */
  syncRelays (spaceId: string): void {
    for (const peer of this.relays.connectedRelays()) {
      this.sync.syncWith(peer, spaceId).catch(err => { log('sync of %s with relay %s failed: %s', spaceId, peer, (err as Error).message) })
    }
  }

  /** Reconciles every held (or wanted) space with one peer, in the background. */
  syncPeer (peerId: string): void {
    const spaces = [...this.store.spaces.keys(), ...this.replica.joiningSpaces()]
    for (const spaceId of spaces) {
      this.sync.syncWith(peerId, spaceId).catch(err => { log('sync of %s with %s failed: %s', spaceId, peerId, (err as Error).message) })
    }
  }

  /**
   * Anti-entropy: each space is reconciled with every connected relay (so each holds all of it, even
   * the ops it missed while down) and with one random other subscribed peer (gossip is only a hint).
   * Also records the connection monitor's RTTs in the peer pool.
   */
  private antiEntropy (): void {
    for (const c of this.node.getConnections()) {
      if (c.rtt != null) this.pool.rtt(c.remotePeer.toString(), c.rtt).catch(() => {})
    }
    const relays = this.relays.connectedRelays()
    for (const spaceId of this.store.spaces.keys()) {
      const peers = this.topics.subscribers(spaceId).filter(p => !relays.includes(p))
      const targets = peers.length === 0 ? relays : [...relays, peers[Math.floor(Math.random() * peers.length)]]
      for (const peer of targets) {
        this.sync.syncWith(peer, spaceId).catch(err => { log('anti-entropy with %s failed: %s', peer, (err as Error).message) })
      }
    }
  }

  /**
   * Authors an op in a space we hold (or, `spaceId` null, a new space). In a private space the
   * content is sealed with the current epoch (rotating first if there is none usable); see
   * KeyManager; `keyWaitMs`: how long to wait for the key of a space just joined, default
   * KEY_WAIT_MS). Published as soon as it is applied (the `authored` event).
   * @throws PermissionError, KeyPendingError, and the errors of `Replica.author`
   */
  async author<T extends OpType> (type: T, spaceId: string, payload: Payloads[T], options: { keyWaitMs?: number } = {}): Promise<Op<T>> {
    const state = this.store.spaces.get(spaceId) ?? null
    if (state == null || !KeyManager.sealsType(state, type)) return await this.replica.author(type, spaceId, payload)
    const { plain, body } = splitPayload(type as SealableType, payload as never)
    // the space's rules first: a refused op needs no key (and says FORBIDDEN, not KEY_PENDING)
    const denied = state.members.check({ type, author: this.account.userId, payload: { ...plain, sealed: {} } } as unknown as Op, state)
    if (denied != null) throw new PermissionError(REASON_CODES[denied.reason] ?? 'FORBIDDEN', denied.reason, denied.message)
    return await this.replica.author(type, spaceId, payload, { seal: await this.keys.sealer(state, type as SealableType, plain, body, undefined, options.keyWaitMs) })
  }

  /** Stores the current space/channel so it survives a restart. */
  async setContext (context: Context): Promise<void> {
    this.context = context
    await this.store.setMeta(META.context, context)
    if (context.spaceId != null && context.channelId != null) await this.store.setMeta(META.lastChannel(context.spaceId), context.channelId)
    this.emit('change')
  }

  /** Connected peers (PeerId strings). */
  connectedPeers (): string[] {
    return this.node.getPeers().map(p => p.toString())
  }

  /** Dialable addresses of this node, with the /p2p/ suffix. */
  addresses (): string[] {
    return this.node.getMultiaddrs().map(a => a.toString())
  }

  /**
   * Pushes what we wrote and no completed sync has carried yet to our relays (or, none connected,
   * to a few subscribed peers), waiting at most `ms`; call before `stop` when the user quits (an op
   * written just before quitting may have reached nobody through GossipSub). Never throws.
   */
  async flush (ms = FLUSH_MS): Promise<FlushResult> {
    return await this.outbox.flush(ms)
  }

  /** Stops the node (peers are told) and closes the store. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping.abort()
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
    this.stopGapRepair?.()
    this.keys.stop()
    this.announcer.stop()
    this.stopPhase = 'stopping relay learning'
    await this.learning.stop()
    this.relays.stop()
    this.bootstrapper.stop()
    this.dht.stop()
    this.stopPhase = 'stopping sync'
    await this.sync.stop()
    this.stopPhase = 'closing connections'
    try {
      await this.node.stop()
    } catch (err) {
      log.error('node stop failed: %s', (err as Error).message)
    }
    this.stopPhase = 'writing to disk'
    await this.replica.close()
    this.stopPhase = 'closing the store'
    await this.store.close()
    this.stopPhase = 'stopped'
  }
}

