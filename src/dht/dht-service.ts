/**
 * Every DHT query spaceway makes goes through here: each one is bounded (the adaptive timeout,
 * never above --dht-timeout, default 10 s), counted, logged under `spaceway:dht:query`, and fails
 * with a named error: TIMEOUT (naming what was looked for), NOT_FOUND (a normal answer), or
 * NO_DHT_PEERS (empty routing table: gets fail at once, puts bootstrap first).
 */
import { logger } from '@libp2p/logger'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { NoDhtPeersError, NotFoundError, SpacewayError, TimeoutError } from '../errors.js'
import type { SpacewayNode } from '../net/node.js'
import { type Bootstrapper, tableSize } from './bootstrapper.js'
import { selectRecord } from './records.js'
import { QueryStats } from './stats.js'

const log = logger('spaceway:dht:query')

/** Default bound of one DHT query, ms (--dht-timeout). */
export const DEFAULT_DHT_TIMEOUT_MS = 10_000

type Kind = 'put' | 'get' | 'provide' | 'find providers' | 'find peer'

export class DhtService {
  readonly stats = new QueryStats()
  private readonly shutdown = new AbortController()

  constructor (private readonly node: SpacewayNode, private readonly bootstrapper: Bootstrapper, private readonly maxTimeoutMs = DEFAULT_DHT_TIMEOUT_MS) {}

  /** The bound the next query gets, ms. */
  currentTimeout (): number {
    return this.stats.timeout(this.maxTimeoutMs)
  }

  stop (): void {
    this.shutdown.abort()
  }

  private async query<T> (kind: Kind, what: string, write: boolean, fn: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const bound = this.currentTimeout()
    const deadline = AbortSignal.timeout(bound)
    const signals = [deadline, this.shutdown.signal]
    if (outer != null) signals.push(outer)
    const signal = AbortSignal.any(signals)
    const start = Date.now()
    try {
      if (tableSize(this.node) === 0) {
        if (!write) {
          // Nothing to ask: answer now, and let the bootstrapper try to fill the table meanwhile.
          void this.bootstrapper.bootstrap('put').catch(() => {})
          throw new NoDhtPeersError(`no DHT peers to ${kind} ${what}: the routing table is empty`)
        }
        await this.bootstrapper.ensurePeers(`${kind} ${what}`, signal)
      }
      log('%s %s (bound %d ms)', kind, what, bound)
      const result = await fn(signal)
      this.stats.record('succeeded', Date.now() - start)
      log('%s %s done in %d ms', kind, what, Date.now() - start)
      return result
    } catch (err) {
      const ms = Date.now() - start
      if (deadline.aborted) {
        this.stats.record('timed_out', ms)
        log('%s %s timed out after %d ms', kind, what, ms)
        throw new TimeoutError(`DHT ${kind} for ${what} timed out after ${bound} ms`)
      }
      if (err instanceof NotFoundError) {
        this.stats.record('not_found', ms)
        log('%s %s: not found (%d ms)', kind, what, ms)
        throw err
      }
      this.stats.record('failed', ms)
      log('%s %s failed: %s', kind, what, (err as Error).message)
      if (err instanceof SpacewayError) throw err
      throw new SpacewayError('DHT_FAILED', `DHT ${kind} for ${what} failed: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Stores a record on the peers closest to `key`.
   * @returns how many peers confirmed storing it
   * @throws NO_DHT_PEERS, TIMEOUT, DHT_FAILED (no peer stored it)
   */
  async put (key: Uint8Array, value: Uint8Array, what: string, signal?: AbortSignal): Promise<number> {
    return await this.query('put', what, true, async (s) => {
      let stored = 0
      for await (const e of this.node.services.dht.put(key, value, { signal: s })) {
        if (e.name === 'PEER_RESPONSE') stored++
      }
      if (stored === 0) throw new SpacewayError('DHT_FAILED', `no peer stored ${what}`)
      return stored
    }, signal)
  }

  /**
   * Fetches the best valid record for `key` (selector of its namespace).
   * @throws NOT_FOUND, NO_DHT_PEERS, TIMEOUT
   */
  async get (key: Uint8Array, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    return await this.query('get', what, false, async (s) => {
      const values: Uint8Array[] = []
      for await (const e of this.node.services.dht.get(key, { signal: s })) {
        if (e.name === 'VALUE') values.push(e.value)
      }
      if (values.length === 0) throw new NotFoundError(`${what} is not in the DHT`)
      return values[selectRecord(key, values)]
    }, signal)
  }

  /**
   * Announces this node as a provider of `cid`.
   * @returns how many peers stored the provider record
   * @throws NO_DHT_PEERS, TIMEOUT, DHT_FAILED
   */
  async provide (cid: CID, what: string, signal?: AbortSignal): Promise<number> {
    return await this.query('provide', what, true, async (s) => {
      let stored = 0
      for await (const e of this.node.services.dht.provide(cid, { signal: s })) {
        if (e.name === 'PEER_RESPONSE') stored++
      }
      if (stored === 0) throw new SpacewayError('DHT_FAILED', `no peer stored the provider record for ${what}`)
      return stored
    }, signal)
  }

  /**
   * Finds up to `limit` providers of `cid` other than this node; stops as soon as it has `limit`.
   * @throws NOT_FOUND (none), NO_DHT_PEERS, TIMEOUT
   */
  async findProviders (cid: CID, what: string, limit = 5, signal?: AbortSignal): Promise<PeerInfo[]> {
    return await this.query('find providers', what, false, async (s) => {
      const found = new Map<string, PeerInfo>()
      const stop = new AbortController()
      try {
        for await (const e of this.node.services.dht.findProviders(cid, { signal: AbortSignal.any([s, stop.signal]) })) {
          if (e.name !== 'PROVIDER') continue
          for (const p of e.providers) {
            if (!p.id.equals(this.node.peerId)) found.set(p.id.toString(), p)
          }
          if (found.size >= limit) { stop.abort(); break }
        }
      } catch (err) {
        if (!stop.signal.aborted || found.size === 0) throw err
      }
      if (found.size === 0) throw new NotFoundError(`no providers of ${what}`)
      return [...found.values()]
    }, signal)
  }

  /**
   * Finds a peer's addresses.
   * @throws NOT_FOUND, NO_DHT_PEERS, TIMEOUT
   */
  async findPeer (peerId: PeerId, signal?: AbortSignal): Promise<PeerInfo> {
    return await this.query('find peer', peerId.toString(), false, async (s) => {
      for await (const e of this.node.services.dht.findPeer(peerId, { signal: s })) {
        if (e.name === 'FINAL_PEER' && e.peer.id.equals(peerId)) return e.peer
      }
      throw new NotFoundError(`peer ${peerId.toString()} is not in the DHT`)
    }, signal)
  }
}
