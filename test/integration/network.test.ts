/**
 * Integration: real libp2p nodes (full App instances) on 127.0.0.1, port 0.
 */
import { joinSpace } from '../../src/net/join-service.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode, decode } from 'cborg'
import { afterEach, describe, expect, it } from 'vitest'
import { App } from '../../src/app.js'
import { actions } from '../../src/actions.js'
import { routingTableSize } from '../../src/network-info.js'
import { spaceTopic } from '../../src/net/topics.js'
import { SYNC_PROTOCOL } from '../../src/sync/messages.js'
import { until } from '../helpers/wait.js'

const apps: App[] = []
const dirs: string[] = []
async function node (name: string): Promise<App> {
  const dir = await mkdtemp(join(tmpdir(), 'spaceway-int-'))
  dirs.push(dir)
  const app = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
  apps.push(app)
  return app
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map(async a => await a.stop()))
  await Promise.all(dirs.splice(0).map(async d => await rm(d, { recursive: true, force: true })))
})

describe('network', () => {
  it('a connected peer enters the Kademlia routing table on both sides', async () => {
    const a = await node('a')
    const b = await node('b')
    await actions.connect(b, a.addresses()[0])
    const tables = [a, b].map(x => (x.node.services.dht as unknown as { routingTable: EventTarget }).routingTable)
    await until(() => routingTableSize(a) === 1 && routingTableSize(b) === 1, tables.map(t => [t, ['peer:add']] as [EventTarget, string[]]), 1000, 'both routing tables to hold the other peer')
    expect(routingTableSize(a)).toBe(1)
    expect(routingTableSize(b)).toBe(1)
  })

  it('a forged op published on a space topic is rejected and never forwarded', async () => {
    const a = await node('a')
    const b = await node('b')
    const c = await node('c')
    const { spaceId } = await actions.spaceCreate(a, 'S', true)
    await actions.connect(b, a.addresses()[0])
    await joinSpace(b, spaceId)
    await actions.connect(c, b.addresses()[0])
    await joinSpace(c, spaceId)
    // b and c share the topic; a is only connected to b
    await until(() => b.topics.subscribers(spaceId).includes(c.node.peerId.toString()) && c.topics.subscribers(spaceId).includes(b.node.peerId.toString()), [[b.node.services.pubsub, ['subscription-change']], [c.node.services.pubsub, ['subscription-change']]], 5000, 'subscriptions')

    // and c is in b's mesh for the topic, so b forwards to c
    await until(() => b.topics.meshPeers(spaceId).includes(c.node.peerId.toString()), [[b.node.services.pubsub, ['gossipsub:graft', 'gossipsub:heartbeat']]], 5000, 'c in b\'s mesh')
    const { id } = await actions.send(a, 'genuine')
    const genuine = (await a.store.getBytes(id))!
    const raw = decode(genuine) as Record<string, unknown>
    const forged = encode({ ...raw, payload: { ...(raw.payload as object), text: 'forged' } })
    let cGotForged = false
    c.replica.on('rejected', () => { cGotForged = true })
    await a.node.services.pubsub.publish(spaceTopic(spaceId), forged).catch(() => {})
    await until(() => (b.replica.rejectedByReason.get('bad_signature') ?? 0) >= 1, [[b.replica, ['rejected']]], 5000, 'b rejects')
    // c receives later ops from b but never the forged one
    await actions.send(a, 'after')
    await until(async () => (await c.store.messages(spaceId, spaceId, 10)).some(m => m.payload.text === 'after'), [[c.replica, ['op']]], 5000, 'c gets the next op')
    expect(cGotForged).toBe(false)
    expect((await c.store.messages(spaceId, spaceId, 10)).map(m => m.payload.text)).toEqual(['genuine', 'after'])
  })

  it('a peer that missed ops while disconnected catches up through sync when it reconnects', async () => {
    const a = await node('a')
    const b = await node('b')
    const { spaceId } = await actions.spaceCreate(a, 'S', true)
    await actions.connect(b, a.addresses()[0])
    await joinSpace(b, spaceId)
    await b.node.hangUp(a.node.peerId)
    for (let i = 0; i < 20; i++) await actions.send(a, `m${i}`)
    await actions.connect(b, a.addresses()[0])
    // 'op' events fire once ops are written; the messages view is read from the store
    await until(async () => (await b.store.messages(spaceId, spaceId, 50)).length === 20, [[b.replica, ['op']]], 5000, 'catch-up')
    const texts = (await b.store.messages(spaceId, spaceId, 50)).map(m => m.payload.text)
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
  })

  it('garbage and truncated messages on the sync protocol reset that stream only', async () => {
    const a = await node('a')
    const b = await node('b')
    const { spaceId } = await actions.spaceCreate(a, 'S', true)
    await actions.send(a, 'still served')
    await actions.connect(b, a.addresses()[0])
    for (const junk of [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([5, 1, 2]), new TextEncoder().encode('\u0010hello, not cbor!')]) {
      const stream = await b.node.dialProtocol(a.node.peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
      stream.send(junk)
      await stream.close().catch(() => {})
    }
    await until(() => a.sync.totals.failed >= 3, [[a.sync, ['failed']]], 5000, 'three failed sessions')
    // a still answers a well-formed session
    await joinSpace(b, spaceId)
    expect((await b.store.messages(spaceId, spaceId, 10)).map(m => m.payload.text)).toEqual(['still served'])
  })
})
