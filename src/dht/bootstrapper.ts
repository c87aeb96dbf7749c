/**
 * Keeps the Kademlia routing table from staying empty. A bootstrap dials the best peers of the
 * peer pool and the `--bootstrap` list (each dial bounded), waits (bounded) for identify to put a
 * peer in the table, then refreshes the table in the background.
 *
 * Schedule: every `intervalMs` (15 s) the table is checked; if it is empty a bootstrap runs. After
 * failing bootstraps the delay doubles (with jitter, capped at 5 min; backoff.ts); a new connection
 * while the table is empty triggers a check at once. DHT puts call `ensurePeers` first.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { NoDhtPeersError } from '../errors.js'
import type { SpacewayNode } from '../net/node.js'
import { withPeerId } from '../net/discovery-dialer.js'
import type { Foreground } from '../net/foreground.js'
import { DEFAULT_BACKOFF, nextDelay, type BackoffOptions } from './backoff.js'
import type { PeerPool } from './peer-pool.js'

const log = logger('spaceway:dht:bootstrap')

/** Outcome of one bootstrap. `at`: ms since the epoch; `ms`: how long it took. */
export interface BootstrapResult {
  at: number
  ok: boolean
  tableSize: number
  dialed: number
  connected: number
  ms: number
  reason: 'scheduled' | 'put' | 'connection' | 'start' | 'manual'
}

export interface BootstrapperOptions extends Partial<BackoffOptions> {
  /** Multiaddrs from --bootstrap (and the relay, when there is one). */
  bootstrap?: string[]
  /** Deadline of each dial, ms (default 5,000). */
  dialTimeoutMs?: number
  /** How long to wait for a dialed peer to enter the table, ms (default 2,000). */
  tableWaitMs?: number
  /** Pool peers dialed per bootstrap (default 10). */
  poolDials?: number
  random?: () => number
  /**
   * While it is busy (a `join` runs), the routing-table refresh waits; one under way when it
   * becomes busy is aborted and run again once it is idle (net/foreground.ts).
   */
  foreground?: Foreground
}

/** Deadline of a routing-table refresh (kad-dht runs one lookup per bucket, at once), ms. */
export const REFRESH_TIMEOUT_MS = 10_000

/** Number of peers in the node's Kademlia routing table. */
export function tableSize (node: SpacewayNode): number {
  return routingTable(node)?.size ?? 0
}

function routingTable (node: SpacewayNode): (EventTarget & { size: number }) | undefined {
  return (node.services.dht as unknown as { routingTable?: EventTarget & { size: number } }).routingTable
}

export class Bootstrapper extends EventEmitter<{ bootstrap: [BootstrapResult] }> {
  /** The last bootstrap, if any. */
  last: BootstrapResult | null = null
  /** When the next scheduled check runs (ms since the epoch), null when stopped. */
  nextCheckAt: number | null = null
  /** Consecutive failed bootstraps. */
  failures = 0
  private timer?: NodeJS.Timeout
  private running: Promise<BootstrapResult> | null = null
  private readonly backoff: BackoffOptions
  private readonly bootstrapList: string[]
  private readonly shutdown = new AbortController()
  private readonly onConnect = (): void => {
    if (tableSize(this.node) === 0 && this.timer != null) this.schedule(0, 'connection')
  }

  private refreshing: { ctl: AbortController, at: number } | null = null
  private refreshWanted = false
  private readonly onBusy = (): void => {
    if (this.refreshing == null || Date.now() - this.refreshing.at >= REFRESH_TIMEOUT_MS) return
    log('routing-table refresh paused: a foreground operation runs')
    this.refreshing.ctl.abort()
    this.refreshing = null
    this.refreshWanted = true
  }

  private readonly onIdle = (): void => { if (this.refreshWanted) this.refresh() }

  constructor (private readonly node: SpacewayNode, private readonly pool: PeerPool, private readonly options: BootstrapperOptions = {}) {
    super()
    // an option given as undefined keeps its default (a NaN delay would re-check every millisecond)
    this.backoff = {
      intervalMs: options.intervalMs ?? DEFAULT_BACKOFF.intervalMs,
      capMs: options.capMs ?? DEFAULT_BACKOFF.capMs,
      jitter: options.jitter ?? DEFAULT_BACKOFF.jitter
    }
    this.bootstrapList = [...(options.bootstrap ?? [])]
  }

  /** Adds a bootstrap address (e.g. a relay found later). */
  addBootstrap (addr: string): void {
    if (!this.bootstrapList.includes(addr)) this.bootstrapList.push(addr)
  }

  /** Starts the periodic check (first one right away). */
  start (): void {
    this.node.addEventListener('peer:connect', this.onConnect)
    this.options.foreground?.on('busy', this.onBusy).on('idle', this.onIdle)
    this.schedule(0, 'start')
  }

  stop (): void {
    this.shutdown.abort()
    this.node.removeEventListener('peer:connect', this.onConnect)
    this.options.foreground?.off('busy', this.onBusy).off('idle', this.onIdle)
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    this.nextCheckAt = null
  }

  private schedule (delay: number, reason: BootstrapResult['reason']): void {
    if (this.shutdown.signal.aborted) return
    if (this.timer != null) clearTimeout(this.timer)
    this.nextCheckAt = Date.now() + delay
    this.timer = setTimeout(() => { void this.check(reason) }, delay)
    this.timer.unref()
  }

  private async check (reason: BootstrapResult['reason']): Promise<void> {
    if (tableSize(this.node) === 0) {
      await this.bootstrap(reason).catch(err => { log.error('bootstrap failed: %s', (err as Error).message) })
    } else {
      this.failures = 0
    }
    this.schedule(nextDelay(this.failures, this.backoff, this.options.random), 'scheduled')
  }

  /**
   * Runs one bootstrap (concurrent callers share it). Never throws for network failures: the result
   * says whether the table has peers now.
   */
  async bootstrap (reason: BootstrapResult['reason'] = 'manual', signal?: AbortSignal): Promise<BootstrapResult> {
    this.running ??= this.run(reason, signal).finally(() => { this.running = null })
    return await this.running
  }

  private async run (reason: BootstrapResult['reason'], outer?: AbortSignal): Promise<BootstrapResult> {
    const start = Date.now()
    const signal = outer == null ? this.shutdown.signal : AbortSignal.any([outer, this.shutdown.signal])
    const connected = new Set(this.node.getPeers().map(p => p.toString()))
    const targets: Array<{ peerId?: string, addrs: Multiaddr[] }> = []
    for (const r of this.pool.best(this.options.poolDials ?? 10)) {
      if (connected.has(r.peerId) || r.addrs.length === 0 || r.peerId === this.node.peerId.toString()) continue
      try { targets.push({ peerId: r.peerId, addrs: r.addrs.map(a => withPeerId(a, r.peerId)) }) } catch {}
    }
    for (const a of this.bootstrapList) {
      try { targets.push({ addrs: [multiaddr(a)] }) } catch { log('bad bootstrap address %s', a) }
    }
    log('bootstrap (%s): table %d, dialing %d', reason, tableSize(this.node), targets.length)
    const dials = await Promise.allSettled(targets.map(async t => {
      const dialSignal = AbortSignal.any([signal, AbortSignal.timeout(this.options.dialTimeoutMs ?? 5000)])
      try {
        await this.node.dial(t.addrs, { signal: dialSignal })
      } catch (err) {
        if (t.peerId != null) await this.pool.failed(t.peerId)
        log('bootstrap dial %s failed: %s', t.peerId ?? t.addrs[0]?.toString(), (err as Error).message)
        throw err
      }
    }))
    const ok = dials.filter(d => d.status === 'fulfilled').length
    if (tableSize(this.node) === 0 && this.node.getPeers().length > 0) await this.waitForTable(signal)
    const size = tableSize(this.node)
    if (size > 0) this.refresh()
    const result: BootstrapResult = { at: start, ok: size > 0, tableSize: size, dialed: targets.length, connected: ok, ms: Date.now() - start, reason }
    this.failures = result.ok ? 0 : this.failures + 1
    this.last = result
    log('bootstrap (%s) %s: table %d, %d/%d dials in %d ms', reason, result.ok ? 'ok' : 'failed', size, ok, targets.length, result.ms)
    this.emit('bootstrap', result)
    return result
  }

  /**
   * Refreshes the Kademlia routing table (kad-dht: a lookup of a random key in each bucket up to
   * the deepest one holding peers), in the background: now, or once the foreground is idle.
   */
  private refresh (): void {
    if (this.shutdown.signal.aborted) return
    if (this.options.foreground?.busy === true) { this.refreshWanted = true; return }
    this.refreshWanted = false
    this.refreshing?.ctl.abort()
    const ctl = new AbortController()
    this.refreshing = { ctl, at: Date.now() }
    // kad-dht's refreshRoutingTable starts the lookups and returns (it does not wait for them)
    Promise.resolve(this.node.services.dht.refreshRoutingTable({ signal: AbortSignal.any([this.shutdown.signal, ctl.signal, AbortSignal.timeout(REFRESH_TIMEOUT_MS)]) }))
      .catch(err => { log('refresh failed: %s', (err as Error).message) })
  }

  private async waitForTable (signal: AbortSignal): Promise<void> {
    const table = routingTable(this.node)
    if (table == null) return
    await new Promise<void>(resolve => {
      const done = (): void => { clearTimeout(t); table.removeEventListener('peer:add', done); signal.removeEventListener('abort', done); resolve() }
      const t = setTimeout(done, this.options.tableWaitMs ?? 2000)
      table.addEventListener('peer:add', done)
      signal.addEventListener('abort', done)
    })
  }

  /**
   * Makes sure the routing table has peers before a put: bootstraps if it is empty.
   * @throws NoDhtPeersError if it is still empty afterwards
   */
  async ensurePeers (what: string, signal?: AbortSignal): Promise<void> {
    if (tableSize(this.node) > 0) return
    await this.bootstrap('put', signal)
    if (tableSize(this.node) === 0) throw new NoDhtPeersError(`no DHT peers for ${what}: the routing table is empty and bootstrap found nobody (connect to a peer or pass --bootstrap)`)
  }
}
