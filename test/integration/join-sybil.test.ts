/**
 * `join <space id>` under DHT sybils: 20 fake providers of the space's CID whose sync handler accepts
 * the stream and never answers. The one real holder is reachable only through the DHT (the joiner is
 * not connected to it). The join must still succeed, fast; with fakes only it fails with NOT_FOUND
 * within JOIN_TIMEOUT_MS.
 */
import { joinSpace } from '../../src/net/join-service.js'
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { actions } from '../../src/actions.js'
import { JOIN_TIMEOUT_MS } from '../../src/net/join-service.js'
import type { App } from '../../src/app.js'
import { tableSize } from '../../src/dht/bootstrapper.js'
import { spaceCid } from '../../src/dht/records.js'
import type { SpacewayNode } from '../../src/net/node.js'
import { SYNC_PROTOCOL } from '../../src/sync/messages.js'
import { appFixture } from '../helpers/apps.js'
import { plainNode } from '../helpers/plain-node.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const fakes: SpacewayNode[] = []
afterEach(async () => {
  await Promise.all(fakes.splice(0).map(async n => { await n.stop() }))
})

const table = (n: SpacewayNode): EventTarget => (n.services.dht as unknown as { routingTable: EventTarget }).routingTable

async function tableFilled (n: SpacewayNode, ms = 5000): Promise<void> {
  await until(() => tableSize(n) > 0, [[table(n), ['peer:add']]], ms, 'a non-empty routing table')
}

/**
 * A plain libp2p node whose sync handler takes every stream and never answers. A DHT client (it
 * needs no routing-table slot to provide, and 20 servers more would only slow the test down).
 */
async function silentPeer (bootstrap: string[]): Promise<SpacewayNode> {
  const node = await plainNode() as unknown as SpacewayNode
  const held: Stream[] = []
  await node.handle(SYNC_PROTOCOL, (stream) => { held.push(stream) }, { maxInboundStreams: 1024, runOnLimitedConnection: true })
  fakes.push(node)
  for (const addr of bootstrap) await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) })
  await until(() => tableSize(node) >= bootstrap.length, [[table(node), ['peer:add']]], 5000, 'every bootstrap peer in the routing table')
  return node
}

/** `node` provides `spaceId`'s CID; resolves once the lookup is done and some peer stored the record. */
async function provide (node: SpacewayNode, spaceId: string): Promise<void> {
  let stored = 0
  for await (const e of node.services.dht.provide(await spaceCid(spaceId), { signal: AbortSignal.timeout(10_000) })) {
    if (e.name === 'PEER_RESPONSE' && e.messageName === 'ADD_PROVIDER') stored++
  }
  expect(stored).toBeGreaterThan(0)
}

async function announced (a: App, spaceId: string): Promise<void> {
  await until(() => a.announcer.list().some(s => s.spaceId === spaceId && s.status === 'done'), [[a.announcer, ['change']]], 10_000, `announcement of ${spaceId}`)
}

/** `n` silent peers that know (and so provide to) `servers`. */
async function sybils (servers: App[], n: number): Promise<SpacewayNode[]> {
  return await Promise.all(Array.from({ length: n }, async () => await silentPeer(servers.map(s => s.addresses()[0]))))
}

/** Providers of `spaceId` that kad-dht's own findProviders gives `app`. */
async function kadProviders (app: App, spaceId: string): Promise<string[]> {
  const found: string[] = []
  for await (const e of app.node.services.dht.findProviders(await spaceCid(spaceId), { signal: AbortSignal.timeout(5000) })) {
    if (e.name === 'PROVIDER') found.push(...e.providers.map(p => p.id.toString()))
  }
  return found
}

describe('join under DHT sybils', () => {
  it('20 silent fake providers, the real holder reachable only through the DHT: join succeeds, fast', async () => {
    const hub = await start('hub')
    const joiner = await start('joiner', { bootstrap: [hub.addresses()[0]] })
    // The holder creates its space while alone, so every fake provides before it does: a joiner
    // that stores provider records (every DHT server here) has the fakes' first, kad-dht's own
    // findProviders would stop at 20 of them.
    const holder = await start('holder')
    const { spaceId } = await actions.spaceCreate(holder, 'Real', true)
    await actions.send(holder, 'the real history')
    const fake = await sybils([hub, joiner], 20)
    await Promise.all(fake.map(async f => { await provide(f, spaceId) }))
    await actions.connect(holder, hub.addresses()[0])
    await announced(holder, spaceId)
    // The attack works on kad-dht's own lookup: 20 providers, the holder not among them.
    const capped = await kadProviders(joiner, spaceId)
    expect(capped).toHaveLength(20)
    expect(capped).not.toContain(holder.node.peerId.toString())
    // Only the DHT may lead the joiner to the holder.
    await joiner.node.hangUp(holder.node.peerId)
    expect(joiner.node.getConnections(holder.node.peerId)).toHaveLength(0)
    const t0 = Date.now()
    expect(await joinSpace(joiner, spaceId)).toEqual({ spaceId, name: 'Real' })
    const ms = Date.now() - t0
    console.log(`join under 20 sybil providers: ${ms} ms (connected to ${joiner.connectedPeers().length} peers)`)
    expect(ms).toBeLessThan(4000)
    expect((await actions.messages(joiner, undefined)).messages.map(m => m.text)).toEqual(['the real history'])
    // DhtService.providers (src/dht/kad-providers.ts, reaching into kad-dht) streams all of them.
    const all: string[] = []
    for await (const p of joiner.dht.providers(await spaceCid(spaceId), 'all providers')) all.push(p.id.toString())
    expect(all).toHaveLength(21)
    expect(all).toContain(holder.node.peerId.toString())
    // A joiner that came later keeps no provider records: it learns them from the DHT's answers.
    const late = await start('late', { bootstrap: [hub.addresses()[0]] })
    await tableFilled(late.node)
    await late.node.hangUp(holder.node.peerId)
    const t1 = Date.now()
    expect(await joinSpace(late, spaceId)).toEqual({ spaceId, name: 'Real' })
    console.log(`late joiner under 20 sybil providers: ${Date.now() - t1} ms`)
    expect(Date.now() - t1).toBeLessThan(4000)
  })

  it('only fake providers: join fails with NOT_FOUND within JOIN_TIMEOUT_MS, saying why', async () => {
    const hub = await start('hub')
    const joiner = await start('joiner', { bootstrap: [hub.addresses()[0]] })
    const spaceId = 'q'.repeat(51) + 'a'
    const fake = await sybils([hub], 20)
    await Promise.all(fake.map(async f => { await provide(f, spaceId) }))
    const t0 = Date.now()
    const err = await joinSpace(joiner, spaceId).then(() => null, (e: Error & { code?: string }) => e)
    const ms = Date.now() - t0
    console.log(`join with fake providers only: ${ms} ms: ${err?.message ?? 'no error'}`)
    expect(err?.code).toBe('NOT_FOUND')
    expect(err?.message).toMatch(/provider/)
    expect(ms).toBeLessThan(JOIN_TIMEOUT_MS)
  })
})
