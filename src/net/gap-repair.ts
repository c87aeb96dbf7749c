/**
 * Causal gap repair, shared by the client and the relay. Gossip is not causally ordered across
 * peers: during a burst a dep usually arrives a moment after the op that needs it, so only a gap
 * still open GAP_SYNC_DELAY_MS later is repaired, by reconciling the space with the peer that sent
 * the op (one session per (peer, space) at a time).
 */
import { logger } from '@libp2p/logger'
import type { Replica } from '../replica.js'
import type { SyncService } from './sync-service.js'

const log = logger('spaceway:gap')

/** How long a causal gap may stay open before it is repaired by a sync, ms. */
export const GAP_SYNC_DELAY_MS = 500

/**
 * Starts repairing `replica`'s gaps through `sync`.
 * @returns a function that stops it (pending timers are cleared)
 */
export function repairGaps (replica: Replica, sync: SyncService, delayMs = GAP_SYNC_DELAY_MS): () => void {
  const pending = new Map<string, NodeJS.Timeout | null>()
  const onGap = (spaceId: string, source: string | undefined): void => {
    if (source == null) return
    const key = `${source}/${spaceId}`
    if (pending.has(key)) return
    const timer = setTimeout(() => {
      pending.set(key, null)
      if (!replica.hasGap(spaceId)) { pending.delete(key); return }
      sync.syncWith(source, spaceId)
        .catch(err => { log('gap sync of %s with %s failed: %s', spaceId, source, (err as Error).message) })
        .finally(() => pending.delete(key))
    }, delayMs)
    timer.unref()
    pending.set(key, timer)
  }
  replica.on('gap', onGap)
  return () => {
    replica.off('gap', onGap)
    for (const t of pending.values()) if (t != null) clearTimeout(t)
    pending.clear()
  }
}
