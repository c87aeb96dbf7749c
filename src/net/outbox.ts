/**
 * What we wrote that may be nowhere else yet, and one last push of it before we stop.
 *
 * GossipSub delivers an op only to the peers subscribed to its topic at the moment of publishing: an
 * op written right after `space create` (before our relay has subscribed) or while the mesh is
 * forming reaches nobody, and the reconciliation that would carry it (the relay sync a moment after
 * each write, anti-entropy) never runs if the program stops first. Then a member who comes later
 * finds the space without it, until we come back.
 *
 * So every op we author marks its space, and a completed sync session that started after our last
 * own op there (with a relay; with any peer while no relay is connected) clears the mark. On stop,
 * `flush` reconciles each marked space with the connected relays (none connected: with up to
 * FLUSH_PEERS subscribed peers), within a deadline.
 */
import { logger } from '@libp2p/logger'
import type { SyncStats } from '../sync/session.js'
import type { SpaceReach } from './reach.js'

const log = logger('spaceway:outbox')

/** How long a stop waits for the last push of unsynced own ops, ms (within the lifecycle's 5,000 ms stop deadline). */
export const FLUSH_MS = 2000

/** Subscribed peers a marked space is pushed to when no relay is connected. */
export const FLUSH_PEERS = 3

/** Result of a flush: spaces that were marked, and how many of them are now held elsewhere. */
export interface FlushResult {
  spaces: number
  pushed: number
}

export class Outbox {
  /** spaceId -> time of our last own op there, ms since the epoch. */
  private readonly marked = new Map<string, number>()

  constructor (private readonly deps: SpaceReach) {}

  /** We authored an op in `spaceId` at `at` (ms since the epoch). */
  wrote (spaceId: string, at = Date.now()): void {
    this.marked.set(spaceId, at)
  }

  /** A sync session with `peer` ended: if it started after our last own op there, the mark goes. */
  synced (peer: string, stats: SyncStats): void {
    const at = this.marked.get(stats.spaceId)
    if (at == null || stats.outcome !== 'done' || stats.startedAt <= at) return
    if (this.deps.isRelay(peer) || this.deps.connectedRelays().length === 0) this.marked.delete(stats.spaceId)
  }

  /** Spaces with own ops that no completed sync has carried yet. */
  get pending (): string[] {
    return [...this.marked.keys()]
  }

  /**
   * Reconciles every marked space with the connected relays, or (none connected) with up to
   * FLUSH_PEERS subscribed peers; waits at most `ms` (an unfinished session is aborted). Never
   * throws: with nobody to push to, the ops wait in the store for the next start.
   */
  async flush (ms = FLUSH_MS): Promise<FlushResult> {
    const spaces = this.pending
    if (spaces.length === 0) return { spaces: 0, pushed: 0 }
    const signal = AbortSignal.timeout(ms)
    const relays = this.deps.connectedRelays()
    const results = await Promise.all(spaces.map(async spaceId => {
      const targets = relays.length > 0 ? relays : this.deps.subscribers(spaceId).slice(0, FLUSH_PEERS)
      const outcomes = await Promise.allSettled(targets.map(async peer => await this.deps.syncWith(peer, spaceId, { signal })))
      for (const [i, o] of outcomes.entries()) {
        if (o.status === 'rejected') log('last push of %s to %s failed: %s', spaceId, targets[i], (o.reason as Error)?.message)
      }
      return outcomes.some(o => o.status === 'fulfilled' && o.value.outcome === 'done')
    }))
    const pushed = results.filter(Boolean).length
    log('pushed %d of %d spaces with unsynced own ops', pushed, spaces.length)
    return { spaces: spaces.length, pushed }
  }
}
