/**
 * Announces every space held here in the DHT, in the background: a provider record for the space's
 * CID and the space descriptor record (records.ts). Nothing the user does waits for it. Failed
 * announcements are retried with backoff (and at once after a bootstrap that filled the table);
 * everything is re-announced every 12 h (kad-dht also re-provides provider records 24 h before their
 * 48 h expiry). The state of each space's announcement is visible in `network`.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import type { Op } from '../core/op.js'
import type { OpStore } from '../store/op-store.js'
import { nextDelay } from './backoff.js'
import type { Bootstrapper } from './bootstrapper.js'
import type { DhtService } from './dht-service.js'
import { descriptorKey, encodeDescriptor, spaceCid } from './records.js'
import { decodeOp } from '../core/op.js'

const log = logger('spaceway:dht:announce')

/**
 * A new announcement starts this long after it is asked for (ms), so a burst of commands (or a
 * start-up with many spaces) is not slowed by DHT traffic; nobody waits for announcements.
 */
export const ANNOUNCE_DELAY_MS = 1000

/** Announcements run at the same time, at most. */
export const MAX_CONCURRENT = 2

/** How often everything is announced again, ms. */
export const REANNOUNCE_MS = 12 * 3_600_000

/** State of one space's announcement. Times in ms since the epoch. */
export interface AnnouncementState {
  spaceId: string
  status: 'pending' | 'running' | 'done' | 'failed'
  attempts: number
  providers: number
  lastError: string | null
  doneAt: number | null
  nextAttemptAt: number | null
}

export class Announcer extends EventEmitter<{ change: [AnnouncementState] }> {
  private readonly states = new Map<string, AnnouncementState>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private stopped = false
  private readonly ready: string[] = []
  private active = 0
  private readonly onBootstrap = (r: { ok: boolean }): void => {
    if (!r.ok) return
    for (const s of this.states.values()) if (s.status === 'failed' || s.status === 'pending') this.schedule(s.spaceId, 0)
  }

  constructor (private readonly dht: DhtService, private readonly store: OpStore, private readonly bootstrapper: Bootstrapper, private readonly retry = { intervalMs: 5000, capMs: 300_000, jitter: 0.2 }) {
    super()
    bootstrapper.on('bootstrap', this.onBootstrap)
  }

  /** Announcement states, one per space. */
  list (): AnnouncementState[] {
    return [...this.states.values()].map(s => ({ ...s }))
  }

  /** Queues an announcement of `spaceId` (idempotent while one is pending or running). */
  announce (spaceId: string): void {
    const s = this.states.get(spaceId)
    if (s?.status === 'running' || (s?.status === 'pending' && this.timers.has(spaceId))) return
    this.states.set(spaceId, s ?? { spaceId, status: 'pending', attempts: 0, providers: 0, lastError: null, doneAt: null, nextAttemptAt: null })
    this.schedule(spaceId, ANNOUNCE_DELAY_MS)
  }

  stop (): void {
    this.stopped = true
    this.bootstrapper.off('bootstrap', this.onBootstrap)
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private schedule (spaceId: string, delay: number): void {
    if (this.stopped) return
    const old = this.timers.get(spaceId)
    if (old != null) clearTimeout(old)
    const state = this.states.get(spaceId)
    if (state != null) state.nextAttemptAt = Date.now() + delay
    const t = setTimeout(() => {
      this.timers.delete(spaceId)
      this.ready.push(spaceId)
      this.drain()
    }, delay)
    t.unref()
    this.timers.set(spaceId, t)
  }

  /** Starts queued announcements while fewer than MAX_CONCURRENT run (a burst of new spaces must not
   * flood the DHT, nor the event loop the UI shares). */
  private drain (): void {
    while (this.active < MAX_CONCURRENT && this.ready.length > 0) {
      const spaceId = this.ready.shift() as string
      this.active++
      void this.run(spaceId).finally(() => {
        this.active--
        this.drain()
      })
    }
  }

  private async run (spaceId: string): Promise<void> {
    const state = this.states.get(spaceId)
    const bytes = await this.store.getBytes(spaceId)
    if (state == null || bytes == null || state.status === 'running') return
    state.status = 'running'
    state.attempts++
    state.nextAttemptAt = null
    try {
      const create = decodeOp(bytes, { verify: false }) as Op<'space.create'>
      // a private space publishes no descriptor: only provider records under a hash of its id
      const isPublic = (create.payload as { public?: boolean }).public !== false
      const [providers] = await Promise.all([
        this.dht.provide(await spaceCid(spaceId), `space ${spaceId}`),
        isPublic ? this.dht.put(descriptorKey(spaceId), encodeDescriptor(create), `descriptor of space ${spaceId}`) : Promise.resolve(0)
      ])
      state.status = 'done'
      state.providers = providers
      state.doneAt = Date.now()
      state.lastError = null
      state.attempts = 0
      log('announced space %s (%d peers hold the provider record)', spaceId, providers)
      this.schedule(spaceId, REANNOUNCE_MS)
      this.emit('change', { ...state })
    } catch (err) {
      state.status = 'failed'
      state.lastError = (err as Error).message
      log('announcing space %s failed (attempt %d): %s', spaceId, state.attempts, state.lastError)
      this.schedule(spaceId, nextDelay(state.attempts - 1, this.retry))
      this.emit('change', { ...state })
    }
  }
}
