/**
 * An outsider built from plain libp2p (not from the project's node or client): TCP, noise, yamux,
 * identify, GossipSub and a Kademlia client on our protocol ids. It knows a space's id (so it can
 * compute the hashed topic and sync id) and keeps every byte it receives from gossip, sync and the
 * DHT, for tests to search for plaintext.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { descriptorKey, spaceCid } from '../../src/dht/records.js'
import { syncIdOf, topicOf } from '../../src/core/rendezvous.js'
import { plainNode } from './plain-node.js'
import { decodeSyncMessage, encodeSyncMessage, SYNC_PROTOCOL, type SyncMessage } from '../../src/sync/messages.js'

export class Outsider {
  /** Everything received: gossip message data, sync messages, DHT records. */
  readonly received: Uint8Array[] = []
  private constructor (readonly node: Libp2p<any>) {}

  static async start (): Promise<Outsider> {
    const node = await plainNode({
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', allowPublishToZeroTopicPeers: true, D: 4, Dlo: 2, Dhi: 8, scoreParams: { IPColocationFactorWeight: 0 } })
    }, { allowQueryWithZeroPeers: true })
    const o = new Outsider(node)
    node.services.pubsub.addEventListener('message', (evt: CustomEvent<{ data: Uint8Array }>) => { o.received.push(evt.detail.data) })
    return o
  }

  async dial (addr: string): Promise<void> {
    await this.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) })
  }

  /** Subscribes to the space's topic (its name is a hash of the space id). */
  subscribe (spaceId: string): void {
    this.node.services.pubsub.subscribe(topicOf(spaceId))
  }

  /**
   * Asks `peer` for the whole space over the sync protocol, as a joiner with nothing would, and
   * keeps every message it answers. Returns the answers' types.
   */
  async pull (peer: string, spaceId: string): Promise<string[]> {
    const signal = AbortSignal.timeout(5000)
    const stream = await this.node.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 })
    const send = async (m: SyncMessage): Promise<void> => { await lp.write(encodeSyncMessage(m), { signal }) }
    await send({ t: 'rec', space: syncIdOf(spaceId), ranges: [{ upper: null, mode: 'ids', ids: [] }], want: [] })
    const types: string[] = []
    for (let i = 0; i < 50; i++) {
      let bytes: Uint8Array
      try { bytes = (await lp.read({ signal })).subarray() } catch { break }
      this.received.push(bytes)
      const m = decodeSyncMessage(bytes)
      types.push(m.t === 'unknown' ? `unknown:${m.reason ?? ''}` : m.t)
      if (m.t === 'done' || m.t === 'unknown') break
      if (m.t === 'rec') await send({ t: 'done' })
    }
    await stream.close().catch(() => {})
    return types
  }

  /** Looks the space up in the DHT (descriptor record and providers), keeping what comes back. */
  async lookUp (spaceId: string): Promise<void> {
    const signal = AbortSignal.timeout(3000)
    try {
      for await (const e of this.node.services.dht.get(descriptorKey(spaceId), { signal })) if (e.name === 'VALUE') this.received.push(e.value)
    } catch {}
    try {
      for await (const e of this.node.services.dht.findProviders(await spaceCid(spaceId), { signal: AbortSignal.timeout(3000) })) {
        if (e.name === 'PROVIDER') this.received.push(new TextEncoder().encode(JSON.stringify(e.providers.map((p: any) => p.id.toString()))))
      }
    } catch {}
  }

  /** True if any byte string it received contains `text` (as UTF-8). */
  saw (text: string): boolean {
    const needle = Buffer.from(text)
    return this.received.some(b => Buffer.from(b).includes(needle))
  }

  async stop (): Promise<void> {
    await this.node.stop()
  }
}
