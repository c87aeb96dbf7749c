/**
 * The relay in-process: hostile input on the sync protocol and on space topics is rejected, counted
 * in /metrics, and the relay keeps serving.
 */
import { joinSpace } from '../../src/net/join-service.js'
import { encode, decode } from 'cborg'
import { describe, expect, it } from 'vitest'
import type { RelayServer } from '../../relay/relay.js'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { createOp } from '../../src/core/op.js'
import { idFromString } from '../../src/core/ids.js'
import { spaceTopic } from '../../src/net/topics.js'
import { SYNC_PROTOCOL } from '../../src/sync/messages.js'
import { appFixture } from '../helpers/apps.js'
import { relayFixture } from '../helpers/relays.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const { relay } = relayFixture()

async function metric (r: RelayServer, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort()}/metrics`)).text()
  return text.split('\n').filter(l => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
}

describe('relay under hostile input', () => {
  it('garbage, truncated and oversized sync messages and forged ops are rejected and counted; the relay keeps serving', async () => {
    const r = await relay({ maxMessageBytes: 64 * 1024 })
    const alice = await start('alice', { relays: [r.addresses()[0]] })
    const { spaceId } = await actions.spaceCreate(alice, 'S', true)
    await actions.send(alice, 'genuine')
    await until(() => r.replica.committed >= 3, [[r.replica, ['op']]], 5000, 'relay holds the space')

    const failedBefore = await metric(r, 'spaceway_relay_sync_failed_total')
    const oversized = new Uint8Array(8)
    oversized.set([0x80, 0x80, 0x80, 0x10]) // varint length 32 MiB, over the relay's limit
    for (const junk of [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([5, 1, 2]), new TextEncoder().encode('\u0010hello, not cbor!'), oversized]) {
      const stream = await alice.node.dialProtocol(r.node.peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
      stream.send(junk)
      await stream.close().catch(() => {})
    }
    await until(() => r.sync.totals.failed >= 4, [[r.sync, ['failed']]], 5000, 'four failed sessions')
    expect(await metric(r, 'spaceway_relay_sync_failed_total')).toBeGreaterThanOrEqual(failedBefore + 4)

    // a forged op (tampered text) published on the space topic
    const bytes = (await alice.store.getBytes((await actions.messages(alice, undefined)).messages[0].id))!
    const raw = decode(bytes) as Record<string, unknown>
    const forged = encode({ ...raw, payload: { ...(raw.payload as object), text: 'forged' } })
    await alice.node.services.pubsub.publish(spaceTopic(spaceId), forged).catch(() => {})
    await until(() => (r.replica.rejectedByReason.get('bad_signature') ?? 0) >= 1, [[r.replica, ['rejected']]], 5000, 'forged op rejected')
    expect(await metric(r, 'spaceway_relay_ops_rejected_total{reason="bad_signature"}')).toBe(1)

    // still serving: a newcomer knowing only the relay gets the genuine history
    const bob = await start('bob', { relays: [r.addresses()[0]] })
    await until(() => bob.relays.connectedRelays().length === 1, [[bob, ['change']]], 5000, 'bob connected to the relay')
    await joinSpace(bob, spaceId)
    expect((await actions.messages(bob, undefined)).messages.map(m => m.text)).toEqual(['genuine'])
    const health = r.health()
    expect(health).toMatchObject({ healthy: true, spaces: 1 })
    expect(await metric(r, 'libp2p_')).toBeGreaterThan(0)
  })

  it('a kicked member\'s ops are refused by the relay and by members, with the reason in an op:rejected event', async () => {
    const r = await relay()
    const alice = await start('alice', { relays: [r.addresses()[0]] })
    const bob = await start('bob', { relays: [r.addresses()[0]] })
    await until(() => alice.relays.connectedRelays().length === 1, [[alice, ['change']]], 5000, 'alice connected to the relay')
    const { spaceId } = await actions.spaceCreate(alice, 'Private')
    const { invite } = await memberActions.inviteCreate(alice, { maxUses: 1 })
    await joinSpace(bob, invite)
    await until(() => r.store.spaces.get(spaceId)?.members.roleOf(bob.account.userId) === 'member', [[r.replica, ['op']]], 5000, 'relay knows bob joined')
    await until(() => alice.store.spaces.get(spaceId)?.members.roleOf(bob.account.userId) === 'member', [[alice.replica, ['op']]], 5000, 'alice knows bob joined')
    await memberActions.removeUser(alice, 'member.kick', bob.account.userId)
    const kicked = (a: typeof bob): boolean => a.store.spaces.get(spaceId)?.members.roleOf(bob.account.userId) === null
    await until(() => kicked(bob), [[bob.replica, ['op']]], 5000, 'bob sees the kick')
    await until(() => r.store.spaces.get(spaceId)?.members.removed.has(bob.account.userId) === true, [[r.replica, ['op']]], 5000, 'relay sees the kick')

    // Bob's client refuses; a modified client signs the post anyway and publishes it.
    await expect(actions.send(bob, 'after the kick')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const state = bob.store.spaces.get(spaceId)!
    const forged = createOp({ type: 'message.post', space: idFromString(spaceId), hlc: bob.replica.clockFor(spaceId).tick(), deps: [...state.heads].map(idFromString), payload: { channel: idFromString(spaceId), text: 'after the kick' } }, bob.account.signer)
    const rejected = new Promise<{ reason: string }>(resolve => alice.once('op:rejected', resolve))
    await bob.node.services.pubsub.publish(spaceTopic(spaceId), forged.bytes)
    expect((await rejected).reason).toBe('not_member')
    await until(() => (r.replica.rejectedByReason.get('not_member') ?? 0) >= 1, [[r.replica, ['rejected']]], 5000, 'relay rejected it')
    expect(await metric(r, 'spaceway_relay_ops_rejected_total{reason="not_member"}')).toBe(1)
    expect(r.store.spaces.get(spaceId)!.byId.has(forged.id)).toBe(false)
    expect(alice.store.spaces.get(spaceId)!.byId.has(forged.id)).toBe(false)
  })

  it('limits: a relay at its max spaces refuses more, and a space at its op limit takes no more', async () => {
    const r = await relay({ maxSpaces: 1, limits: { maxOpsPerSpace: 3, maxBytesPerSpace: 1e9 } })
    const alice = await start('alice', { relays: [r.addresses()[0]] })
    await until(() => alice.relays.connectedRelays().length === 1, [[alice, ['change']]], 5000, 'connected to the relay')
    const one = await actions.spaceCreate(alice, 'one', true)
    await until(() => r.store.spaces.has(one.spaceId), [[r.replica, ['op']]], 5000, 'relay holds space one')
    await actions.spaceCreate(alice, 'two', true)
    await actions.spaceSwitch(alice, 'one')
    for (let i = 0; i < 3; i++) await actions.send(alice, `m${i}`)
    await until(() => (r.replica.rejectedByReason.get('space_full') ?? 0) >= 1, [[r.replica, ['rejected']]], 5000, 'space_full')
    expect(r.store.spaces.size).toBe(1)
    expect(r.store.spaces.get(one.spaceId)?.size).toBe(3)
    expect(await metric(r, 'spaceway_relay_spaces_refused_total')).toBeGreaterThanOrEqual(1)
  })
})
