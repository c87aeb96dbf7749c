/**
 * End to end, relay and client processes on 127.0.0.1: relay B knows relay A only as a DHT
 * bootstrap peer and the two find each other through the DHT (no --peer-relay) and reconcile a
 * space; relay C runs with --no-discover-relays and is neither found nor finds anyone. Client bob,
 * configured with relay C only, learns relay A from alice, a fellow member, and `network --json`
 * shows how each relay is known.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { e2eFixture, eventually, RelayProcess } from '../helpers/proc.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
afterEach(async () => { await Promise.all(relays.splice(0).map(async r => await r.stop())) })

interface Health { spaces: number, ops: number, peerRelays: number, peerRelaysConnected: number, discoveredRelays: number }
const health = async (r: RelayProcess): Promise<Health> => await r.health() as unknown as Health
const relay = (name: string, extra: string[]): RelayProcess => {
  const r = new RelayProcess(join(dir(), name), extra)
  relays.push(r)
  return r
}

describe('relays found through the DHT and learned from members (processes)', () => {
  it('relays A and B peer through the DHT, C (--no-discover-relays) stays out; bob learns relay A from alice', async () => {
    const a = relay('ra', ['--discover-interval', '1000'])
    const aAddr = (await a.ready).addrs[0]
    const b = relay('rb', ['--discover-interval', '1000', '--bootstrap', aAddr])
    const c = relay('rc', ['--no-discover-relays', '--bootstrap', aAddr])
    await Promise.all([b.ready, c.ready])
    await eventually(async () => {
      const [ha, hb] = await Promise.all([health(a), health(b)])
      return ha.discoveredRelays === 1 && ha.peerRelaysConnected === 1 && hb.discoveredRelays === 1 && hb.peerRelaysConnected === 1
    }, 15_000, 100, 'A and B peered through the DHT')

    const alice = start('alice', ['--relay', aAddr])
    await alice.ready()
    const { spaceId } = await alice.ok('space create Found --public')
    await alice.ok('send through A to B')
    // alice never talks to relay B: it gets the space from A
    await eventually(async () => (await health(b)).spaces === 1, 10_000, 50, 'relay B holds the space')
    expect((await alice.ok('network')).relays.map((r: any) => r.source)).toEqual(['configured'])

    const bob = start('bob', ['--relay', (await c.ready).addrs[0]])
    await bob.ready()
    await bob.ok(`connect ${(await alice.ok('network')).addrs.find((x: string) => !x.includes('p2p-circuit'))}`)
    await bob.ok(`join ${spaceId}`)
    const learned = await eventually(async () => (await bob.ok('network')).relays.find((r: any) => r.source === 'member' && r.verified === true && r.connected === true), 15_000, 100, 'bob learned relay A from alice')
    expect(learned.peerId).toBe((await a.ready).peerId)

    const [ha, hc] = await Promise.all([health(a), health(c)])
    expect(ha.peerRelays).toBe(1) // B only: C announced nothing
    expect(hc).toMatchObject({ discoveredRelays: 0, peerRelays: 0 })
  }, 45_000)
})
