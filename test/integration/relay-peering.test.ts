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
import { relayMesh } from '../helpers/relay-mesh.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
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
    const same = (spaceId: string): boolean => b.relay.store.spaces.get(spaceId)?.size === alice.store.spaces.get(spaceId)?.size
    await until(() => same(priv.spaceId) && same(open.spaceId), [[b.relay.replica, ['op']]], 10_000, 'relay B holds both spaces')
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
})
