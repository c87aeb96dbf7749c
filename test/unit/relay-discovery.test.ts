/**
 * Relay discovery through the DHT (relay/discovery.ts) against a fake DHT and peering: a flood of
 * providers makes a relay peer with at most `maxDiscovered` and look at no more than
 * MAX_CANDIDATES_PER_LOOKUP; addresses outside the rule, itself, known and dropped relays are skipped.
 */
import { describe, expect, it } from 'vitest'
import { EventEmitter } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerInfo } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { MAX_CANDIDATES_PER_LOOKUP, RelayDiscovery } from '../../relay/discovery.js'

const keys = await Promise.all(Array.from({ length: 40 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

function fakePeering (max: number): { has: (p: string) => boolean, addDiscovered: (p: string, a: Multiaddr[]) => boolean, discoveredCount: () => number, added: Map<string, Multiaddr[]> } {
  const added = new Map<string, Multiaddr[]>()
  return {
    added,
    has: (p) => added.has(p),
    addDiscovered: (p, a) => { if (added.size >= max || added.has(p)) return false; added.set(p, a); return true },
    discoveredCount: () => added.size
  }
}

function dht (providers: PeerInfo[]): { provide: () => Promise<number>, providers: () => AsyncIterable<PeerInfo>, pulled: number } {
  const d = {
    pulled: 0,
    provide: async () => 1,
    providers: async function * () { for (const p of providers) { d.pulled++; yield p } }
  }
  return d
}

describe('relay discovery', () => {
  it('a flood of 1,000 providers: at most maxDiscovered taken, at most MAX_CANDIDATES_PER_LOOKUP looked at', async () => {
    // 1,000 providers, none of them usable (no acceptable address) but the last few
    const junk: PeerInfo[] = Array.from({ length: 1000 }, (_, i) => ({ id: keys[i % 30], multiaddrs: [multiaddr(`/ip4/8.8.8.${i % 250}/tcp/9000`)] }))
    const d = dht(junk)
    const peering = fakePeering(8)
    const disc = new RelayDiscovery(d, new EventEmitter(), peering, keys[39].toString(), true)
    expect(await disc.lookup()).toBe(0)
    expect(d.pulled).toBeLessThanOrEqual(MAX_CANDIDATES_PER_LOOKUP + 1)
    disc.stop()

    const good: PeerInfo[] = keys.slice(0, 30).map((id, i) => ({ id, multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${10_000 + i}`)] }))
    const d2 = dht(good)
    const p2 = fakePeering(8)
    const disc2 = new RelayDiscovery(d2, new EventEmitter(), p2, keys[39].toString(), true, {}, 8)
    expect(await disc2.lookup()).toBe(8)
    expect(p2.added.size).toBe(8)
    // each with its PeerId appended, loopback only
    for (const [id, addrs] of p2.added) expect(addrs.map(a => a.toString())).toEqual([expect.stringMatching(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${id}$`))])
    // stopped pulling once full
    expect(d2.pulled).toBeLessThanOrEqual(9)
    disc2.stop()
  })

  it('skips itself, relays it knows, dropped ones, and addresses outside the rule', async () => {
    const [self, known, dropped, lan, ok] = keys
    const info = (id: typeof self, addr: string): PeerInfo => ({ id, multiaddrs: [multiaddr(addr)] })
    const d = dht([
      info(self, '/ip4/127.0.0.1/tcp/1'),
      info(known, '/ip4/127.0.0.1/tcp/2'),
      info(dropped, '/ip4/127.0.0.1/tcp/3'),
      info(lan, '/ip4/10.0.0.4/tcp/4'),
      info(ok, `/ip4/127.0.0.1/tcp/5/p2p/${ok.toString()}/p2p-circuit`),
      info(ok, '/ip4/127.0.0.1/tcp/5')
    ])
    const peering = fakePeering(8)
    peering.added.set(known.toString(), [])
    const disc = new RelayDiscovery(d, new EventEmitter(), peering, self.toString(), true)
    disc.droppedRelay(dropped.toString())
    expect(await disc.lookup()).toBe(1)
    expect([...peering.added.keys()]).toEqual([known.toString(), ok.toString()])
    expect(disc.state()).toMatchObject({ found: 1, lastError: null })
    disc.stop()
  })
})
