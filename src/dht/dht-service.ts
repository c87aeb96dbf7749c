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
import { allProviders } from './kad-providers.js'
import { selectRecord } from './records.js'
import { QueryStats } from './stats.js'

const log = logger('spaceway:dht:query')

/** Default bound of one DHT query, ms (--dht-timeout). */
export const DEFAULT_DHT_TIMEOUT_MS = 10_000

type Kind = 'put' | 'get' | 'provide' | 'find providers' | 'find peer'

/** One query under way: what it is, its bound (ms) and signals, when it started (ms since the epoch). */
interface Run { kind: Kind, what: string, bound: number, deadline: AbortSignal, signal: AbortSignal, start: number }

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

  /** Starts a query: its bound and signal; answers an empty table (NO_DHT_PEERS, or a bootstrap before a write). */
  private async begin (kind: Kind, what: string, write: boolean, outer?: AbortSignal): Promise<Run> {
    const bound = this.currentTimeout()
    const deadline = AbortSignal.timeout(bound)
    const signals = [deadline, this.shutdown.signal]
    if (outer != null) signals.push(outer)
    const run: Run = { kind, what, bound, deadline, signal: AbortSignal.any(signals), start: Date.now() }
    try {
      if (tableSize(this.node) === 0) {
        if (!write) {
          // Nothing to ask: answer now, and let the bootstrapper try to fill the table meanwhile.
          void this.bootstrapper.bootstrap('put').catch(() => {})
          throw new NoDhtPeersError(`no DHT peers to ${kind} ${what}: the routing table is empty`)
        }
        await this.bootstrapper.ensurePeers(`${kind} ${what}`, run.signal)
      }
    } catch (err) {
      throw this.failed(run, err)
    }
    log('%s %s (bound %d ms)', kind, what, bound)
    return run
  }

  private succeeded (run: Run): void {
    this.stats.record('succeeded', Date.now() - run.start)
    log('%s %s done in %d ms', run.kind, run.what, Date.now() - run.start)
  }

  /** Records a failed query and returns the named error to throw. */
  private failed (run: Run, err: unknown): Error {
    const { kind, what } = run
    const ms = Date.now() - run.start
    if (run.deadline.aborted) {
      this.stats.record('timed_out', ms)
      log('%s %s timed out after %d ms', kind, what, ms)
      return new TimeoutError(`DHT ${kind} for ${what} timed out after ${run.bound} ms`)
    }
    if (err instanceof NotFoundError) {
      this.stats.record('not_found', ms)
      log('%s %s: not found (%d ms)', kind, what, ms)
      return err
    }
    this.stats.record('failed', ms)
    log('%s %s failed: %s', kind, what, (err as Error).message)
    if (err instanceof SpacewayError) return err
    return new SpacewayError('DHT_FAILED', `DHT ${kind} for ${what} failed: ${(err as Error).message}`, { cause: err })
  }

  private async query<T> (kind: Kind, what: string, write: boolean, fn: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const run = await this.begin(kind, what, write, outer)
    try {
      const result = await fn(run.signal)
      this.succeeded(run)
      return result
    } catch (err) {
      throw this.failed(run, err)
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
    const found: PeerInfo[] = []
    for await (const p of this.providers(cid, what, signal)) {
      found.push(p)
      if (found.length >= limit) break
    }
    return found
  }

  /**
   * Streams the providers of `cid` other than this node, each once, as the query meets them (the
   * caller can act on the first while the query goes on), all of them: not only the first k (20)
   * as kad-dht's own findProviders; the connected peers closest to the key are asked before the
   * walk starts (see kad-providers.ts). Stopping early (`break`, or aborting
   * `signal` once something was yielded) ends the query quietly and counts it as succeeded.
   * One query: bounded like the others (the adaptive timeout, never above --dht-timeout).
   * @throws NOT_FOUND (the query ended without any), NO_DHT_PEERS, TIMEOUT (also after yielding
   *   some: the caller may still be using them), DHT_FAILED
   */
  async * providers (cid: CID, what: string, signal?: AbortSignal): AsyncGenerator<PeerInfo, void, undefined> {
    const run = await this.begin('find providers', what, false, signal)
    const seen = new Set<string>([this.node.peerId.toString()])
    const stop = new AbortController()
    let finished = false
    try {
      for await (const batch of allProviders(this.node.services.dht, this.node, cid, { signal: AbortSignal.any([run.signal, stop.signal]) })) {
        for (const p of batch) {
          const id = p.id.toString()
          if (seen.has(id)) continue
          seen.add(id)
          yield p
        }
      }
      finished = true
    } catch (err) {
      finished = true
      // The caller stopped us after we gave it providers: a normal end.
      if (!run.deadline.aborted && seen.size > 1 && signal?.aborted === true) { this.succeeded(run); return }
      throw this.failed(run, err)
    } finally {
      // `break` in the caller lands here without the catch: end the underlying query too.
      stop.abort()
      if (!finished) this.succeeded(run)
    }
    if (seen.size === 1) throw this.failed(run, new NotFoundError(`no providers of ${what}`))
    this.succeeded(run)
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
