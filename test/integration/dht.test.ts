/**
 * The DHT on real nodes on 127.0.0.1: routing table, bounded queries, bootstrap, spaces found through
 * the DHT, peer pool, diagnostics.
 */
import { freePort } from '../../bench/ports.js'
import { describe, expect, it } from 'vitest'
import { loadOrCreateAccount } from '../../src/account.js'
import { actions } from '../../src/actions.js'
import type { App } from '../../src/app.js'
import { tableSize } from '../../src/dht/bootstrapper.js'
import { descriptorKey } from '../../src/dht/records.js'
import { joinSpace } from '../../src/net/join-service.js'
import { dhtTable, networkInfo } from '../../src/network-info.js'
import { appFixture } from '../helpers/apps.js'
import { until } from '../helpers/wait.js'

const { start, keyFile } = appFixture()

const table = (a: App): EventTarget => (a.node.services.dht as unknown as { routingTable: EventTarget }).routingTable
async function tableFilled (apps: App[], ms: number): Promise<void> {
  await until(() => apps.every(a => tableSize(a.node) > 0), apps.map(a => [table(a), ['peer:add']] as [EventTarget, string[]]), ms, 'non-empty routing tables')
}
async function announced (a: App, spaceId: string): Promise<void> {
  await until(() => a.announcer.list().some(s => s.spaceId === spaceId && s.status === 'done'), [[a.announcer, ['change']]], 10_000, `announcement of ${spaceId}`)
}
const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'OK', (err: { code?: string }) => err.code ?? 'NONE')

describe('DHT', () => {
  it('an empty table fails a get at once and a put fast with NO_DHT_PEERS; space create does not wait', async () => {
    const a = await start('alone')
    const t0 = Date.now()
    expect(await code(a.dht.get(descriptorKey('a'.repeat(52)), 'a descriptor'))).toBe('NO_DHT_PEERS')
    expect(Date.now() - t0).toBeLessThan(100)
    expect(await code(a.dht.put(descriptorKey('a'.repeat(52)), new Uint8Array([1]), 'x'))).toBe('NO_DHT_PEERS')
    expect(Date.now() - t0).toBeLessThan(1000)
    const t1 = Date.now()
    const { spaceId } = await actions.spaceCreate(a, 'Offline', true)
    expect(Date.now() - t1).toBeLessThan(200)
    await until(() => a.announcer.list().some(s => s.spaceId === spaceId && s.status === 'failed'), [[a.announcer, ['change']]], 5000, 'announcement to fail')
    expect(networkInfo(a).announcements.some((x: { spaceId: string }) => x.spaceId === spaceId)).toBe(true)
  })

  it('a put on an empty table bootstraps first (from --bootstrap) and then succeeds', async () => {
    const port = await freePort()
    const aKey = await keyFile('a')
    const aPeer = (await loadOrCreateAccount(aKey)).peerId
    // b knows a's address, but a is not up yet: b's first bootstrap fails; the next check is far off
    const b = await start('b', { bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${aPeer}`], dhtCheckMs: 3_600_000 })
    await until(() => b.bootstrapper.last != null, [[b.bootstrapper, ['bootstrap']]], 10_000, 'first bootstrap')
    expect(b.bootstrapper.last?.ok).toBe(false)
    const a = await start('a', { port })
    expect(tableSize(b.node)).toBe(0)
    const { spaceId } = await actions.spaceCreate(a, 'S', true)
    void spaceId
    const stored = await b.dht.put(descriptorKey(spaceId), (await import('../../src/dht/records.js')).encodeDescriptor((await import('../../src/core/op.js')).decodeOp((await a.store.getBytes(spaceId))!) as any), 'descriptor')
    expect(stored).toBeGreaterThan(0)
    expect(b.bootstrapper.last?.reason).toBe('put')
    expect(tableSize(b.node)).toBeGreaterThan(0)
  })

  it('the periodic check retries an empty table with backoff until a peer is there', async () => {
    const port = await freePort()
    const aKey = await keyFile('a')
    const aPeer = (await loadOrCreateAccount(aKey)).peerId
    const b = await start('b', { bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${aPeer}`], dhtCheckMs: 50 })
    await until(() => b.bootstrapper.failures >= 3, [[b.bootstrapper, ['bootstrap']]], 10_000, 'three failed bootstraps')
    const a = await start('a', { port })
    await tableFilled([b, a], 10_000)
    expect(b.bootstrapper.failures).toBe(0)
  })

  it('the table and peer store keep listen addresses from identify, not an inbound connection\'s source port', async () => {
    const a = await start('a')
    const b = await start('b')
    await actions.connect(b, a.addresses()[0])
    await tableFilled([a, b], 2000)
    const port = (ma: { getComponents: () => Array<{ name: string, value?: string }> }): number => Number(ma.getComponents().find(c => c.name === 'tcp')?.value)
    const bPort = port(b.node.getMultiaddrs()[0])
    const inbound = a.node.getConnections(b.node.peerId)[0]
    expect(inbound.direction).toBe('inbound')
    expect(port(inbound.remoteAddr)).not.toBe(bPort)
    const known = (await a.node.peerStore.get(b.node.peerId)).addresses.map(x => port(x.multiaddr))
    expect(known).toContain(bPort)
    expect(known).not.toContain(port(inbound.remoteAddr))
  })

  it('a new connection while the table is empty triggers a check at once, not after the backoff', async () => {
    const port = await freePort()
    const aPeer = (await loadOrCreateAccount(await keyFile('absent'))).peerId
    const b = await start('b', { bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${aPeer}`], dhtCheckMs: 3_600_000 })
    await until(() => b.bootstrapper.last != null, [[b.bootstrapper, ['bootstrap']]], 10_000, 'first bootstrap')
    expect(b.bootstrapper.failures).toBe(1)
    const c = await start('c')
    await actions.connect(c, b.addresses()[0])
    await until(() => b.bootstrapper.last?.reason === 'connection', [[b.bootstrapper, ['bootstrap']]], 5000, 'a bootstrap on connection')
    expect(b.bootstrapper.last?.ok).toBe(true)
    expect(b.bootstrapper.failures).toBe(0)
  })

  it('queries are bounded: a 1 ms bound gives TIMEOUT naming the key; a missing key is NOT_FOUND quickly', async () => {
    const a = await start('a')
    const b = await start('b', { dhtTimeoutMs: 1 })
    await actions.connect(b, a.addresses()[0])
    await tableFilled([a, b], 2000)
    const err = await b.dht.get(descriptorKey('b'.repeat(51) + 'a'), 'descriptor of space bbbb').catch(e => e)
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).toContain('descriptor of space bbbb')
    const t0 = Date.now()
    expect(await code(a.dht.get(descriptorKey('c'.repeat(51) + 'a'), 'missing'))).toBe('NOT_FOUND')
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(a.dht.stats.summary().notFound).toBe(1)
  })

  it('B and C connected only to A: C creates a space, B joins it by id through the DHT; unknown ids are NOT_FOUND', async () => {
    const a = await start('a')
    const b = await start('b', { bootstrap: [a.addresses()[0]] })
    const c = await start('c', { bootstrap: [a.addresses()[0]] })
    await tableFilled([a, b, c], 5000)
    const { spaceId } = await actions.spaceCreate(c, 'Found via DHT', true)
    await actions.send(c, 'hello from c')
    await announced(c, spaceId)
    // Kademlia refreshes may have connected b and c directly: cut that, so only the DHT can lead b to c
    await b.node.hangUp(c.node.peerId)
    const before = b.dht.stats.summary().succeeded
    expect(await joinSpace(b, spaceId)).toEqual({ spaceId, name: 'Found via DHT' })
    expect((await actions.messages(b, undefined)).messages.map(m => m.text)).toEqual(['hello from c'])
    expect(b.dht.stats.summary().succeeded).toBe(before + 1)
    const t0 = Date.now()
    expect(await code(joinSpace(b, 'd'.repeat(51) + 'a'))).toBe('NOT_FOUND')
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(dhtTable(b).size).toBeGreaterThan(0)
    const net = networkInfo(b) as any
    expect(net.dht.queries.run).toBeGreaterThan(0)
    expect(net.connections[0]).toMatchObject({ transport: 'tcp' })
  })

  it('peer pool: a restarted node dials the peers it knew, without --bootstrap', async () => {
    const a = await start('a')
    let b = await start('b')
    await actions.connect(b, a.addresses()[0])
    await until(() => b.pool.size > 0, [[b.node, ['peer:identify']]], 5000, 'pool entry')
    await until(() => b.pool.best()[0]?.addrs.length > 0, [[b.node, ['peer:identify']]], 2000, 'pool addresses')
    await b.stop()
    b = await start('b')
    await until(() => b.node.getConnections(a.node.peerId).length > 0, [[b.node, ['peer:connect']]], 5000, 'reconnect from the pool')
  })
})

describe('DHT, 10 nodes in a line', () => {
  it('every table fills within 2 s of joining; the far end joins a space by id', async () => {
    const nodes: App[] = []
    for (let i = 0; i < 10; i++) {
      const n = await start(`n${i}`, i === 0 ? {} : { bootstrap: [nodes[i - 1].addresses()[0]] })
      if (i > 0) await tableFilled([n], 2000)
      nodes.push(n)
    }
    const { spaceId } = await actions.spaceCreate(nodes[0], 'Far', true)
    await actions.send(nodes[0], 'from the other end')
    await announced(nodes[0], spaceId)
    const far = nodes[9]
    await far.node.hangUp(nodes[0].node.peerId)
    await joinSpace(far, spaceId)
    expect((await actions.messages(far, undefined)).messages.map(m => m.text)).toEqual(['from the other end'])
  })
})
