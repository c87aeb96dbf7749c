/**
 * Dialing the peers that discovery names (mDNS on a LAN, and every peer a Kademlia query meets:
 * libp2p emits `peer:discovery` for both and dials none of them by itself). Enough of them to join a
 * LAN chat and to fill the routing table and the GossipSub mesh, not a connection to every peer a
 * query met, and never all at once: one DHT answer names up to k (20) peers, and a burst of 20 noise
 * handshakes took the CPU a `join` needed for its own dial of the space's provider (measured, 20
 * processes on 2 cores: that dial took 1.4-2.1 s on loopback while the burst ran, instead of
 * tens of ms).
 */
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { SpacewayNode } from './node.js'
import type { Foreground } from './foreground.js'
import { scopedSignal } from './scoped-signal.js'

const log = logger('spaceway:discovery')

/** Discovered peers are dialed while fewer than this many peers are connected (or being dialed). */
export const DISCOVERY_DIAL_BELOW = 16

/** Discovery dials running at once at most; further discoveries wait for a slot (newest kept). */
export const DISCOVERY_DIALS_AT_ONCE = 3

/** Discoveries waiting for a slot at most (the oldest are dropped: a later query names them again). */
export const DISCOVERY_QUEUE_MAX = 64

/** Deadline of one discovery dial, ms. */
export const DISCOVERY_DIAL_TIMEOUT_MS = 10_000

/**
 * `addr` with `/p2p/<peerId>` at its end (kept as it is if it ends in one), so libp2p knows whom it
 * dials: an open connection to that peer, or a dial to it already under way, is used instead of a
 * second connection. Throws what `multiaddr` throws for a malformed string.
 */
export function withPeerId (addr: Multiaddr | string, peerId: string): Multiaddr {
  const ma = typeof addr === 'string' ? multiaddr(addr) : addr
  // the last component: a circuit address names its relay with an earlier /p2p/
  return ma.getComponents().at(-1)?.name === 'p2p' ? ma : ma.encapsulate(`/p2p/${peerId}`)
}

/** Dials discovered peers, a few at a time, while we have few connections. */
export class DiscoveryDialer {
  private readonly dialing = new Set<string>()
  private readonly queue = new Map<string, { id: PeerId, addrs: Multiaddr[] }>()
  private stopped = false

  /**
   * @param foreground while it is busy (a `join` runs), no new dial starts (net/foreground.ts);
   *   queued discoveries are dialed once it is idle
   */
  constructor (private readonly node: Pick<SpacewayNode, 'peerId' | 'dial' | 'getConnections' | 'getPeers'>, private readonly signal: AbortSignal, private readonly foreground?: Foreground) {
    const onIdle = (): void => { this.next() }
    foreground?.on('idle', onIdle)
    signal.addEventListener('abort', () => { this.stopped = true; this.queue.clear(); foreground?.off('idle', onIdle) }, { once: true })
  }

  /** Dials in progress now. */
  get inFlight (): number { return this.dialing.size }

  /** A peer was discovered at `addrs` (may be empty: libp2p then looks it up). Never throws. */
  discovered (id: PeerId, addrs: Multiaddr[]): void {
    const key = id.toString()
    if (this.stopped || id.equals(this.node.peerId) || this.dialing.has(key) || this.node.getConnections(id).length > 0) return
    this.queue.delete(key)
    this.queue.set(key, { id, addrs })
    while (this.queue.size > DISCOVERY_QUEUE_MAX) this.queue.delete(this.queue.keys().next().value as string)
    this.next()
  }

  private wanted (): boolean {
    return this.node.getPeers().length + this.dialing.size < DISCOVERY_DIAL_BELOW
  }

  private next (): void {
    while (!this.stopped && this.foreground?.busy !== true && this.dialing.size < DISCOVERY_DIALS_AT_ONCE && this.queue.size > 0) {
      if (!this.wanted()) { this.queue.clear(); return }
      // newest first: the peers the latest query met are the best placed
      const key = [...this.queue.keys()].at(-1) as string
      const { id, addrs } = this.queue.get(key) as { id: PeerId, addrs: Multiaddr[] }
      this.queue.delete(key)
      if (this.node.getConnections(id).length > 0) continue
      this.dialing.add(key)
      const target = addrs.length > 0 ? addrs.map(a => withPeerId(a, key)) : id
      log('discovered %p, dialing', id)
      const { signal, release } = scopedSignal([this.signal], DISCOVERY_DIAL_TIMEOUT_MS)
      this.node.dial(target, { signal })
        .catch(err => { log('dial of discovered %p failed: %s', id, (err as Error).message) })
        .finally(() => { release(); this.dialing.delete(key); this.next() })
    }
  }
}
