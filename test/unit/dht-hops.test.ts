/**
 * Hop counts rebuilt from kad-dht query events (src/dht/query-hops.ts): starting peers are hop 1,
 * a peer first named by a hop-h peer is hop h + 1, whatever order the events come in.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HopCounter } from '../../src/dht/query-hops.js'

const ids = async (n: number): Promise<PeerId[]> => await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
const response = (from: PeerId, closer: PeerId[], providers: PeerId[] = []): QueryEvent =>
  ({ name: 'PEER_RESPONSE', from, closer: closer.map(id => ({ id, multiaddrs: [] })), providers: providers.map(id => ({ id, multiaddrs: [] })) }) as unknown as QueryEvent

describe('HopCounter', () => {
  it('a chain a -> b -> c where c holds the answer is 3 hops; the walk is 3 deep', async () => {
    const [a, b, c, d, x] = await ids(5)
    const hops = new HopCounter([a], e => e.providers.length > 0)
    hops.observe(response(a, [b]))
    hops.observe(response(b, [c, d]))
    hops.observe(response(c, [], [x]))
    expect(hops.result()).toEqual({ answer: 3, depth: 3, responses: 3 })
  })

  it('the shortest route counts; an answer held here is 0 hops; no answer is null', async () => {
    const [a, b, c, x] = await ids(4)
    const hops = new HopCounter([a, b], e => e.providers.length > 0)
    hops.observe(response(a, [c]))
    hops.observe(response(b, [a]))
    hops.observe(response(c, [], [x]))
    expect(hops.result()).toEqual({ answer: 2, depth: 2, responses: 3 })
    const none = new HopCounter([a], () => false)
    none.observe(response(a, []))
    expect(none.result().answer).toBeNull()
    none.heldLocally()
    expect(none.result().answer).toBe(0)
  })

  it('property: any delivery order of a chain\'s responses gives the same hops', async () => {
    const chain = await ids(6)
    const events = chain.map((p, i) => response(p, i + 1 < chain.length ? [chain[i + 1]] : [], i === chain.length - 1 ? [chain[0]] : []))
    fc.assert(fc.property(fc.shuffledSubarray(events, { minLength: events.length }), (order) => {
      const hops = new HopCounter([chain[0]], e => e.providers.length > 0)
      for (const e of order) hops.observe(e)
      expect(hops.result()).toEqual({ answer: 6, depth: 6, responses: 6 })
    }))
  })
})
