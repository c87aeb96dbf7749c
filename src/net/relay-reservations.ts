/**
 * Circuit relay v2 reservations, guarded: at most `maxPerIp` peers per IP address (per /64 for
 * IPv6) hold one, and a reservation is released as soon as its peer's last connection to the
 * relay closes. circuit-relay-v2 already allows one reservation per PeerId, but keeps it up to
 * its TTL (2 h) after the peer has gone: throwaway identities could fill every slot in seconds and
 * keep honest clients out for hours.
 *
 * Built on circuit-relay-v2's public surface, checked against @libp2p/circuit-relay-v2 4.2.13
 * (dist/src/server/index.js `handleReserve`, server/reservation-store.js):
 * - refusal: the connection gater's `denyInboundRelayReservation(peer)`, asked before each
 *   reservation (the peer gets PERMISSION_DENIED);
 * - release: the service's `reservations` map (the store's own map: `reserve` checks `size` against
 *   maxReservations and `get(peer)` for a refresh) - deleting the entry is what the store's own
 *   `removeReservation` does; the entry's expiry signal is cleared first, or its abort listener
 *   would later delete a newer reservation of the same peer.
 * test/integration/relay-reservations.test.ts fails if that changes (slots not freed, refusals).
 */
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { SpacewayNode } from './node.js'

const log = logger('spaceway:relay:reservations')

/**
 * The address a per-IP limit counts: the IPv4 address, or the /64 prefix of an IPv6 address (one
 * host usually holds a whole /64). Null for an address without an IP (e.g. a circuit).
 */
export function ipKey (ma: Multiaddr): string | null {
  for (const c of ma.getComponents()) {
    if (c.name === 'ip4' && c.value != null) return c.value
    if (c.name === 'ip6' && c.value != null) return `${expandIpv6(c.value).slice(0, 4).join(':')}::/64`
  }
  return null
}

/** The 8 groups of an IPv6 address, lower case, without leading zeros (`::` expanded). */
function expandIpv6 (ip: string): string[] {
  const [head, tail] = ip.toLowerCase().split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail == null || tail === '' ? [] : tail.split(':')
  const groups = tail == null ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return groups.map(g => g.includes('.') ? g : String(parseInt(g, 16).toString(16)))
}

/**
 * Pure accounting: which peers hold (or were just granted) a slot, under which IP key. A peer
 * asking again (a refresh) keeps its slot; a new peer gets one while its IP holds fewer than
 * `maxPerIp`.
 */
export class IpQuota {
  private readonly holders = new Map<string, string>()
  private readonly perIp = new Map<string, number>()

  constructor (readonly maxPerIp: number) {}

  /** Takes a slot for `peer` from `ip`; false if `ip` is at its limit. */
  take (peer: string, ip: string): boolean {
    const held = this.holders.get(peer)
    if (held === ip) return true
    if (held != null) this.release(peer)
    const n = this.perIp.get(ip) ?? 0
    if (n >= this.maxPerIp) return false
    this.holders.set(peer, ip)
    this.perIp.set(ip, n + 1)
    return true
  }

  /** Frees `peer`'s slot, if it has one. */
  release (peer: string): void {
    const ip = this.holders.get(peer)
    if (ip == null) return
    this.holders.delete(peer)
    const n = (this.perIp.get(ip) ?? 1) - 1
    if (n <= 0) this.perIp.delete(ip)
    else this.perIp.set(ip, n)
  }

  /** Slots held by peers from `ip`. */
  count (ip: string): number {
    return this.perIp.get(ip) ?? 0
  }

  /** Peers holding a slot. */
  get size (): number {
    return this.holders.size
  }
}

/**
 * Guards the relay node's reservations. `deny` goes into the node's connection gater (before the
 * node exists); `attach` hands it the node once created.
 */
export class ReservationGuard {
  private readonly quota: IpQuota
  private node?: SpacewayNode
  /** Reservations refused for the per-IP limit, since start. */
  refused = 0
  /** Reservations released because their peer disconnected, since start. */
  released = 0

  /** @param maxPerIp peers per IP address (IPv6: per /64) that may hold a reservation at once */
  constructor (maxPerIp: number) {
    this.quota = new IpQuota(maxPerIp)
  }

  /** connectionGater.denyInboundRelayReservation: true refuses `peer` a reservation. */
  readonly deny = (peer: PeerId): boolean => {
    const conn = this.node?.getConnections(peer).find(c => c.limits == null)
    const ip = conn == null ? null : ipKey(conn.remoteAddr)
    if (ip == null) return true
    if (this.quota.take(peer.toString(), ip)) return false
    this.refused++
    log('refused a reservation to %p: %d peers from %s hold one', peer, this.quota.count(ip), ip)
    return true
  }

  /** Starts releasing reservations of peers that disconnect. Call once, right after creating the node. */
  attach (node: SpacewayNode): void {
    this.node = node
    node.addEventListener('peer:disconnect', (evt) => { this.release(evt.detail) })
  }

  /** Frees `peer`'s reservation and its per-IP slot (the peer has no connection left). */
  release (peer: PeerId): void {
    this.quota.release(peer.toString())
    const reservations = this.node?.services.relay?.reservations
    const r = reservations?.get(peer)
    if (reservations == null || r == null) return
    r.signal.clear()
    reservations.delete(peer)
    this.released++
    log('released the reservation of %p (disconnected); %d held', peer, reservations.size)
  }
}
