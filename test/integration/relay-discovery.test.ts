/**
 * Relays finding each other through the DHT (relay/discovery.ts), in-process on 127.0.0.1: relay B
 * knows relay A only as a DHT bootstrap peer (no --peer-relay); each announces itself as a provider
 * of the relays CID, finds the other by looking it up, checks it is a relay and peers with it, so
 * an op written to A reaches B. A peer that announces itself as a relay but is not one is dropped.
 */
import { describe, expect, it } from 'vitest'
import { actions } from '../../src/actions.js'
import { relaysCid } from '../../src/dht/relay-records.js'
import { appFixture } from '../helpers/apps.js'
import { relayFixture } from '../helpers/relays.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const { relay } = relayFixture()

describe('relays found through the DHT', () => {
  it('relay A finds relay B only through the DHT, checks it and reconciles a space with it', async () => {
    const a = await relay({ discoverIntervalMs: 1000 })
    const t0 = Date.now()
    const b = await relay({ discoverIntervalMs: 1000, bootstrap: [a.addresses()[0]] })
    const bId = b.node.peerId.toString()
    const aId = a.node.peerId.toString()
    const peered = (r: typeof a, id: string): boolean => r.peerRelays().some(p => p.peerId === id && p.source === 'dht' && p.verified && p.connected)
    await until(() => peered(a, bId) && peered(b, aId), [[a.peering, ['change']], [b.peering, ['change']]], 15_000, 'A and B peered through the DHT')
    console.log(`relays peered through the DHT ${Date.now() - t0} ms after B started`)
    // found, not configured: no trust (quotas apply, private spaces stay out)
    expect(a.peering.isPeerRelay(bId)).toBe(false)
    expect(a.health()).toMatchObject({ discoveredRelays: 1, peerRelaysConnected: 1 })
    expect(a.discoveryState()?.found).toBe(1)

    // alice may dial relay A and nothing else: whatever B gets came from A
    const alice = await start('alice', { relays: [a.addresses()[0]], relayOnly: true })
    await until(() => alice.relays.connectedRelays().length === 1, [[alice, ['change']]], 5000, 'alice connected to relay A')
    const { spaceId } = await actions.spaceCreate(alice, 'Open', true)
    const sent = await actions.send(alice, 'through A to B')
    const t1 = Date.now()
    await until(() => b.store.spaces.get(spaceId)?.byId.has(sent.id) === true, [[b.replica, ['op']]], 10_000, 'relay B holds the op')
    console.log(`op written to A reached B in ${Date.now() - t1} ms`)
    expect(b.node.getConnections(alice.node.peerId)).toHaveLength(0)
    expect(b.peerRelays().find(p => p.peerId === aId)?.failedSessions).toBe(0)
  }, 30_000)

  it('a peer that announces itself as a relay but is not one is dropped, and nothing is reconciled with it', async () => {
    const a = await relay({ discoverIntervalMs: 1000 })
    const fake = await start('fake', { relays: [a.addresses()[0]] })
    await until(() => fake.relays.connectedRelays().length === 1, [[fake, ['change']]], 5000, 'fake connected to relay A')
    await fake.dht.provide(await relaysCid(), 'the relays CID (pretending)', AbortSignal.timeout(5000))
    const fakeId = fake.node.peerId.toString()
    // taken from the DHT (found), then dropped once its identify showed no relay
    await until(() => a.discoveryState()?.found === 1 && !a.peering.has(fakeId), [[a.peering, ['change']]], 10_000, 'A took the fake from the DHT and dropped it')
    expect(a.peerRelays()).toEqual([])
    expect(a.sync.totals.initiated).toBe(0)
    // not taken again at the next lookups
    await until(async () => (await a.discovery?.lookup()) === 0, [], 5000, 'a lookup that adds nothing')
    expect(a.discoveryState()?.found).toBe(1)
  }, 30_000)
})
