/**
 * How the client reaches the peers that may hold a space: who they are, and a reconciliation with
 * one of them. Built once on App (`app.reach`); the outbox (net/outbox.ts) and the key pulls after
 * a join (net/key-pull.ts) use it.
 */
import type { SyncStats } from '../sync/session.js'

export interface SpaceReach {
  /**
   * Reconciles `spaceId` with `peer` (SyncService.syncWith).
   * @throws as SyncService.syncWith; `signal`'s reason when it aborts first
   */
  syncWith: (peer: string, spaceId: string, options: { signal: AbortSignal }) => Promise<SyncStats>
  /** True if `peer` is one of our relays. */
  isRelay: (peer: string) => boolean
  /** PeerIds of the relays connected now. */
  connectedRelays: () => string[]
  /** PeerIds known to be subscribed to the space's GossipSub topic. */
  subscribers: (spaceId: string) => string[]
}
