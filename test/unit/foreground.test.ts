/**
 * Background network work holds back while a user waits (net/foreground.ts): dials of discovered
 * peers (net/discovery-dialer.ts), a few at a time and none while a `join` runs, and the Kademlia
 * routing-table refresh (dht/bootstrapper.ts), paused and run again afterwards. Without a network:
 * the node is a stand-in that records dials.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { DISCOVERY_DIAL_BELOW, DISCOVERY_DIALS_AT_ONCE, DiscoveryDialer, withPeerId } from '../../src/net/discovery-dialer.js'
import { Foreground } from '../../src/net/foreground.js'
import { Bootstrapper } from '../../src/dht/bootstrapper.js'

const peer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

/** A node whose dials stay pending until `finish` is called; `connected` peers count as connected. */
async function fakeNode () {
  const self = await peer()
  const pending: Array<{ target: unknown, finish: (ok: boolean) => void }> = []
  const connected = new Set<string>()
  const node = {
    peerId: self,
    getPeers: () => [...connected],
    getConnections: (id: PeerId) => connected.has(id.toString()) ? [{}] : [],
    dial: async (target: unknown) => await new Promise<void>((resolve, reject) => {
      pending.push({ target, finish: (ok) => { if (ok) resolve(); else reject(new Error('refused')) } })
    })
  }
  return { node, pending, connected }
}

describe('Foreground', () => {
  it('is busy from the first begin to the last end, once each; run ends however fn settles', async () => {
    const fg = new Foreground()
    const events: string[] = []
    fg.on('busy', () => events.push('busy')).on('idle', () => events.push('idle'))
    const a = fg.begin()
    const b = fg.begin()
    expect(fg.busy).toBe(true)
    a()
    a() // idempotent
    expect(fg.busy).toBe(true)
    b()
    expect(fg.busy).toBe(false)
    await expect(fg.run(async () => { expect(fg.busy).toBe(true); throw new Error('boom') })).rejects.toThrow('boom')
    expect(await fg.run(async () => 7)).toBe(7)
    expect(events).toEqual(['busy', 'idle', 'busy', 'idle', 'busy', 'idle'])
  })
})

describe('DiscoveryDialer', () => {
  it(`dials at most ${DISCOVERY_DIALS_AT_ONCE} discovered peers at once, by PeerId-suffixed address, and none once ${DISCOVERY_DIAL_BELOW} are connected or being dialed`, async () => {
    const { node, pending, connected } = await fakeNode()
    const stop = new AbortController()
    const dialer = new DiscoveryDialer(node as never, stop.signal)
    const ids = await Promise.all(Array.from({ length: 30 }, peer))
    for (const id of ids) dialer.discovered(id, [multiaddr('/ip4/127.0.0.1/tcp/4001')])
    dialer.discovered(node.peerId, [multiaddr('/ip4/127.0.0.1/tcp/4002')]) // ourselves: never
    expect(pending).toHaveLength(DISCOVERY_DIALS_AT_ONCE)
    // dialed with its PeerId in the address; of the queued ones, the newest discovery first
    const targetOf = (i: number): string[] => (pending[i].target as Array<{ toString: () => string }>).map(String)
    expect(targetOf(0)).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${ids[0].toString()}`])
    // each dial that ends (either way) lets the next start, until enough peers are connected
    let i = 0
    while (i < pending.length && i < 100) {
      const ok = i % 4 !== 0
      if (ok) connected.add(`connected-${i}`)
      pending[i].finish(ok)
      i++
      await new Promise(resolve => setImmediate(resolve))
      if (i === 1) expect(targetOf(DISCOVERY_DIALS_AT_ONCE)).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${ids[29].toString()}`])
      expect(pending.length - i).toBeLessThanOrEqual(DISCOVERY_DIALS_AT_ONCE)
    }
    expect(connected.size).toBeGreaterThanOrEqual(DISCOVERY_DIAL_BELOW - DISCOVERY_DIALS_AT_ONCE)
    expect(connected.size).toBeLessThanOrEqual(DISCOVERY_DIAL_BELOW)
    expect(dialer.inFlight).toBe(0)
    stop.abort()
  })

  it('starts no dial while the foreground is busy, and the queued ones once it is idle', async () => {
    const { node, pending } = await fakeNode()
    const fg = new Foreground()
    const stop = new AbortController()
    const dialer = new DiscoveryDialer(node as never, stop.signal, fg)
    const end = fg.begin()
    for (const id of await Promise.all(Array.from({ length: 5 }, peer))) dialer.discovered(id, [])
    expect(pending).toHaveLength(0)
    end()
    expect(pending).toHaveLength(DISCOVERY_DIALS_AT_ONCE)
    stop.abort()
    for (const p of pending) p.finish(true)
    await new Promise(resolve => setImmediate(resolve))
    expect(pending).toHaveLength(DISCOVERY_DIALS_AT_ONCE) // stopped: nothing more
  })

  it('withPeerId appends /p2p/<id> unless the address already ends in one (a circuit address names its relay earlier)', async () => {
    const [a, relay] = (await Promise.all([peer(), peer()])).map(String)
    expect(withPeerId('/ip4/127.0.0.1/tcp/1', a).toString()).toBe(`/ip4/127.0.0.1/tcp/1/p2p/${a}`)
    expect(withPeerId(`/ip4/127.0.0.1/tcp/1/p2p/${a}`, a).toString()).toBe(`/ip4/127.0.0.1/tcp/1/p2p/${a}`)
    expect(withPeerId(`/ip4/127.0.0.1/tcp/1/p2p/${relay}/p2p-circuit`, a).toString()).toBe(`/ip4/127.0.0.1/tcp/1/p2p/${relay}/p2p-circuit/p2p/${a}`)
  })
})

describe('Bootstrapper routing-table refresh', () => {
  /** A node whose kad-dht records refreshes (and whether their signal aborted) and has `size` peers in its table. */
  async function dhtNode (size: number) {
    const { node } = await fakeNode()
    const refreshes: AbortSignal[] = []
    const table = Object.assign(new EventTarget(), { size })
    const full = {
      ...node,
      addEventListener: () => {},
      removeEventListener: () => {},
      services: { dht: { routingTable: table, refreshRoutingTable: async (o: { signal: AbortSignal }) => { refreshes.push(o.signal) } } }
    }
    return { node: full, refreshes }
  }
  const pool = { best: () => [], failed: async () => {} }

  it('waits while the foreground is busy; one under way when it becomes busy is aborted and run again once it is idle', async () => {
    const { node, refreshes } = await dhtNode(3)
    const fg = new Foreground()
    const b = new Bootstrapper(node as never, pool as never, { foreground: fg, bootstrap: [] })
    b.start()
    try {
      // a bootstrap while a join runs: no refresh until it ends
      const end = fg.begin()
      await b.bootstrap('manual')
      expect(refreshes).toHaveLength(0)
      end()
      expect(refreshes).toHaveLength(1)
      // a join starting while that refresh runs: it is aborted, and run again after the join
      const end2 = fg.begin()
      expect(refreshes[0].aborted).toBe(true)
      end2()
      expect(refreshes).toHaveLength(2)
      expect(refreshes[1].aborted).toBe(false)
    } finally {
      b.stop()
    }
    expect(refreshes[1].aborted).toBe(true) // stopping aborts it too
  })
})
