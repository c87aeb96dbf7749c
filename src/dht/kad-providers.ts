/**
 * Every provider of a CID, streamed. kad-dht's own `findProviders` stops at k (20) providers and
 * gives this node's stored provider records first, so 20 sybils that provided before the real
 * holder hide it for good from any node that stores the records (in a network of fewer than ~20
 * DHT servers: every node). This runs the same query without that cap: all local records, then
 * GET_PROVIDERS along the Kademlia walk, yielding each response's providers as it arrives.
 *
 * The one place that reaches into kad-dht's implementation (its `providers`, `queryManager` and
 * `network` members and its query-function contract), checked against @libp2p/kad-dht 16.4.5
 * (dist/src/kad-dht.js, content-routing/index.js `findProviders`). `kadInternals` throws
 * KAD_INTERNALS if that shape changes; test/integration/join-sybil.test.ts then fails loudly.
 */
import { MessageType, type KadDHT, type QueryEvent } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId, PeerInfo, PeerStore } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { SpacewayError } from '../errors.js'

interface QueryContext { peer: PeerInfo, signal: AbortSignal, path: unknown }
interface KadInternals {
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
  if (typeof impl.providers?.getProviders !== 'function' || typeof impl.queryManager?.run !== 'function' || typeof impl.network?.sendRequest !== 'function') {
    throw new SpacewayError('KAD_INTERNALS', 'the installed @libp2p/kad-dht is not shaped like 16.4.5 (providers, queryManager, network): see src/dht/kad-providers.ts')
  }
  return impl as KadInternals
}

/**
 * Streams batches of providers of `cid`: first this node's stored records (all of them), then each
 * GET_PROVIDERS answer of the lookup. Batches may repeat providers and include this node; the
 * caller de-duplicates. Ends when the lookup has asked the closest peers it found.
 * @throws SpacewayError KAD_INTERNALS; the lookup's errors (AbortError when `signal` aborts)
 */
export async function * allProviders (dht: KadDHT, peerStore: PeerStore, cid: CID, options: { signal: AbortSignal }): AsyncGenerator<PeerInfo[], void, undefined> {
  const kad = kadInternals(dht)
  const local: PeerInfo[] = []
  for (const id of await kad.providers.getProviders(cid, options)) {
    const peer = await peerStore.get(id, options).catch(() => null)
    if (peer != null) local.push({ id, multiaddrs: peer.addresses.map(a => a.multiaddr) })
  }
  if (local.length > 0) yield local
  const key = cid.multihash.bytes
  const ask = ({ peer, signal, path }: QueryContext): AsyncIterable<QueryEvent> =>
    kad.network.sendRequest(peer.id, { type: MessageType.GET_PROVIDERS, key }, { ...options, signal, path })
  for await (const e of kad.queryManager.run(key, ask, options)) {
    if (e.name === 'PEER_RESPONSE' && e.providers.length > 0) yield e.providers
  }
}
