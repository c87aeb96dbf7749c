/**
 * End to end: three relay processes that back each other up (`--peer-relay`, relay/peering.ts).
 * Alice uses relays 1 and 2, Bob only relay 3; relay 1 is killed (-9) in the middle of Alice's burst
 * while Bob is offline; Bob comes back and gets every message from relay 3; relay 1 restarts on its
 * data dir and catches up from its peers.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { e2eFixture, eventually, RelayProcess } from '../helpers/proc.js'
import { relayMesh } from '../helpers/relay-mesh.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
afterEach(async () => { await Promise.all(relays.splice(0).map(async r => await r.stop())) })

interface Health { spaces: number, ops: number, peerRelays: number, peerRelaysConnected: number }
const health = async (r: RelayProcess): Promise<Health> => await r.health() as unknown as Health

describe('relays back each other up', () => {
  it('3 peered relays: relay 1 killed -9 mid-burst, offline bob gets all 100 messages from relay 3, relay 1 restarts and catches up from its peers', async () => {
    const mesh = await relayMesh(['r1', 'r2', 'r3'].map(n => join(dir(), n)))
    const startRelay = (i: number): RelayProcess => {
      const peers = mesh.filter((_, j) => j !== i).flatMap(m => ['--peer-relay', m.addr])
      const r = new RelayProcess(mesh[i].dir, ['--port', String(mesh[i].port), ...peers])
      relays.push(r)
      return r
    }
    const r = [0, 1, 2].map(startRelay)
    await Promise.all(r.map(async x => await x.ready))
    await eventually(async () => (await Promise.all(r.map(health))).every(h => h.peerRelaysConnected === 2), 10_000, 50, 'every relay connected to its two peers')

    const alice = start('alice', ['--relay', mesh[0].addr, '--relay', mesh[1].addr])
    // --relay-only: bob dials relay 3 and nothing else (no peer from his peer pool, no DHT contact),
    // so whatever he gets comes through relay 3
    const bob = start('bob', ['--relay', mesh[2].addr, '--relay-only'])
    await alice.ready()
    await bob.ready()
    await eventually(async () => (await alice.ok('network')).relays.every((x: any) => x.connected === true), 10_000, 50, 'alice connects to relays 1 and 2')
    const { spaceId } = await alice.ok('space create Backed --public')
    // alice never talks to relay 3: it learns the space from its peers
    await eventually(async () => (await health(r[2])).spaces === 1, 10_000, 50, 'relay 3 holds the space')
    await bob.ok(`join ${spaceId}`)
    await bob.ok('send bob was here')
    await alice.waitFor(l => l.event === 'message' && l.data.text === 'bob was here')
    expect(await bob.quit()).toBe(0)

    // the burst, and relay 1 killed while alice is in the middle of it
    const burst = Array.from({ length: 100 }, (_, i) => `m${i}`)
    alice.child.stdin.write(burst.map(t => `send ${t}`).join('\n') + '\n')
    await alice.waitFor(l => l.type === 'result' && l.cmd === 'send' && l.data?.text === 'm29', 30_000)
    await r[0].stop('SIGKILL')
    const sentBeforeKill = alice.lines.filter(l => l.type === 'result' && l.cmd === 'send' && burst.includes(l.data?.text)).length
    await alice.waitFor(l => l.type === 'result' && l.cmd === 'send' && l.data?.text === 'm99', 30_000)
    expect(sentBeforeKill).toBeLessThan(100)
    const aliceMessages = (await alice.ok('messages 200')).messages
    const total = (await alice.ok('network')).spaces.find((s: any) => s.spaceId === spaceId).ops
    const t1 = Date.now()
    await eventually(async () => (await health(r[2])).ops === total, 30_000, 20, 'relay 3 holds every op')
    const relay3Ms = Date.now() - t1
    expect(await alice.quit()).toBe(0)

    // bob comes back knowing only relay 3 (alice is gone, relay 1 is dead)
    const t2 = Date.now()
    const bob2 = start('bob', ['--relay', mesh[2].addr, '--relay-only'])
    await bob2.ready()
    const bobReadyMs = Date.now() - t2
    const deliveredBy = new Set<string>()
    await eventually(async () => {
      const texts = new Set((await bob2.ok('messages 200')).messages.map((m: any) => m.text))
      return burst.every(t => texts.has(t))
    }, 15_000, 20, 'bob has the 100 messages')
    const bobMs = Date.now() - t2
    const sessions = bob2.lines.filter(l => l.event === 'sync' && l.data.phase === 'done' && l.data.received > 0)
    for (const l of sessions) deliveredBy.add(l.data.peerId)
    const got = (await bob2.ok('messages 200')).messages
    expect(got.filter((m: any) => burst.includes(m.text)).map((m: any) => m.text).sort()).toEqual([...burst].sort())
    expect(got.map((m: any) => m.id)).toEqual(aliceMessages.map((m: any) => m.id))
    expect([...deliveredBy]).toEqual([mesh[2].peerId])
    expect(await bob2.quit()).toBe(0)

    // relay 1 restarts on its data dir and port, and catches up from relays 2 and 3
    const t3 = Date.now()
    const r1 = startRelay(0)
    expect((await r1.ready).peerId).toBe(mesh[0].peerId)
    const readyMs = Date.now() - t3
    const t4 = Date.now()
    await eventually(async () => (await health(r1)).ops === total, 30_000, 20, 'relay 1 holds every op again')
    const relay1Ms = Date.now() - t4
    // a newcomer that can reach relay 1 alone (--relay-only: no other peer is dialed) reads it all
    const carol = start('carol', ['--relay', mesh[0].addr, '--relay-only'])
    await carol.ready()
    await carol.ok(`join ${spaceId}`)
    expect((await carol.ok('messages 200')).messages.map((m: any) => m.id)).toEqual(aliceMessages.map((m: any) => m.id))
    console.log(`[relays] relay 1 killed after ${sentBeforeKill} of 100 sends; relay 3 held every op ${relay3Ms} ms after the burst; ` +
      `bob: ready ${bobReadyMs} ms after spawn, all 100 messages ${bobMs - bobReadyMs} ms after ready (sync sessions: ${sessions.map(l => `${l.data.received} ops in ${l.data.ms} ms`).join(', ')}); ` +
      `relay 1: ready ${readyMs} ms after spawn, every op ${relay1Ms} ms after ready`)
  }, 120_000)
})
