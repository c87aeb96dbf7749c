/**
 * End to end with a real relay process and real clients that know only the relay.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { e2eFixture, eventually, RelayProcess } from '../helpers/proc.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
afterEach(async () => { await Promise.all(relays.splice(0).map(async r => await r.stop())) })
function relay (name = 'relay', extra: string[] = []): RelayProcess {
  const r = new RelayProcess(join(dir(), name), extra)
  relays.push(r)
  return r
}
const texts = (d: any): string[] => d.messages.map((m: any) => m.text)

describe('relay', () => {
  it('clients that know only the relay chat; an offline client catches up from the relay alone; a restarted relay serves a newcomer', async () => {
    const r = relay()
    const raddr = (await r.ready).addrs[0]
    const alice = start('alice', ['--relay', raddr])
    const bob = start('bob', ['--relay', raddr])
    await alice.ready()
    await bob.ready()
    const { spaceId } = await alice.ok('space create "Relayed" --public')
    await alice.ok('send first')
    // space.create, alice's profile.set, the message
    await eventually(async () => (await r.health()).ops >= 3, 10_000, 50, 'relay holds the new space')
    await bob.ok(`join ${spaceId}`)
    expect(texts(await bob.ok('messages'))).toEqual(['first'])
    await bob.ok('send hi alice')
    await alice.waitFor(l => l.event === 'message' && l.data.text === 'hi alice')

    // Bob goes away; Alice posts 100 and leaves; only the relay is online when Bob comes back
    expect(await bob.quit()).toBe(0)
    const before = (await r.health()).ops
    for (let i = 0; i < 100; i++) await alice.ok(`send m${i}`)
    await eventually(async () => (await r.health()).ops >= before + 100, 10_000, 50, 'relay stores the 100 messages')
    const aliceOrder = (await alice.ok('messages 200')).messages.map((m: any) => m.id)
    expect(await alice.quit()).toBe(0)
    const bob2 = start('bob', ['--relay', raddr])
    await bob2.ready()
    const t0 = Date.now()
    await bob2.waitFor(l => l.event === 'sync' && l.data.phase === 'done' && l.data.spaceId === spaceId, 5000)
    const got = await bob2.ok('messages 200')
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(got.messages.map((m: any) => m.id)).toEqual(aliceOrder)
    expect(got.messages).toHaveLength(102)

    // the relay restarts on the same data dir; Carol, knowing only it, gets the full history
    const port = raddr.split('/tcp/')[1].split('/')[0]
    await r.stop()
    const r2 = relay('relay', ['--port', port])
    expect((await r2.ready).peerId).toBe((await r.ready).peerId)
    const carol = start('carol', ['--relay', (await r2.ready).addrs[0]])
    await carol.ready()
    await eventually(async () => (await carol.ok('network')).relays[0].connected === true, 10_000, 50, 'carol connects to the relay')
    await bob2.quit()
    await carol.ok(`join ${spaceId}`)
    expect((await carol.ok('messages 200')).messages.map((m: any) => m.id)).toEqual(aliceOrder)
  })

  it('a --relay-only client announces only circuit addresses and chats through the relay', async () => {
    const r = relay()
    const raddr = (await r.ready).addrs[0]
    const dave = start('dave', ['--relay', raddr, '--relay-only'])
    const ready = await dave.ready()
    expect(ready.addrs.length).toBeGreaterThan(0)
    for (const a of ready.addrs) expect(a).toContain('/p2p-circuit/')
    const erin = start('erin', ['--relay', raddr])
    await erin.ready()
    const { spaceId } = await erin.ok('space create Hidden --public')
    await erin.ok(`connect ${ready.addrs[0]}`)
    await dave.ok(`join ${spaceId}`)
    await dave.ok('send from behind the relay')
    await erin.waitFor(l => l.event === 'message' && l.data.text === 'from behind the relay')
    await erin.ok('send back to you')
    await dave.waitFor(l => l.event === 'message' && l.data.text === 'back to you')
    const daveNet = await dave.ok('network')
    for (const a of daveNet.addrs) expect(a).toContain('/p2p-circuit/')
    // the process's own memory, in bytes
    expect(daveNet.memory.rss).toBeGreaterThan(daveNet.memory.heapUsed)
    expect(daveNet.memory.heapUsed).toBeGreaterThan(1024 * 1024)
    const erinNet = await erin.ok('network')
    const toDave = erinNet.connections.filter((c: any) => c.peerId === ready.peerId)
    expect(toDave.length).toBeGreaterThan(0)
    for (const c of toDave) expect(c.transport).toBe('circuit-relay')
  })

  it('kill -9 during a catch-up: the store reopens, nothing acknowledged is lost, the catch-up completes', async () => {
    const r = relay()
    const first = await r.ready
    const port = first.addrs[0].split('/tcp/')[1].split('/')[0]
    const alice = start('alice', ['--relay', first.addrs[0]])
    await alice.ready()
    const { spaceId } = await alice.ok('space create Big --public')
    await eventually(async () => (await r.health()).spaces === 1)
    // a burst of ops for the relay to store while it is killed
    const lines = Array.from({ length: 1500 }, (_, i) => `send bulk ${i}`)
    alice.child.stdin.write(lines.join('\n') + '\n')
    await eventually(async () => (await r.health()).ops > 50, 20_000, 10)
    const acknowledged = (await r.health()).ops
    await r.stop('SIGKILL')
    await alice.waitFor(l => l.type === 'result' && l.cmd === 'send' && l.data?.text === 'bulk 1499', 60_000)
    const r2 = relay('relay', ['--port', port])
    expect((await r2.ready).peerId).toBe(first.peerId)
    expect((await r2.health()).ops).toBeGreaterThanOrEqual(acknowledged)
    const total = (await alice.ok('network')).spaces.find((s: any) => s.spaceId === spaceId).ops
    await eventually(async () => (await r2.health()).ops === total, 30_000)
  })

  it('an invite token works while its inviter is offline: the relay named in it hands over the space and stores the join', async () => {
    const r = relay()
    const raddr = (await r.ready).addrs[0]
    const alice = start('alice', ['--relay', raddr])
    await alice.ready()
    await eventually(async () => (await alice.ok('network')).relays[0].connected === true, 10_000, 50, 'alice connects to the relay')
    const { spaceId } = await alice.ok('space create Private')
    await alice.ok('send before you came')
    const { invite } = await alice.ok('invite create --max-uses 1')
    await eventually(async () => (await r.health()).ops >= 4, 10_000, 50, 'relay holds the space and the invite')
    expect(await alice.quit()).toBe(0)

    const bob = start('bob') // knows nothing but the token
    await bob.ready()
    // The relay hands over the space (ciphertext) and stores the join; the key of this private
    // space is with alice only, so until she is back bob sees neither the name nor the messages.
    expect(await bob.ok(`join ${invite}`)).toEqual({ spaceId, name: '(private space)' })
    expect((await bob.ok('messages')).messages.map((m: any) => m.locked)).toEqual([true])
    await eventually(async () => (await r.health()).ops >= 6, 10_000, 50, 'relay stores bob\'s join')

    // Alice comes back, learns of the join from the relay and hands bob the key.
    const alice2 = start('alice', ['--relay', raddr])
    await alice2.ready()
    await bob.waitFor(l => l.type === 'event' && l.event === 'key', 15_000)
    expect(texts(await bob.ok('messages'))).toEqual(['before you came'])
    expect((await bob.ok('context')).spaceName).toBe('Private')
    await bob.ok('send hello, anyone?')
    await alice2.waitFor(l => l.event === 'message' && l.data.text === 'hello, anyone?', 10_000)
    expect((await alice2.ok('members')).members.map((m: any) => m.name).sort()).toEqual(['alice', 'bob'])
  })
})
