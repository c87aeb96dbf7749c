/**
 * A node built from plain libp2p (not from the project's node or client) on 127.0.0.1: TCP, noise,
 * yamux, identify, ping and a Kademlia client on our DHT protocol id, plus `services`. For tests
 * that play an outsider or a misbehaving peer.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, type KadDHTInit } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { DHT_PROTOCOL } from '../../src/net/node.js'

export async function plainNode (services: Record<string, (components: any) => unknown> = {}, dht: Partial<KadDHTInit> = {}): Promise<Libp2p<any>> {
  return await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: true, peerInfoMapper: passthroughMapper, initialQuerySelfInterval: 0, ...dht }),
      ...services
    }
  })
}
