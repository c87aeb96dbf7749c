/**
 * The network side of `/spaceway/sync/1.0.0`: a stream handler (responder) and `syncWith`
 * (initiator), both running the transport-free session in ../sync/session.ts over a
 * length-prefixed libp2p stream. Every read has a deadline; a peer that breaks the protocol gets
 * its stream reset and nothing else happens.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { SyncProtocolError, TimeoutError } from '../errors.js'
import { splitOrderKey } from '../core/order.js'
import type { Replica } from '../replica.js'
import { decodeSyncMessage, encodeSyncMessage, MAX_SYNC_MESSAGE_BYTES, SYNC_PROTOCOL } from '../sync/messages.js'
import { syncAsInitiator, syncAsResponder, type SyncChannel, type SyncHost, type SyncStats } from '../sync/session.js'
import type { SpacewayNode } from './node.js'

const log = logger('spaceway:sync')

/** Deadline for each message read, ms. */
export const SYNC_READ_TIMEOUT_MS = 15_000
/** Deadline for a whole session, ms. */
export const SYNC_SESSION_TIMEOUT_MS = 120_000

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
   * Called when a peer that holds ops of a space we neither hold nor want reconciles it; true to
   * start holding it (the relay's store-and-forward).
   */
  onUnknownSpace?: (spaceId: string, peer: string) => boolean
  /** Largest sync message accepted, bytes (default 4 MiB). */
  maxMessageBytes?: number
}

export interface SyncServiceEvents {
  /** A session finished (either side). */
  synced: [peerId: string, stats: SyncStats]
  /** A session is bringing ops here: started (first ops), progress (at most every 250 ms), done. */
  progress: [SyncProgress]
  /** A session failed (timeout, protocol violation, stream reset); its stream was reset. */
  failed: [peerId: string, error: Error]
}

/** Builds the replica-backed SyncHost; `peer` tags ingested ops for logs and gap handling. */
export function replicaSyncHost (replica: Replica, peer: string, onUnknownSpace?: (spaceId: string, peer: string) => boolean, onIngest?: (spaceId: string, ops: number) => void): SyncHost {
  return {
    keys: (spaceId) => {
      const state = replica.store.spaces.get(spaceId)
      if (state != null) return state.items
      return replica.wants(spaceId) ? [] : null
    },
    // A peer that holds ops of a space we do not know may ask us to hold it (relays say yes).
    adopt: (spaceId, peerHasOps) => peerHasOps && onUnknownSpace?.(spaceId, peer) === true,
    getOps: async (spaceId, ids) => {
      const state = replica.store.spaces.get(spaceId)
      if (state == null) return []
      const keys = ids.map(id => state.byId.get(id)).filter((k): k is string => k != null).sort()
      const bytes = await replica.store.getManyBytes(keys.map(k => splitOrderKey(k).id))
      return bytes.filter((b): b is Uint8Array => b != null)
    },
    ingest: async (ops, spaceId) => {
      await replica.ingest(ops, peer)
      onIngest?.(spaceId, ops.length)
    }
  }
}

function streamChannel (stream: Stream, signal: AbortSignal, maxMessageBytes: number): SyncChannel {
  const lp = lpStream(stream, { maxDataLength: maxMessageBytes })
  return {
    send: async (m) => { await lp.write(encodeSyncMessage(m), { signal }) },
    receive: async () => {
      const read = AbortSignal.any([signal, AbortSignal.timeout(SYNC_READ_TIMEOUT_MS)])
      try {
        return decodeSyncMessage((await lp.read({ signal: read })).subarray())
      } catch (err) {
        if (read.aborted) throw new TimeoutError('sync peer did not answer in time')
        throw err
      }
    }
  }
}

export class SyncService extends EventEmitter<SyncServiceEvents> {
  private readonly running = new Map<string, Promise<SyncStats>>()
  private readonly followUps = new Map<string, Promise<SyncStats>>()
  /** When a peer last opened a session with us on a space, ms since the epoch. */
  private readonly lastInbound = new Map<string, number>()
  private readonly shutdown = new AbortController()
  /** Sessions served and started, and their bytes (for `network` and metrics). */
  readonly totals = { served: 0, initiated: 0, failed: 0, bytesSent: 0, bytesReceived: 0 }

  constructor (private readonly node: SpacewayNode, private readonly replica: Replica, private readonly options: SyncServiceOptions = {}) {
    super()
  }

  /** A SyncHost for one session with `peer`, reporting progress when ops arrive. */
  private host (peer: string, role: 'initiator' | 'responder'): { host: SyncHost, finish: (stats: SyncStats) => void } {
    const start = Date.now()
    let received = 0
    let lastReport = 0
    let spaceOf = ''
    const base = replicaSyncHost(this.replica, peer, this.options.onUnknownSpace, (spaceId, n) => {
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
      keys: (spaceId) => {
        if (role === 'responder') {
          this.lastInbound.set(`${peer}/${spaceId}`, start)
          // We are pulling this space from this very peer right now (joining it): its push would
          // send the whole history a second time. Our own session covers both directions.
          if (!this.replica.store.spaces.has(spaceId) && this.running.has(`${peer}/${spaceId}`)) return null
        }
        return base.keys(spaceId)
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
    }, { maxInboundStreams: 64, maxOutboundStreams: 64, runOnLimitedConnection: true })
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

  private record (peer: string, stats: SyncStats): void {
    this.totals.bytesSent += stats.bytesSent
    this.totals.bytesReceived += stats.bytesReceived
    this.emit('synced', peer, stats)
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(SYNC_SESSION_TIMEOUT_MS)])
    try {
      const { host, finish } = this.host(peer, 'responder')
      const stats = await syncAsResponder(streamChannel(stream, signal, this.options.maxMessageBytes ?? MAX_SYNC_MESSAGE_BYTES), host)
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
    }
  }

  /**
   * Reconciles `spaceId` with `peerId` as initiator. A call while a session with the same peer and
   * space runs is answered by one follow-up session after it (shared by all such calls). Resolves with the session's figures (`outcome: 'unknown'` if the peer does
   * not hold the space).
   * @throws TimeoutError, SyncProtocolError, or the dial's error
   */
  async syncWith (peerId: PeerId | string, spaceId: string, options: { signal?: AbortSignal } = {}): Promise<SyncStats> {
    const peer = peerId.toString()
    const key = `${peer}/${spaceId}`
    const existing = this.running.get(key)
    if (existing != null) {
      // A session is under way, but it may have started before whatever prompted this call (a new
      // op, a new subscriber): run one more after it. Callers meanwhile share that follow-up.
      let follow = this.followUps.get(key)
      if (follow == null) {
        follow = existing.catch(() => {}).then(async () => {
          this.followUps.delete(key)
          return await this.syncWith(peer, spaceId, options)
        })
        this.followUps.set(key, follow)
      }
      return await follow
    }
    const run = this.initiate(peer, spaceId, options.signal).finally(() => this.running.delete(key))
    this.running.set(key, run)
    return await run
  }

  private async initiate (peer: string, spaceId: string, outer?: AbortSignal): Promise<SyncStats> {
    const signals = [this.shutdown.signal, AbortSignal.timeout(SYNC_SESSION_TIMEOUT_MS)]
    if (outer != null) signals.push(outer)
    const signal = AbortSignal.any(signals)
    const stream = await this.node.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal, runOnLimitedConnection: true })
    try {
      const { host, finish } = this.host(peer, 'initiator')
      const stats = await syncAsInitiator(streamChannel(stream, signal, this.options.maxMessageBytes ?? MAX_SYNC_MESSAGE_BYTES), host, spaceId)
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
