/**
 * Circuit relay v2 reservations on the relay, under throwaway identities: a reservation ends when
 * its peer disconnects (/health and /metrics count it), peers of one IP are capped
 * (--max-reservations-per-ip), and an honest --relay-only client still gets a reservation. Loopback
 * source addresses other than 127.0.0.1 (127.0.0.2, 127.0.0.3) stand for other hosts.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import type { RelayServer } from '../../relay/relay.js'
import { appFixture } from '../helpers/apps.js'
import { relayFixture } from '../helpers/relays.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const { relay } = relayFixture()
const throwaways: Libp2p[] = []
afterEach(async () => {
  await Promise.all(throwaways.splice(0).map(async n => { await n.stop() }))
})

/** A fresh identity with a circuit relay client, dialing from loopback address `from`. */
async function throwaway (from = '127.0.0.1'): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [] },
    transports: [tcp({ dialOpts: { localAddress: from } as never }), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  throwaways.push(node)
  await node.start()
  return node
}

/** Asks `r` for a reservation (as --relay clients do: listen on its circuit address); true if granted. */
async function reserve (node: Libp2p, r: RelayServer): Promise<boolean> {
  const tm = (node as unknown as { components: { transportManager: { listen: (a: Multiaddr[]) => Promise<void> } } }).components.transportManager
  return await tm.listen([multiaddr(`${r.addresses()[0]}/p2p-circuit`)]).then(() => true, () => false)
}

async function reservationsMetric (r: RelayServer): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort()}/metrics`)).text()
  return Number(text.split('\n').find(l => l.startsWith('spaceway_relay_reservations '))?.split(' ')[1])
}

async function reservationsBack (r: RelayServer, n: number): Promise<void> {
  await until(() => r.health().reservations === n, [[r.node, ['peer:disconnect']]], 5000, `${n} reservations`)
}

describe('relay reservations under throwaway identities', () => {
  it('a reservation ends when its peer disconnects; /health and /metrics count it', async () => {
    const r = await relay({ maxReservationsPerIp: 1000 })
    const ids: Libp2p[] = []
    for (let i = 0; i < 20; i++) {
      const n = await throwaway()
      expect(await reserve(n, r)).toBe(true)
      ids.push(n)
    }
    expect(r.health().reservations).toBe(20)
    expect(await reservationsMetric(r)).toBe(20)
    await Promise.all(ids.slice(0, 15).map(async n => { await n.stop() }))
    await reservationsBack(r, 5)
    await Promise.all(ids.slice(15).map(async n => { await n.stop() }))
    await reservationsBack(r, 0)
    expect(await reservationsMetric(r)).toBe(0)
    // A peer that comes back reserves again, and keeps it (the old entry's expiry is gone with it).
    const again = await throwaway()
    expect(await reserve(again, r)).toBe(true)
    expect(r.health().reservations).toBe(1)
  })

  it('--max-reservations-per-ip: identities beyond the cap from one IP are refused; another IP still gets one', async () => {
    const r = await relay({ maxReservationsPerIp: 4 })
    const granted: boolean[] = []
    const ids: Libp2p[] = []
    for (let i = 0; i < 7; i++) {
      const n = await throwaway('127.0.0.2')
      ids.push(n)
      granted.push(await reserve(n, r))
    }
    expect(granted).toEqual([true, true, true, true, false, false, false])
    expect(r.health().reservations).toBe(4)
    expect(await reserve(await throwaway('127.0.0.3'), r)).toBe(true)
    // One of the four leaves: its slot goes back to its IP.
    await ids[0].stop()
    await reservationsBack(r, 4)
    expect(await reserve(await throwaway('127.0.0.2'), r)).toBe(true)
    expect(r.health().reservations).toBe(5)
  })

  it('an honest --relay-only client gets a reservation while throwaways hold their cap, and after they have gone', async () => {
    const r = await relay({ maxReservations: 8, maxReservationsPerIp: 4 })
    const reserved = (a: Awaited<ReturnType<typeof start>>): boolean => a.relays.list()[0]?.reservation === true
    const ids: Libp2p[] = []
    const take = async (from: string, n: number): Promise<number> => {
      let got = 0
      for (let i = 0; i < n; i++) {
        const id = await throwaway(from)
        ids.push(id)
        if (await reserve(id, r)) got++
      }
      return got
    }
    expect(await take('127.0.0.2', 10)).toBe(4)
    const honest = await start('honest', { relayOnly: true, relays: [r.addresses()[0]] })
    await until(() => reserved(honest), [[honest.relays, ['change']]], 10_000, 'a reservation for the honest client')
    // More throwaways from another IP fill every slot left; then they all go away.
    expect(await take('127.0.0.3', 4)).toBe(3)
    expect(r.health().reservations).toBe(8)
    await Promise.all(ids.map(async n => { await n.stop() }))
    await reservationsBack(r, 1)
    const later = await start('later', { relayOnly: true, relays: [r.addresses()[0]] })
    await until(() => reserved(later), [[later.relays, ['change']]], 10_000, 'a reservation for a later honest client')
    expect(r.health().reservations).toBe(2)
  })
})
