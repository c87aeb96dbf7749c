/**
 * End to end: what a user sent right before quitting is not lost. GossipSub reaches only the peers
 * subscribed at the moment of publishing; on stop the client pushes what no sync has carried yet to
 * its relays (net/outbox.ts).
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { e2eFixture, eventually, RelayProcess } from '../helpers/proc.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
afterEach(async () => { await Promise.all(relays.splice(0).map(async r => await r.stop('SIGKILL'))) })

async function onRelay (relay: RelayProcess, name: string): Promise<ReturnType<typeof start>> {
  const p = start(name, ['--relay', (await relay.ready).addrs[0]])
  await p.ready()
  await eventually(async () => (await p.ok('network')).relays[0].connected === true, 10_000, 50, `${name} on the relay`)
  return p
}

describe('quit right after sending', () => {
  it('a space created and written in, then end of input at once: a member who comes later gets it all from the relay', async () => {
    const relay = new RelayProcess(join(dir(), 'relay'), ['--trust-loopback'])
    relays.push(relay)
    const carol = await onRelay(relay, 'carol')
    const { spaceId } = await carol.ok('space create Later --public')
    // the relay has not subscribed to the new space's topic yet: these publishes reach nobody
    carol.child.stdin.write('send first post\nchannel create news\nsend second post\n')
    expect(await carol.quit()).toBe(0)
    expect(carol.lines.filter(l => l.type === 'result').slice(-3).map(l => l.ok)).toEqual([true, true, true])

    const alice = await onRelay(relay, 'alice')
    await alice.ok(`join ${spaceId}`)
    expect((await alice.ok('messages')).messages.map((m: any) => m.text)).toEqual(['first post'])
    expect((await alice.ok('channels')).channels.map((c: any) => c.name)).toContain('news')
    await alice.ok('channel news')
    expect((await alice.ok('messages')).messages.map((m: any) => m.text)).toEqual(['second post'])
  }, 60_000)

  it('a private space joined through the relay: a message sent, then end of input at once, reaches the inviter', async () => {
    const relay = new RelayProcess(join(dir(), 'relay'), ['--trust-loopback'])
    relays.push(relay)
    const alice = await onRelay(relay, 'alice')
    const carol = await onRelay(relay, 'carol')
    await alice.ok('space create Secret')
    const { invite } = await alice.ok('invite create --max-uses 1')
    await eventually(async () => (await relay.health()).ops >= 3, 10_000, 50, 'the relay holds the space and the invite')
    await carol.ok(`join ${invite}`)
    await carol.ok('send hello via relay')
    expect(await carol.quit()).toBe(0)
    await alice.waitFor(l => l.type === 'event' && l.event === 'message' && l.data.text === 'hello via relay', 8000)
  }, 60_000)

  it('twenty messages written at once, then end of input: the connected peer gets all of them', async () => {
    const alice = start('alice')
    const carol = start('carol')
    const aReady = await alice.ready()
    await carol.ready()
    const { spaceId } = await alice.ok('space create Burst --public')
    await carol.ok(`connect ${aReady.addrs[0]}`)
    await carol.ok(`join ${spaceId}`)
    for (let i = 0; i < 20; i++) carol.child.stdin.write(`send last ${i}\n`)
    expect(await carol.quit()).toBe(0)
    for (let i = 0; i < 20; i++) await alice.waitFor(l => l.type === 'event' && l.event === 'message' && l.data.text === `last ${i}`, 5000)
  })
})
