/**
 * The network side of `/spaceway/sync/1.0.0`: a stream handler (responder) and `syncWith`
 * (initiator), both running the transport-free session in ../sync/session.ts over a
 * length-prefixed libp2p stream. Every read has a deadline; a peer that breaks the protocol gets
 * its stream reset and nothing else happens.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { raceSignal } from 'race-signal'
import { SyncProtocolError } from '../errors.js'
import { splitOrderKey } from '../core/order.js'
import { BoundedMap } from '../core/bounded.js'
import { decodeOp, type Op } from '../core/op.js'
import { TokenBucket } from './peer-guard.js'
import type { Replica } from '../replica.js'
import { MAX_SYNC_MESSAGE_BYTES, SYNC_PROTOCOL, type JoinAuth } from '../sync/messages.js'
import { syncIdOf } from '../core/rendezvous.js'
import { syncAsInitiator, syncAsResponder, type SyncChannel, type SyncHost, type SyncStats } from '../sync/session.js'
import type { SpacewayNode } from './node.js'
import { streamChannel } from './sync-stream.js'
import { scopedSignal } from './scoped-signal.js'

const log = logger('spaceway:sync')

/** Deadline for a whole session, ms. */
export const SYNC_SESSION_TIMEOUT_MS = 120_000

/**
 * Budgets of the sync protocol (libp2p resource-manager style: per peer and overall). Each session
 * buffers at most one message (`maxMessageBytes`) and validates at most MAX_PENDING_INGESTS at once,
 * so memory held for sync is bounded by `maxSessions` x a few messages, and by `maxSessionsPerPeer`
 * x a few messages for any one peer.
 */
export const SYNC_LIMITS = {
  /** Sessions (both directions) running with one peer at once; more are reset at once. */
  maxSessionsPerPeer: 4,
  /** Sessions running in all. */
  maxSessions: 32,
  /** Bytes of ops served to one peer: a bucket of this rate (bytes/s)... */
  servedBytesPerSecond: 1024 * 1024,
  /** ...and this burst (a joiner's first catch-up of a large space fits in it). */
  servedBytesBurst: 128 * 1024 * 1024
}

/** Progress of a session that brings ops here (for the UI and `sync` events). */
export interface SyncProgress {
  phase: 'started' | 'progress' | 'done'
  peerId: string
  spaceId: string
  /** Ops received so far. */
  received: number
  /** Ops sent (on `done`). */
  sent?: number
  /** Duration so far, ms. */
  ms: number
}

export interface SyncServiceOptions {
  /**
   * Store-and-forward (the relay): asked when a peer that has ops of a space we neither hold nor
   * want reconciles it. `mayAdopt` says whether the peer may hand it over (capacity and quotas);
   * the session then asks for everything, and the space is adopted (`adopted`) only once its
   * `space.create` - the first op of the space in (HLC, id) order - arrived and verified. A peer
   * that sends anything else first has its session reset, and nothing is held.
   */
  adoption?: { mayAdopt: (syncId: string, peer: string) => boolean, adopted: (spaceId: string, peer: string) => void }
  /** Who may reconcile a private space with us (default: anyone). */
  access?: SpaceAccess
  /** The credential to open sessions with on a space we are joining (its invite proof). */
  joinAuth?: (spaceId: string) => JoinAuth | undefined
  /** Largest sync message accepted, bytes (default 4 MiB). */
  maxMessageBytes?: number
  /** Session and bandwidth budgets (default SYNC_LIMITS). */
  limits?: Partial<typeof SYNC_LIMITS>
  /**
   * Peers served without the bytes-served budget (`servedBytesPerSecond`): a relay's configured
   * peer relays, which pull only what they lack. Session limits still apply. Default: none.
   */
  unmetered?: (peer: string) => boolean
}

export interface SyncServiceEvents {
  /** A session finished (either side). */
  synced: [peerId: string, stats: SyncStats]
  /** A session is bringing ops here: started (first ops), progress (at most every 250 ms), done. */
  progress: [SyncProgress]
  /** Bytes of sync messages sent to `peer` (every message, whether its session ends well or not). */
  sent: [peerId: string, bytes: number]
  /** A peer refused to reconcile a space with us, saying why (`invite_only`, `invite_exhausted`...). */
  refused: [peerId: string, spaceId: string, reason: string]
  /** A session failed (timeout, protocol violation, stream reset); its stream was reset. */
  failed: [peerId: string, error: Error]
}

/**
 * Who may reconcile a space with us: `peer` (a PeerId), for `spaceId`, with the credential it sent
 * (a joiner's). Null: it may; else the reason it may not (the space is kept from it entirely:
 * nothing served, nothing pushed; the reason is sent back in `unknown`).
 */
export type SpaceAccess = (peer: string, spaceId: string, auth?: JoinAuth) => string | null

/**
 * Builds the replica-backed SyncHost for one session with `peer` (which tags ingested ops for
 * budgets, logs and gap repair). Sessions name spaces by sync id (core/rendezvous.ts); the host
 * maps them to the spaces held or wanted. With `adoption`, a space the peer hands over is held only
 * once its valid `space.create` arrived (see SyncServiceOptions.adoption); with `access`, a private
 * space is reconciled only with who may have it.
 */
export function replicaSyncHost (replica: Replica, peer: string, options: { adoption?: SyncServiceOptions['adoption'], access?: SpaceAccess, joinAuth?: (spaceId: string) => JoinAuth | undefined } = {}, onIngest?: (spaceId: string, ops: number) => void): SyncHost {
  const { adoption, access } = options
  const provisional = new Set<string>()
  // Range-based reconciliation may bring an op before its deps (they sit in a range resolved in a
  // later round). Ops not admitted for that reason are tried once more when the session ends.
  const retry = new Map<string, Uint8Array[]>()
  let retryCount = 0
  const space = (syncId: string): string | undefined => replica.spaceOfSync(syncId)
  return {
    keys: (syncId) => {
      const spaceId = space(syncId)
      const state = spaceId == null ? undefined : replica.store.spaces.get(spaceId)
      if (state != null) return state.items
      return spaceId != null || provisional.has(syncId) ? [] : null
    },
    admit: (syncId, auth) => {
      const spaceId = space(syncId)
      return spaceId == null || access == null ? null : access(peer, spaceId, auth)
    },
    auth: (syncId) => {
      const spaceId = space(syncId)
      return spaceId == null ? undefined : options.joinAuth?.(spaceId)
    },
    adopt: (syncId, peerHasOps) => {
      if (!peerHasOps || adoption?.mayAdopt(syncId, peer) !== true) return false
      provisional.add(syncId)
      return true
    },
    getOps: async (syncId, ids) => {
      const spaceId = space(syncId)
      const state = spaceId == null ? undefined : replica.store.spaces.get(spaceId)
      if (state == null) return []
      const keys = ids.map(id => state.byId.get(id)).filter((k): k is string => k != null).sort()
      const bytes = await replica.store.getManyBytes(keys.map(k => splitOrderKey(k).id))
      return bytes.filter((b): b is Uint8Array => b != null)
    },
    ingest: async (ops, syncId) => {
      if (provisional.has(syncId)) {
        provisional.delete(syncId)
        if (space(syncId) == null) {
          let create: Op | undefined
          try { create = decodeOp(ops[0] ?? new Uint8Array()) } catch {}
          if (create?.type !== 'space.create' || syncIdOf(create.id) !== syncId) throw new SyncProtocolError(`space ${syncId} handed over without its space.create first`)
          adoption?.adopted(create.id, peer)
        }
      }
      const spaceId = space(syncId) ?? syncId
      const results = await replica.ingest(ops, peer)
      results.forEach((r, i) => {
        if (r.reason !== 'not_admitted' || retryCount >= MAX_RETRIED_OPS) return
        retryCount++
        const list = retry.get(spaceId) ?? []
        list.push(ops[i])
        retry.set(spaceId, list)
      })
      onIngest?.(spaceId, ops.length)
    },
    finish: async () => {
      for (const [, ops] of retry) await replica.ingest(ops, peer)
      retry.clear()
    }
  }
}

/** Most ops of one session kept to be tried again at its end (see replicaSyncHost). */
export const MAX_RETRIED_OPS = 20_000

export class SyncService extends EventEmitter<SyncServiceEvents> {
  private readonly running = new Map<string, Promise<SyncStats>>()
  private readonly followUps = new Map<string, Promise<SyncStats>>()
  /** When a peer last opened a session with us on a space, ms since the epoch. */
  private readonly lastInbound = new Map<string, number>()
  private readonly shutdown = new AbortController()
  /** Sessions served and started, and their bytes (for `network` and metrics). */
  readonly totals = { served: 0, initiated: 0, failed: 0, refused: 0, bytesSent: 0, bytesReceived: 0 }
  private readonly limits: typeof SYNC_LIMITS
  /** Sessions running, per peer. */
  private readonly active = new Map<string, number>()
  private activeTotal = 0
  /** Bytes of ops each peer may still be served (token buckets). */
  private readonly served = new BoundedMap<string, TokenBucket>(10_000)

  constructor (private readonly node: SpacewayNode, private readonly replica: Replica, private readonly options: SyncServiceOptions = {}) {
    super()
    this.limits = { ...SYNC_LIMITS, ...options.limits }
  }

  /** Sessions running now (both directions). */
  get sessionCount (): number {
    return this.activeTotal
  }

  /** Takes a session slot for `peer`; false when the peer or everyone is at the limit. */
  private enter (peer: string): boolean {
    const n = this.active.get(peer) ?? 0
    if (n >= this.limits.maxSessionsPerPeer || this.activeTotal >= this.limits.maxSessions) {
      this.totals.refused++
      return false
    }
    this.active.set(peer, n + 1)
    this.activeTotal++
    return true
  }

  private leave (peer: string): void {
    const n = (this.active.get(peer) ?? 1) - 1
    if (n <= 0) this.active.delete(peer)
    else this.active.set(peer, n)
    this.activeTotal--
  }

  /** True if `bytes` more of ops may be served to `peer` now. */
  private maySend (peer: string, bytes: number): boolean {
    if (this.options.unmetered?.(peer) === true) return true
    let b = this.served.get(peer)
    if (b == null) { b = new TokenBucket(this.limits.servedBytesPerSecond, this.limits.servedBytesBurst); this.served.set(peer, b) }
    return b.take(bytes) === bytes
  }

  /** A SyncHost for one session with `peer`, reporting progress when ops arrive. */
  private host (peer: string, role: 'initiator' | 'responder'): { host: SyncHost, finish: (stats: SyncStats) => void } {
    const start = Date.now()
    let received = 0
    let lastReport = 0
    let spaceOf = ''
    const base = replicaSyncHost(this.replica, peer, this.options, (spaceId, n) => {
      spaceOf = spaceId
      if (received === 0) this.emit('progress', { phase: 'started', peerId: peer, spaceId, received: 0, ms: Date.now() - start })
      received += n
      if (Date.now() - lastReport >= 250) {
        lastReport = Date.now()
        this.emit('progress', { phase: 'progress', peerId: peer, spaceId, received, ms: Date.now() - start })
      }
    })
    const host: SyncHost = {
      ...base,
      maySend: (bytes) => this.maySend(peer, bytes),
      keys: (syncId) => {
        const spaceId = this.replica.spaceOfSync(syncId)
        if (role === 'responder' && spaceId != null) {
          this.lastInbound.set(`${peer}/${spaceId}`, start)
          // We are pulling this space from this very peer right now (joining it): its push would
          // send the whole history a second time. Our own session covers both directions.
          if (!this.replica.store.spaces.has(spaceId) && this.running.has(`${peer}/${spaceId}`)) return null
        }
        return base.keys(syncId)
      }
    }
    const finish = (stats: SyncStats): void => {
      if (received > 0) this.emit('progress', { phase: 'done', peerId: peer, spaceId: spaceOf, received, sent: stats.opsSent, ms: Date.now() - start })
    }
    return { host, finish }
  }

  /** Registers the protocol handler. Call before the node starts dialing. */
  async start (): Promise<void> {
    await this.node.handle(SYNC_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection).catch(() => {})
    }, { maxInboundStreams: SYNC_LIMITS.maxSessionsPerPeer * 2, maxOutboundStreams: SYNC_LIMITS.maxSessionsPerPeer * 2, runOnLimitedConnection: true })
  }

  /**
   * True if `peer` opened a session with us on `spaceId` at or after `since` (ms since the epoch):
   * it is pulling the space itself, so we need not push it.
   */
  openedBySince (peer: string, spaceId: string, since: number): boolean {
    return (this.lastInbound.get(`${peer}/${spaceId}`) ?? 0) >= since
  }

  /** Aborts every session. */
  async stop (): Promise<void> {
    this.shutdown.abort()
    await this.node.unhandle(SYNC_PROTOCOL).catch(() => {})
  }

  /** Emits `synced` (and `refused`) with the space's id (sessions name it by sync id). */
  private record (peer: string, stats: SyncStats): void {
    const spaceId = this.replica.spaceOfSync(stats.spaceId) ?? stats.spaceId
    if (stats.refusal != null) this.emit('refused', peer, spaceId, stats.refusal)
    this.emit('synced', peer, { ...stats, spaceId })
  }

  /** A channel over `stream` whose bytes count in `totals` (and `sent` events) as they go, failed sessions included. */
  private channel (stream: Stream, signal: AbortSignal, peer: string): SyncChannel {
    return streamChannel(stream, signal, this.options.maxMessageBytes ?? MAX_SYNC_MESSAGE_BYTES, (n) => {
      this.totals.bytesSent += n
      this.emit('sent', peer, n)
    }, (n) => { this.totals.bytesReceived += n })
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (!this.enter(peer)) {
      log('refused a sync session from %s: at the session limit', peer)
      stream.abort(new SyncProtocolError('too many sync sessions'))
      return
    }
    const { signal, release } = scopedSignal([this.shutdown.signal], SYNC_SESSION_TIMEOUT_MS)
    try {
      const { host, finish } = this.host(peer, 'responder')
      const stats = await syncAsResponder(this.channel(stream, signal, peer), host)
      this.totals.served++
      if (stats != null) {
        finish(stats)
        log('served %s for space %s: sent %d ops, got %d, %d rounds', peer, stats.spaceId, stats.opsSent, stats.opsReceived, stats.rounds)
        this.record(peer, stats)
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      const e = err instanceof Error ? err : new SyncProtocolError(String(err))
      this.totals.failed++
      log('sync from %s failed: %s', peer, e.message)
      stream.abort(e)
      this.emit('failed', peer, e)
    } finally {
      release()
      this.leave(peer)
    }
  }

  /**
   * Reconciles `spaceId` with `peerId` as initiator. A call while a session with the same peer and
   * space runs is answered by one follow-up session after it (shared by all such calls, and bounded
   * by SYNC_SESSION_TIMEOUT_MS, not by any one caller's signal). Resolves with the session's figures
   * (`outcome: 'unknown'` if the peer does not hold the space).
   * @throws TimeoutError, SyncProtocolError (also: `peer` may not have this private space), the
   *   dial's error, or `options.signal`'s reason when it aborts first (also while waiting for a
   *   session already under way)
   */
  async syncWith (peerId: PeerId | string, spaceId: string, options: { signal?: AbortSignal } = {}): Promise<SyncStats> {
    const peer = peerId.toString()
    // A private space is never pushed to a peer that may not have it.
    if ((this.options.access?.(peer, spaceId) ?? null) !== null) throw new SyncProtocolError(`${peer} is not a member of space ${spaceId}: not synced`)
    const key = `${peer}/${spaceId}`
    const existing = this.running.get(key)
    if (existing != null) {
      // A session is under way, but it may have started before whatever prompted this call (a new
      // op, a new subscriber): run one more after it. Callers meanwhile share that follow-up.
      // The follow-up is shared, so it runs under the service's own deadlines, not under the first
      // caller's signal; each caller stops waiting for it when its own signal aborts.
      let follow = this.followUps.get(key)
      if (follow == null) {
        follow = existing.catch(() => {}).then(async () => {
          this.followUps.delete(key)
          return await this.syncWith(peer, spaceId)
        })
        follow.catch(() => {})
        this.followUps.set(key, follow)
      }
      return options.signal == null ? await follow : await raceSignal(follow, options.signal)
    }
    const run = this.initiate(peer, spaceId, options.signal).finally(() => this.running.delete(key))
    this.running.set(key, run)
    return await run
  }

  private async initiate (peer: string, spaceId: string, outer?: AbortSignal): Promise<SyncStats> {
    if (!this.enter(peer)) throw new SyncProtocolError(`too many sync sessions with ${peer} (or in all) running; try later`)
    try {
      return await this.initiateIn(peer, spaceId, outer)
    } finally {
      this.leave(peer)
    }
  }

  private async initiateIn (peer: string, spaceId: string, outer?: AbortSignal): Promise<SyncStats> {
    const { signal, release } = scopedSignal([this.shutdown.signal, outer], SYNC_SESSION_TIMEOUT_MS)
    try {
      return await this.converseWith(peer, spaceId, signal)
    } finally {
      release()
    }
  }

  /** One initiated session on a new stream to `peer`, bounded by `signal`. */
  private async converseWith (peer: string, spaceId: string, signal: AbortSignal): Promise<SyncStats> {
    const stream = await this.node.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
    try {
      const { host, finish } = this.host(peer, 'initiator')
      const stats = await syncAsInitiator(this.channel(stream, signal, peer), host, syncIdOf(spaceId))
      finish(stats)
      this.totals.initiated++
      log('synced space %s with %s: got %d ops, sent %d, %d bytes in, %d rounds', spaceId, peer, stats.opsReceived, stats.opsSent, stats.bytesReceived, stats.rounds)
      this.record(peer, stats)
      await stream.close({ signal }).catch(() => {})
      return stats
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      this.totals.failed++
      stream.abort(e)
      this.emit('failed', peer, e)
      throw err
    }
  }
}
