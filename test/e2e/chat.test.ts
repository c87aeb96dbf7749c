/**
 * End to end: real spaceway processes on loopback, driven in --json line mode.
 */
import { describe, expect, it } from 'vitest'
import { e2eFixture } from '../helpers/proc.js'

const { start } = e2eFixture()

describe('two peers', () => {
  it('chat both ways, and a late third peer gets the whole history in the same order', async () => {
    const alice = start('alice')
    const bob = start('bob')
    const aReady = await alice.ready()
    await bob.ready()
    const { spaceId } = await alice.ok('space create "Test Space" --public')
    expect((await bob.ok(`connect ${aReady.addrs[0]}`)).peerId).toBe(aReady.peerId)
    expect(await bob.ok(`join ${spaceId}`)).toEqual({ spaceId, name: 'Test Space' })

    await alice.ok('send hello bob')
    const atBob = await bob.waitFor(l => l.type === 'event' && l.event === 'message' && l.data.text === 'hello bob')
    expect(atBob.data.author.name).toBe('alice')
    await bob.ok('send hi alice')
    const atAlice = await alice.waitFor(l => l.type === 'event' && l.event === 'message' && l.data.text === 'hi alice')
    expect(atAlice.data.author.name).toBe('bob')
    for (let i = 0; i < 5; i++) await alice.ok(`send a${i}`)

    const carol = start('carol')
    await carol.ready()
    await carol.ok(`connect ${(await bob.ready()).addrs[0]}`)
    await carol.ok(`join ${spaceId}`)
    const texts = (m: any): string[] => m.messages.map((x: any) => x.text)
    const atCarol = await carol.ok('messages')
    const atAlice2 = await alice.ok('messages')
    expect(texts(atCarol)).toEqual(['hello bob', 'hi alice', 'a0', 'a1', 'a2', 'a3', 'a4'])
    expect(atCarol.messages.map((m: any) => m.id)).toEqual(atAlice2.messages.map((m: any) => m.id))
  })

  it('--bootstrap dials at start, and a nick change reaches the other peer', async () => {
    const alice = start('alice')
    const aReady = await alice.ready()
    const { spaceId } = await alice.ok('space create Nicks --public')
    const bob = start('bob', ['--bootstrap', aReady.addrs[0]])
    await bob.ready()
    await bob.waitFor(l => l.type === 'event' && l.event === 'peer:connect' && l.data.peerId === aReady.peerId)
    await bob.ok(`join ${spaceId}`)
    expect(await bob.ok('nick Robert')).toEqual({ name: 'Robert' })
    await bob.ok('send renamed')
    const got = await alice.waitFor(l => l.type === 'event' && l.event === 'message' && l.data.text === 'renamed')
    expect(got.data.author.name).toBe('Robert')
    expect((await bob.ok('whoami')).name).toBe('Robert')
  })
})
