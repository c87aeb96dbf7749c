/**
 * Configuration and shapes of relay peering (peering.ts): the `--peer-relay` parser, timings and
 * bounds, what peering needs of the node, the sync service and the store, and what it reports.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { BadArgumentError } from '../src/errors.js'
import type { BackoffOptions } from '../src/dht/backoff.js'
import { parseMultiaddr, peerIdOf } from '../src/net/dial.js'
import { quoted } from '../src/core/sanitize.js'
import { SYNC_SESSION_TIMEOUT_MS } from '../src/net/sync-service.js'
import type { SyncStats } from '../src/sync/session.js'

/** Most peer relays one relay may be configured with. */
export const MAX_PEER_RELAYS = 64

/** Default most relays found through the DHT peered with at once (configured ones come on top). */
export const MAX_DISCOVERED_RELAYS = 8

/** Dials, or sessions, failed in a row after which a discovered relay is dropped. */
export const MAX_DISCOVERED_FAILURES = 3

/** How long a discovered relay has to prove it is one once connected (identify), ms. */
export const VERIFY_TIMEOUT_MS = 5000

/** Timings of peering (ms) and its concurrency (sessions). */
export interface PeeringTimings {
  /** Anti-entropy period, ms (jittered +-20%). */
  intervalMs: number
  /** Deadline of each dial of a peer relay, ms. */
  dialTimeoutMs: number
  /** Deadline of each sync session with a peer relay, ms (the sync service has its own 120 s too). */
  sessionTimeoutMs: number
  /** Wait before spreading a space that got new ops, ms (bursts of sessions become one). */
  spreadDelayMs: number
  /** How long the side with the larger PeerId leaves the first round to the other side, ms. */
  connectDeferMs: number
  /** Redial schedule after a failed dial or a lost connection (ms). */
  backoff: BackoffOptions
  /** Sessions run at once with one peer relay. */
  concurrency: number
}

export const PEERING_DEFAULTS: PeeringTimings = {
  intervalMs: 30_000,
  dialTimeoutMs: 10_000,
  sessionTimeoutMs: SYNC_SESSION_TIMEOUT_MS,
  spreadDelayMs: 1000,
  connectDeferMs: 1000,
  backoff: { intervalMs: 1000, capMs: 60_000, jitter: 0.2 },
  concurrency: 2
}

/** One configured peer relay: its PeerId (from the multiaddr's /p2p/) and every address given for it. */
export interface PeerRelayAddr { peerId: string, addrs: Multiaddr[] }

/**
 * Parses `--peer-relay` values. Each must be a multiaddr ending in `/p2p/<PeerId>`: the PeerId is
 * what the relay trusts (with ciphertext of private spaces, and past per-peer quotas), so it is
 * fixed by configuration, never taken from whoever answers at an address. Several addresses of one
 * PeerId become one peer relay dialed at all of them.
 * @throws BadArgumentError (not a multiaddr, no /p2p/ component, our own PeerId, more than
 *   MAX_PEER_RELAYS peer relays)
 */
export function parsePeerRelays (values: string[], self: string): PeerRelayAddr[] {
  const byPeer = new Map<string, PeerRelayAddr>()
  for (const text of values) {
    const ma = parseMultiaddr(text)
    const peerId = peerIdOf(ma)
    if (peerId == null) throw new BadArgumentError(`--peer-relay ${quoted(text)}: needs the relay's PeerId, e.g. /ip4/10.0.0.2/tcp/9000/p2p/12D3Koo... (the address the relay prints at start)`)
    try { peerIdFromString(peerId) } catch { throw new BadArgumentError(`--peer-relay ${quoted(text)}: ${peerId} is not a valid PeerId`) }
    if (peerId === self) throw new BadArgumentError(`--peer-relay ${quoted(text)}: that is this relay's own PeerId`)
    const entry = byPeer.get(peerId) ?? { peerId, addrs: [] }
    if (!entry.addrs.some(a => a.equals(ma))) entry.addrs.push(ma)
    byPeer.set(peerId, entry)
  }
  if (byPeer.size > MAX_PEER_RELAYS) throw new BadArgumentError(`--peer-relay: ${byPeer.size} peer relays given, at most ${MAX_PEER_RELAYS}`)
  return [...byPeer.values()]
}

/** What `/health` and logs show of one peer relay. Times in ms since the epoch. */
export interface PeerRelayState {
  peerId: string
  /** How it became a peer relay: `configured` (--peer-relay) or `dht` (found through the DHT). */
  source: 'configured' | 'dht'
  /** A discovered relay whose check (identify) has not passed yet: not reconciled with. */
  verified: boolean
  addrs: string[]
  connected: boolean
  /** Failed dials in a row. */
  failures: number
  lastError: string | null
  nextAttemptAt: number | null
  /** Last sync session of ours with it that completed. */
  lastSyncAt: number | null
  /** Sessions of ours with it: completed, and failed (timeouts, resets, refused at its session limit). */
  sessions: number
  failedSessions: number
  /** Spaces waiting for a session with it now. */
  queued: number
}

/** The libp2p node as peering uses it. */
export interface PeeringNode {
  peerId: PeerId
  dial: (addrs: Multiaddr[], options: { signal: AbortSignal }) => Promise<Connection>
  getConnections: (peer?: PeerId) => Connection[]
  addEventListener: (type: 'peer:connect' | 'peer:disconnect', listener: (evt: CustomEvent<PeerId>) => void) => void
  removeEventListener: (type: 'peer:connect' | 'peer:disconnect', listener: (evt: CustomEvent<PeerId>) => void) => void
}

/** The sync service as peering uses it. */
export interface PeeringSync {
  syncWith: (peer: string, spaceId: string, options: { signal: AbortSignal }) => Promise<SyncStats>
  openedBySince: (peer: string, spaceId: string, since: number) => boolean
}

/** The store as peering uses it. */
export interface PeeringStore {
  /** Space ids held (not the ones only being joined). */
  spaces: () => Iterable<string>
  /** Ops held of a space, or undefined if it is not held. */
  opCount: (spaceId: string) => number | undefined
}

/** Options of discovered peer relays. */
export interface DiscoveredOptions {
  /** Most discovered relays at once (default MAX_DISCOVERED_RELAYS). */
  maxDiscovered: number
  /** Resolves true once connected `peer` proved it is a relay (net/relay-check.ts speaksRelay). */
  verify: (peer: PeerId, signal: AbortSignal) => Promise<boolean>
  /** A discovered relay was dropped (not a relay, unreachable, failing): `reason` for logs. */
  onDropped: (peerId: string, reason: string) => void
  /**
   * Whether `spaceId` may be reconciled with discovered relay `peer` (the relay's access rule: not
   * a private space, which only members and configured peer relays get). Default: yes.
   */
  mayShare: (peer: string, spaceId: string) => boolean
}
