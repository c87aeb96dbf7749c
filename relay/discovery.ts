/**
 * Relays finding each other through the DHT (docs/PROTOCOL.md "Relays"). A relay announces itself
 * as a provider of the well-known relays CID (src/dht/relay-records.ts) and looks up that CID's
 * providers: at start, after a bootstrap that filled an empty routing table, and then on a schedule
 * (quickly while it finds nobody new: `firstRetryMs` doubling up to `lookupIntervalMs`; every
 * `lookupIntervalMs`, jittered +-20%, once it does). Each provider met, with an acceptable address
 * (src/net/relay-check.ts acceptRelayAddr), is handed to peering (peering.ts `addDiscovered`), which
 * checks it is a relay before using it and holds at most `maxDiscovered`.
 *
 * Hostile model: anyone can provide the CID. A lookup looks at most MAX_CANDIDATES_PER_LOOKUP
 * providers and stops once peering is full; each query is bounded by the DHT service's deadline and
 * this module's AbortSignal; a relay peering dropped (not a relay, unreachable, failing) is not taken
 * again for DROPPED_FOR_MS. Configured peer relays are never touched.
 */
import { logger } from '@libp2p/logger'
import type { PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { BoundedMap } from '../src/core/bounded.js'
import { nextDelay, type BackoffOptions } from '../src/dht/backoff.js'
import { relaysCid } from '../src/dht/relay-records.js'
import { acceptRelayAddr } from '../src/net/relay-check.js'

const log = logger('spaceway:relay:discovery')

/** Providers of the relays CID looked at per lookup, at most. */
export const MAX_CANDIDATES_PER_LOOKUP = 64

/** How long a dropped discovered relay is not taken again, ms. */
export const DROPPED_FOR_MS = 3_600_000

/** Timings of discovery, ms. */
export interface DiscoveryTimings {
  /** First announcement and first lookup, this long after start. */
  firstDelayMs: number
  /** Lookup period once it found someone (jittered +-20%). */
  lookupIntervalMs: number
  /** Lookup delay after a lookup that found nobody new: this, doubled per such round, up to lookupIntervalMs. */
  firstRetryMs: number
  /** Re-announce period. */
  reannounceMs: number
  /** Retry schedule of a failed announcement. */
  announceRetry: BackoffOptions
}

export const DISCOVERY_DEFAULTS: DiscoveryTimings = {
  firstDelayMs: 1000,
  lookupIntervalMs: 600_000,
  firstRetryMs: 15_000,
  reannounceMs: 12 * 3_600_000,
  announceRetry: { intervalMs: 5000, capMs: 300_000, jitter: 0.2 }
}

/** The DHT as discovery uses it (src/dht/dht-service.ts). */
export interface DiscoveryDht {
  provide: (cid: CID, what: string, signal?: AbortSignal) => Promise<number>
  providers: (cid: CID, what: string, signal?: AbortSignal) => AsyncIterable<PeerInfo>
}

/** Peering as discovery uses it (peering.ts). */
export interface DiscoveryPeering {
  has: (peerId: string) => boolean
  addDiscovered: (peerId: string, addrs: Multiaddr[]) => boolean
  discoveredCount: () => number
}

/** What `/health` shows of discovery. Times in ms since the epoch. */
export interface DiscoveryState {
  announced: boolean
  announcedAt: number | null
  lastLookupAt: number | null
  /** Relays handed to peering since start. */
  found: number
  lastError: string | null
}

export class RelayDiscovery {
  private readonly abort = new AbortController()
  private readonly timings: DiscoveryTimings
  private readonly dropped = new BoundedMap<string, number>(10_000)
  private stopped = false
  private announceTimer?: NodeJS.Timeout
  private lookupTimer?: NodeJS.Timeout
  private announceFailures = 0
  private emptyRounds = 0
  private looking = false
  private readonly stateNow: DiscoveryState = { announced: false, announcedAt: null, lastLookupAt: null, found: 0, lastError: null }
  private readonly onBootstrap = (r: { ok: boolean }): void => {
    if (!r.ok || this.stopped) return
    if (!this.stateNow.announced) this.scheduleAnnounce(0)
    if (this.stateNow.lastLookupAt == null || this.peering.discoveredCount() === 0) this.scheduleLookup(0)
  }

  /**
   * @param self this relay's PeerId
   * @param loopback this relay listens on loopback: only loopback relays are taken (else none)
   */
  constructor (
    private readonly dht: DiscoveryDht,
    private readonly bootstrapper: { on: (e: 'bootstrap', l: (r: { ok: boolean }) => void) => unknown, off: (e: 'bootstrap', l: (r: { ok: boolean }) => void) => unknown },
    private readonly peering: DiscoveryPeering,
    private readonly self: string,
    private readonly loopback: boolean,
    timings: Partial<DiscoveryTimings> = {},
    private readonly maxDiscovered = 8,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now
  ) {
    this.timings = { ...DISCOVERY_DEFAULTS, ...timings }
  }

  start (): void {
    this.bootstrapper.on('bootstrap', this.onBootstrap)
    this.scheduleAnnounce(this.timings.firstDelayMs)
    this.scheduleLookup(this.timings.firstDelayMs)
  }

  stop (): void {
    if (this.stopped) return
    this.stopped = true
    this.abort.abort()
    this.bootstrapper.off('bootstrap', this.onBootstrap)
    if (this.announceTimer != null) clearTimeout(this.announceTimer)
    if (this.lookupTimer != null) clearTimeout(this.lookupTimer)
  }

  /** Peering dropped discovered relay `peerId`: not taken again for DROPPED_FOR_MS. */
  droppedRelay (peerId: string): void {
    this.dropped.set(peerId, this.now() + DROPPED_FOR_MS)
  }

  state (): DiscoveryState {
    return { ...this.stateNow }
  }

  private scheduleAnnounce (delayMs: number): void {
    if (this.stopped) return
    if (this.announceTimer != null) clearTimeout(this.announceTimer)
    this.announceTimer = setTimeout(() => { void this.announce() }, delayMs)
    this.announceTimer.unref()
  }

  private scheduleLookup (delayMs: number): void {
    if (this.stopped) return
    if (this.lookupTimer != null) clearTimeout(this.lookupTimer)
    this.lookupTimer = setTimeout(() => { void this.lookup() }, delayMs)
    this.lookupTimer.unref()
  }

  private async announce (): Promise<void> {
    this.announceTimer = undefined
    try {
      const n = await this.dht.provide(await relaysCid(), 'the relays CID', this.abort.signal)
      this.announceFailures = 0
      this.stateNow.announced = true
      this.stateNow.announcedAt = this.now()
      log('announced this relay in the DHT (%d peers hold the record)', n)
      this.scheduleAnnounce(this.timings.reannounceMs)
    } catch (err) {
      if (this.stopped) return
      this.announceFailures++
      log('announcing this relay failed (attempt %d): %s', this.announceFailures, (err as Error).message)
      this.scheduleAnnounce(nextDelay(this.announceFailures - 1, this.timings.announceRetry, this.random))
    }
  }

  /** One lookup of the relays CID; hands new relays to peering. Never rejects. */
  async lookup (): Promise<number> {
    if (this.lookupTimer != null) clearTimeout(this.lookupTimer)
    this.lookupTimer = undefined
    if (this.looking || this.stopped) return 0
    this.looking = true
    let added = 0
    let seen = 0
    const stop = new AbortController()
    try {
      for await (const p of this.dht.providers(await relaysCid(), 'relays', AbortSignal.any([this.abort.signal, stop.signal]))) {
        if (++seen > MAX_CANDIDATES_PER_LOOKUP || this.peering.discoveredCount() >= this.maxDiscovered) break
        const id = p.id.toString()
        if (id === this.self || this.peering.has(id) || (this.dropped.get(id) ?? 0) > this.now()) continue
        const addrs = acceptable(p, id, this.loopback)
        if (addrs.length > 0 && this.peering.addDiscovered(id, addrs)) {
          added++
          this.stateNow.found++
        }
      }
      this.stateNow.lastError = null
    } catch (err) {
      if (this.stopped) return added
      // NOT_FOUND (no other relay yet), NO_DHT_PEERS, TIMEOUT: try again on the schedule
      this.stateNow.lastError = (err as Error).message
      log('relay lookup: %s', (err as Error).message)
    } finally {
      stop.abort()
      this.looking = false
    }
    this.stateNow.lastLookupAt = this.now()
    if (added > 0) log('found %d relays through the DHT', added)
    this.emptyRounds = added > 0 ? 0 : this.emptyRounds + 1
    const base = added > 0 || this.peering.discoveredCount() >= this.maxDiscovered
      ? this.timings.lookupIntervalMs
      : Math.min(this.timings.lookupIntervalMs, this.timings.firstRetryMs * 2 ** Math.min(this.emptyRounds - 1, 20))
    this.scheduleLookup(Math.round(base * (0.8 + 0.4 * this.random())))
    return added
  }
}

/** The provider's addresses that pass the address rule, each with /p2p/<id> (at most 4). */
function acceptable (p: PeerInfo, id: string, loopback: boolean): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const ma of p.multiaddrs.slice(0, 16)) {
    const text = ma.toString()
    const a = acceptRelayAddr(text.includes('/p2p/') ? text : `${text}/p2p/${id}`, loopback)
    if (a != null && a.peerId === id && !out.some(x => x.equals(a.addr))) out.push(a.addr)
    if (out.length >= 4) break
  }
  return out
}
