/**
 * Is a peer a spaceway relay? Anyone can announce itself as one in the DHT, and a member can name any
 * address as its relay, so what is learned that way is used only once the peer, connected, proves
 * it: its identify (libp2p identify, run on every connection) lists both the circuit relay v2 hop
 * protocol and our sync protocol. (A peer that lists them and then does not serve them gains
 * nothing: every use of it is bounded and counted like any peer's; see relay/peering.ts and
 * relay-client.ts, which drop learned relays that keep failing.)
 *
 * Also the address rule for learned relays: only direct TCP addresses with the relay's PeerId, and
 * loopback addresses only when we ourselves run on loopback (tests, local clusters) - and then only
 * loopback. So a hostile member cannot make a test dial out, nor a deployed client dial its own
 * machine's local services.
 */
import type { PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { SYNC_PROTOCOL } from '../sync/messages.js'

/** Circuit relay v2 hop protocol (@libp2p/circuit-relay-v2 RELAY_V2_HOP_CODEC): only relay servers handle it. */
export const HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

/** What the check needs of the node. */
export interface RelayCheckNode {
  peerStore: { get: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<{ protocols: string[] }> }
  addEventListener: (type: 'peer:identify', listener: (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>) => void) => void
  removeEventListener: (type: 'peer:identify', listener: (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>) => void) => void
}

/** True if `protocols` (what identify reported) are those of a spaceway relay. */
export function isRelayProtocols (protocols: string[]): boolean {
  return protocols.includes(HOP_PROTOCOL) && protocols.includes(SYNC_PROTOCOL)
}

/**
 * Resolves true once identify of connected `peer` shows a spaceway relay, false when it shows
 * something else or `signal` aborts first (identify runs right after the connection opens; the
 * caller's deadline bounds the wait). Never rejects.
 */
export async function speaksRelay (node: RelayCheckNode, peer: PeerId, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false
  return await new Promise<boolean>(resolve => {
    let done = false
    const finish = (v: boolean): void => {
      if (done) return
      done = true
      node.removeEventListener('peer:identify', onIdentify)
      signal.removeEventListener('abort', onAbort)
      resolve(v)
    }
    const onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
      if (evt.detail.peerId.equals(peer)) finish(isRelayProtocols(evt.detail.protocols))
    }
    const onAbort = (): void => { finish(false) }
    node.addEventListener('peer:identify', onIdentify)
    signal.addEventListener('abort', onAbort)
    // identify may have completed before we listened: the peer store has its protocols then
    node.peerStore.get(peer, { signal }).then(p => { if (isRelayProtocols(p.protocols)) finish(true) }, () => {})
  })
}

const LOOPBACK = /^(127\.|::1$|0:0:0:0:0:0:0:1$)/

/**
 * Parses a learned relay address and checks the address rule (module comment): a multiaddr
 * `/ip4|ip6|dns4|dns6|dns/<host>/tcp/<port>/p2p/<PeerId>` and nothing else, loopback iff
 * `loopback`. Returns the multiaddr and PeerId, or null when the address is not acceptable.
 */
export function acceptRelayAddr (text: unknown, loopback: boolean): { addr: Multiaddr, peerId: string } | null {
  if (typeof text !== 'string' || text.length > 256) return null
  let ma: Multiaddr
  try { ma = multiaddr(text) } catch { return null }
  const c = ma.getComponents()
  if (c.length !== 3 || c[1].name !== 'tcp' || c[2].name !== 'p2p' || c[2].value == null) return null
  if (!['ip4', 'ip6', 'dns4', 'dns6', 'dns'].includes(c[0].name) || c[0].value == null) return null
  const port = Number(c[1].value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null
  try { peerIdFromString(c[2].value) } catch { return null }
  const host = c[0].value
  const isLoop = host === 'localhost' || LOOPBACK.test(host)
  if (isLoop !== loopback) return null
  if (!loopback && (host === '0.0.0.0' || host === '::')) return null
  return { addr: ma, peerId: c[2].value }
}
