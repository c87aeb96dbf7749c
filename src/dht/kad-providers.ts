/**
 * Every provider of a CID, streamed. kad-dht's own `findProviders` stops at k (20) providers and
 * gives this node's stored provider records first, so 20 sybils that provided before the real
 * holder hide it for good from any node that stores the records (in a network of fewer than ~20
 * DHT servers: every node). This runs the same query without that cap: all local records, then
 * GET_PROVIDERS to the routing-table peers closest to the key that we are already connected to (no
 * dial: one round trip), then GET_PROVIDERS along the Kademlia walk, yielding each response's
 * providers as it arrives. The walk dials up to k new peers (a noise handshake each) and so
 * competes with the caller's own dial and sync of the first provider for the CPU: when the direct
 * asks named providers it starts only WALK_DELAY_MS later (the caller stops us before that if one
 * of them hands over), and at once otherwise. (The same idea as IPFS's Bitswap, which asks its
 * connected peers before it asks the DHT.)
 *
 * The one place that reaches into kad-dht's implementation (its `providers`, `queryManager` and
 * `network` members and its query-function contract), checked against @libp2p/kad-dht 16.4.5
 * (dist/src/kad-dht.js, content-routing/index.js `findProviders`). `kadInternals` throws
 * KAD_INTERNALS if that shape changes; test/integration/join-sybil.test.ts then fails loudly.
 */
import { MessageType, type KadDHT, type QueryEvent } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId, PeerInfo, PeerStore } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { createHash } from 'node:crypto'
import { SpacewayError } from '../errors.js'

interface QueryContext { peer: PeerInfo, signal: AbortSignal, path: unknown }
interface KadInternals {
  routingTable: { closestPeers: (kadId: Uint8Array, options: { count: number }) => PeerId[] }
  providers: { getProviders: (cid: CID, options?: AbortOptions) => Promise<PeerId[]> }
  queryManager: { run: (key: Uint8Array, fn: (ctx: QueryContext) => AsyncIterable<QueryEvent>, options: AbortOptions) => AsyncIterable<QueryEvent> }
  network: { sendRequest: (to: PeerId, msg: { type: MessageType, key: Uint8Array }, options: AbortOptions & { path: unknown }) => AsyncIterable<QueryEvent> }
}

/**
 * The kad-dht members this module uses.
 * @throws SpacewayError KAD_INTERNALS if the installed kad-dht no longer has them
 */
export function kadInternals (dht: KadDHT): KadInternals {
  const impl = dht as unknown as Partial<KadInternals>
  if (typeof impl.providers?.getProviders !== 'function' || typeof impl.queryManager?.run !== 'function' || typeof impl.network?.sendRequest !== 'function' || typeof impl.routingTable?.closestPeers !== 'function') {
    throw new SpacewayError('KAD_INTERNALS', 'the installed @libp2p/kad-dht is not shaped like 16.4.5 (providers, queryManager, network, routingTable): see src/dht/kad-providers.ts')
  }
  return impl as KadInternals
}

/** Connected routing-table peers asked directly, before the walk (the closest to the key first). */
export const DIRECT_ASKS = 6

/**
 * How long a direct ask may take, ms; and how long the walk then waits when the direct asks named
 * providers (not at all when they named none).
 */
export const WALK_DELAY_MS = 500

/** What `allProviders` needs of the node besides kad-dht. */
export interface ProviderNode {
  peerStore: PeerStore
  /** Open connections to `peer` (only connected peers are asked directly). */
  getConnections: (peer: PeerId) => unknown[]
}

/** Resolves after `ms`, or at once when `signal` aborts. */
async function pause (ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(t); signal.removeEventListener('abort', done); resolve() }
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/**
 * Streams batches of providers of `cid`: first this node's stored records (all of them), then the
 * answers of up to DIRECT_ASKS connected routing-table peers closest to the key (each within
 * WALK_DELAY_MS), then each GET_PROVIDERS answer of the lookup (started WALK_DELAY_MS after the
 * direct answers when those named providers). Batches may repeat providers and include this node; the caller de-duplicates.
 * Ends when the lookup has asked the closest peers it found.
 * @throws SpacewayError KAD_INTERNALS; the lookup's errors (AbortError when `signal` aborts)
 */
export async function * allProviders (dht: KadDHT, node: ProviderNode, cid: CID, options: { signal: AbortSignal }): AsyncGenerator<PeerInfo[], void, undefined> {
  const kad = kadInternals(dht)
  const local: PeerInfo[] = []
  for (const id of await kad.providers.getProviders(cid, options)) {
    const peer = await node.peerStore.get(id, options).catch(() => null)
    if (peer != null) local.push({ id, multiaddrs: peer.addresses.map(a => a.multiaddr) })
  }
  if (local.length > 0) yield local
  const key = cid.multihash.bytes
  let named = local.length > 0
  // the direct asks: concurrently, each answer yielded as it comes (a slow peer holds up nobody)
  const kadId = createHash('sha256').update(key).digest()
  const direct = kad.routingTable.closestPeers(kadId, { count: 20 }).filter(p => node.getConnections(p).length > 0).slice(0, DIRECT_ASKS)
  // a connected peer answers in one round trip: one that has not within WALK_DELAY_MS is left behind
  const asks = AbortSignal.any([options.signal, AbortSignal.timeout(WALK_DELAY_MS)])
  const answerOf = async (peer: PeerId): Promise<PeerInfo[]> => {
    for await (const e of kad.network.sendRequest(peer, { type: MessageType.GET_PROVIDERS, key }, { signal: asks, path: { index: -1, queued: 0, running: 0, total: 0 } })) {
      if (e.name === 'PEER_RESPONSE') return e.providers
    }
    return []
  }
  const pending = new Map<number, Promise<[number, PeerInfo[]]>>()
  direct.forEach((peer, i) => { pending.set(i, answerOf(peer).then(ps => [i, ps], () => [i, []])) })
  while (pending.size > 0) {
    const [i, providers] = await Promise.race(pending.values())
    pending.delete(i)
    options.signal.throwIfAborted()
    if (providers.length > 0) { named = true; yield providers }
  }
  if (named) await pause(WALK_DELAY_MS, options.signal)
  options.signal.throwIfAborted()
  const ask = ({ peer, signal, path }: QueryContext): AsyncIterable<QueryEvent> =>
    kad.network.sendRequest(peer.id, { type: MessageType.GET_PROVIDERS, key }, { ...options, signal, path })
  for await (const e of kad.queryManager.run(key, ask, options)) {
    if (e.name === 'PEER_RESPONSE' && e.providers.length > 0) yield e.providers
  }
}
