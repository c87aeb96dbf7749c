/**
 * Relays learned from members (net/relay-learning.ts), in-process on 127.0.0.1: carol, configured
 * with relay R1 only, learns from member maya that she uses relay R2, proves it is
 * a relay, keeps it across a restart, and, with R1 gone and maya offline, catches up through R2.
 */
import { describe, expect, it } from 'vitest'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { joinSpace } from '../../src/net/join-service.js'
import { lpStream } from '@libp2p/utils'
import { encode } from 'cborg'
import type { App } from '../../src/app.js'
import { decodeRelays, RELAYS_PROTOCOL } from '../../src/net/relay-exchange.js'
import { appFixture } from '../helpers/apps.js'
import { relayFixture } from '../helpers/relays.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()
const { relay } = relayFixture()

describe('relays learned from members', () => {
  it('carol learns relay R2 from maya, keeps it across a restart and catches up through it once R1 is gone', async () => {
    // no DHT discovery between the relays: whatever R2 gets comes from its clients
    const r1 = await relay({ discoverRelays: false })
    const r2 = await relay({ discoverRelays: false })
    const r1Addr = r1.addresses()[0]
    const r2Id = r2.node.peerId.toString()
    const maya = await start('maya', { relays: [r2.addresses()[0]] })
    await until(() => maya.relays.connectedRelays().length === 1, [[maya, ['change']]], 5000, 'maya connected to R2')
    const { spaceId } = await actions.spaceCreate(maya, 'Private')
    const { invite } = await memberActions.inviteCreate(maya, { maxUses: 1 })

    let carol = await start('carol', { relays: [r1Addr], bootstrap: [maya.addresses()[0]] })
    await until(() => carol.relays.connectedRelays().length === 1 && carol.node.getConnections(maya.node.peerId).length > 0, [[carol, ['change', 'peer:connect']]], 5000, 'carol connected to R1 and maya')
    await joinSpace(carol, invite)
    const t0 = Date.now()
    const learnedR2 = (): boolean => carol.relays.list().some(s => s.peerId === r2Id && s.source === 'member' && s.verified && s.connected)
    await until(learnedR2, [[carol, ['change']]], 15_000, 'carol learned relay R2 from maya and connected')
    console.log(`carol learned R2 and connected to it ${Date.now() - t0} ms after her join`)
    expect(carol.learning.learned.reportersOf(r2Id)).toEqual([maya.account.userId])
    // R2 may hold this private space's ciphertext (maya, a member, gives it already) - nothing else
    expect(carol.learning.trusted(r2Id, spaceId)).toBe(true)
    expect(carol.learning.trusted(r2Id, 'some-other-space')).toBe(false)
    // and maya learned R1 from carol; carol told her R1 only (never relays she learned, e.g. R2 back)
    const r1Id = r1.node.peerId.toString()
    await until(() => maya.learning.learned.reportersOf(r1Id).includes(carol.account.userId), [[maya, ['change']]], 10_000, 'maya learned R1 from carol')
    expect(maya.learning.learned.list().map(r => r.peerId)).toEqual([r1Id])
    await carol.stop()

    // carol offline; R1 gone; maya writes (R2 holds it), then maya goes offline too
    await r1.stop()
    const sent = await actions.send(maya, 'while carol was away')
    await until(() => r2.store.spaces.get(spaceId)?.byId.has(sent.id) === true, [[r2.replica, ['op']]], 10_000, 'R2 holds maya\'s message')
    await maya.stop()

    // carol comes back with only the dead R1 configured: R2, kept in her store, brings the message
    const t1 = Date.now()
    carol = await start('carol', { relays: [r1Addr] })
    expect(carol.relays.list().map(s => [s.peerId, s.source])).toContainEqual([r2Id, 'member'])
    const texts = async (): Promise<string[]> => (await actions.messages(carol, undefined)).messages.map(m => m.text)
    await until(async () => (await texts()).includes('while carol was away'), [[carol, ['applied', 'change']]], 15_000, 'carol caught up through R2')
    console.log(`carol, restarted, caught up through R2 ${Date.now() - t1} ms after start`)
    expect(carol.node.getConnections(maya.node.peerId)).toHaveLength(0)
  }, 30_000)

  it('a member naming a peer that is not a relay: carol dials it, finds no relay there and drops it', async () => {
    const r1 = await relay({ discoverRelays: false })
    const dave = await start('dave', { relays: [] })
    const daveId = dave.node.peerId.toString()
    const maya = await start('maya', { relays: [] })
    // maya is hostile: she names dave (a plain client) as her relay
    ;(maya.learning.exchange as unknown as { deps: { ours: () => string[] } }).deps.ours = () => [`${dave.addresses()[0].split('/p2p/')[0]}/p2p/${daveId}`]
    await actions.spaceCreate(maya, 'Open', true)
    const { invite } = await memberActions.inviteCreate(maya, { maxUses: 1 })
    const carol = await start('carol', { relays: [r1.addresses()[0]], bootstrap: [maya.addresses()[0]] })
    await until(() => carol.node.getConnections(maya.node.peerId).length > 0, [[carol, ['peer:connect']]], 5000, 'carol connected to maya')
    await joinSpace(carol, invite)
    const dropped = new Promise<[string, boolean]>(resolve => { carol.relays.once('dropped', (peerId, notRelay) => { resolve([peerId, notRelay]) }) })
    expect(await dropped).toEqual([daveId, true])
    expect(carol.relays.list().map(s => s.source)).toEqual(['configured'])
    expect(carol.relays.isRelay(daveId)).toBe(false)
    await until(() => carol.learning.learned.size === 0, [[carol, ['change']]], 2000, 'dave forgotten')
  }, 30_000)

  it('only members of a shared space are told, once per interval: an outsider asking gets the stream reset', async () => {
    const r1 = await relay({ discoverRelays: false })
    const maya = await start('maya', { relays: [r1.addresses()[0]] })
    await until(() => maya.relays.connectedRelays().length === 1, [[maya, ['change']]], 5000, 'maya connected to R1')
    const { spaceId } = await actions.spaceCreate(maya, 'Private')
    const { invite } = await memberActions.inviteCreate(maya, { maxUses: 1 })
    const outsider = await start('outsider', { relays: [] })
    const carol = await start('carol', { relays: [], bootstrap: [maya.addresses()[0]] })
    /** Asks `to` directly on the protocol (bypassing the asker's own membership check). */
    const rawAsk = async (from: App, to: App): Promise<unknown[]> => {
      await from.node.dial(to.node.getMultiaddrs()[0], { signal: AbortSignal.timeout(5000) })
      const stream = await from.node.dialProtocol(to.node.peerId, RELAYS_PROTOCOL, { signal: AbortSignal.timeout(5000) })
      const lp = lpStream(stream)
      await lp.write(encode({ v: 1 }), { signal: AbortSignal.timeout(5000) })
      return decodeRelays((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray())
    }
    await expect(rawAsk(outsider, maya)).rejects.toThrow()
    await expect(outsider.learning.exchange.ask(maya.node.peerId)).rejects.toThrow(/shares no space/)
    await joinSpace(carol, invite)
    await until(() => carol.learning.learned.size === 1, [[carol, ['change']]], 10_000, 'carol learned R1 from maya')
    // carol just asked (her join): a second question within the interval is refused
    await expect(rawAsk(carol, maya)).rejects.toThrow()
    // the outsider, once a member (and not asking by itself), is told: maya's relay, with its PeerId
    const second = await memberActions.inviteCreate(maya, { maxUses: 1 })
    await outsider.learning.stop()
    await joinSpace(outsider, second.invite)
    await until(() => maya.store.spaces.get(spaceId)?.members.roleOf(outsider.account.userId) != null, [[maya, ['applied']]], 10_000, 'maya knows the outsider joined')
    expect(await rawAsk(outsider, maya)).toEqual([`${r1.addresses()[0].split('/p2p/')[0]}/p2p/${r1.node.peerId.toString()}`])
  }, 30_000)
})
