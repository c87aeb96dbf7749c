/**
 * Relays that back each other up, in-process (relay/peering.ts): a private space travels between
 * peered relays as ciphertext, a peer relay is not held to the per-peer space quota, and a member
 * who can reach only the other relay joins and reads it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RELAY_DEFAULTS, RelayServer, type RelayOptions } from '../../relay/relay.js'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { joinSpace } from '../../src/net/join-service.js'
import { appFixture } from '../helpers/apps.js'
import { freePorts, relayMesh } from '../helpers/relay-mesh.js'
import { relayFixture } from '../helpers/relays.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const { relay } = relayFixture()
const running: RelayServer[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(async r => { await r.stop() }))
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

/** `options.length` relays on 127.0.0.1, each listing all the others as peer relays. */
async function peeredRelays (options: Array<Partial<RelayOptions>>): Promise<Array<{ relay: RelayServer, addr: string }>> {
  const base = await mkdtemp(join(tmpdir(), 'spaceway-peered-'))
  dirs.push(base)
  const mesh = await relayMesh(options.map((_, i) => join(base, `r${i}`)))
  return await Promise.all(mesh.map(async (m, i) => {
    const relay = await RelayServer.start({
      ...RELAY_DEFAULTS,
      host: '127.0.0.1',
      port: m.port,
      metricsPort: 0,
      dataDir: m.dir,
      trustLoopback: true,
      peerRelays: mesh.filter((_, j) => j !== i).map(x => x.addr),
      ...options[i]
    })
    running.push(relay)
    return { relay, addr: m.addr }
  }))
}

describe('peered relays', () => {
  it('a private space reaches the peer relay as ciphertext, past its per-peer space quota; a member who can reach only that relay joins and reads it', async () => {
    const [a, b] = await peeredRelays([{}, { maxSpacesPerPeer: 1 }])
    await until(() => a.relay.peering.connectedCount() === 1 && b.relay.peering.connectedCount() === 1, [[a.relay.node, ['peer:connect']], [b.relay.node, ['peer:connect']]], 10_000, 'the relays connected')
    expect(b.relay.health()).toMatchObject({ peerRelays: 1, peerRelaysConnected: 1 })

    const alice = await start('alice', { relays: [a.addr] })
    await until(() => alice.relays.connectedRelays().length === 1, [[alice, ['change']]], 5000, 'alice connected to relay A')
    const priv = await actions.spaceCreate(alice, 'Private')
    await actions.send(alice, 'a secret for members')
    const { invite } = await memberActions.inviteCreate(alice, { maxUses: 1 })
    const open = await actions.spaceCreate(alice, 'Open', true)
    // relay B took both spaces from relay A, though it holds at most one per client
    // (held: applied, and written - an op is counted once staged, and written a moment later)
    const same = async (spaceId: string): Promise<boolean> => {
      const state = b.relay.store.spaces.get(spaceId)
      if (state == null || state.size !== alice.store.spaces.get(spaceId)?.size) return false
      return (await b.relay.store.getManyBytes([...state.byId.keys()])).every(x => x != null)
    }
    await until(async () => await same(priv.spaceId) && await same(open.spaceId), [[b.relay.replica, ['op']]], 10_000, 'relay B holds both spaces')
    expect(b.relay.store.spaces.size).toBe(2)
    // ...as ciphertext: no op it stores carries the text
    const state = b.relay.store.spaces.get(priv.spaceId)!
    const stored = await b.relay.store.getManyBytes([...state.byId.keys()])
    expect(stored.filter(x => x != null)).toHaveLength(state.size)
    for (const bytes of stored) expect(Buffer.from(bytes as Uint8Array).includes('a secret for members')).toBe(false)

    // bob can dial relay B and nothing else; the space, his join and its key travel A <-> B
    const bob = await start('bob', { relays: [b.addr], relayOnly: true })
    await until(() => bob.relays.connectedRelays().length === 1, [[bob, ['change']]], 5000, 'bob connected to relay B')
    await joinSpace(bob, invite)
    const texts = async (): Promise<string[]> => (await actions.messages(bob, undefined)).messages.map(m => m.text)
    // his member.join reaches relay B by his push (his publish may find nobody subscribed yet), relay A
    // by peering; each relay passes it on over GossipSub (forward.ts), so alice sees it and hands him
    // the key at once, not at her next anti-entropy
    await until(async () => (await texts()).includes('a secret for members'), [[bob, ['key', 'applied']]], 10_000, 'bob reads the history')
    expect(bob.node.getPeers().map(p => p.toString())).toEqual([b.relay.node.peerId.toString()])
    expect(b.relay.peerRelays()[0]).toMatchObject({ connected: true, failedSessions: 0 })
  })

  it('a client reconciles every space with every connected relay at anti-entropy, and joins through whichever of its relays holds the space', async () => {
    // y takes 1 live op a second (burst 10): it misses most of a burst by gossip
    const x = await relay()
    const y = await relay({ maxOpRate: 1 })
    const z = await relay()
    const alice = await start('alice', { relays: [x.addresses()[0], y.addresses()[0]], antiEntropyMs: 3_600_000 })
    await until(() => alice.relays.connectedRelays().length === 2, [[alice, ['change']]], 5000, 'alice connected to both relays')
    const { spaceId } = await actions.spaceCreate(alice, 'Two relays', true)
    await until(() => x.store.spaces.has(spaceId) && y.store.spaces.has(spaceId), [[x.replica, ['op']], [y.replica, ['op']]], 5000, 'both relays hold the space')
    for (let i = 0; i < 40; i++) await actions.send(alice, `m${i}`)
    const all = (): number => alice.store.spaces.get(spaceId)?.size ?? 0
    // one anti-entropy round (its timer is off here): a session with each relay
    const asked: string[] = []
    const syncWith = alice.sync.syncWith.bind(alice.sync)
    alice.sync.syncWith = async (peer, id, o) => { asked.push(`${peer.toString()}/${id}`); return await syncWith(peer, id, o) }
    ;(alice as unknown as { antiEntropy: () => void }).antiEntropy()
    expect(asked.sort()).toEqual([x, y].map(r => `${r.node.peerId.toString()}/${spaceId}`).sort())
    await until(() => x.store.spaces.get(spaceId)?.size === all() && y.store.spaces.get(spaceId)?.size === all(), [[x.replica, ['op']], [y.replica, ['op']]], 10_000, 'both relays hold every op')
    expect(y.replica.rejectedByReason.get('rate_limited') ?? 0).toBeGreaterThan(0)

    // carol's first relay is down and her second does not hold the space: her third hands it over
    const [dead] = await freePorts(1)
    const carol = await start('carol', { relays: [`/ip4/127.0.0.1/tcp/${dead}`, z.addresses()[0], y.addresses()[0]], relayOnly: true })
    await joinSpace(carol, spaceId)
    expect((await actions.messages(carol, '100')).messages.map(m => m.text)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`))
    // ...and the relay that did not hold it holds it now (her join pushed it there)
    await until(() => z.store.spaces.get(spaceId)?.size === carol.store.spaces.get(spaceId)?.size, [[z.replica, ['op']]], 5000, 'relay z holds the space')
  })
})
