/**
 * Private spaces end to end (issue 10), with real processes and a relay:
 * - an outsider built from plain libp2p that knows the space id gets no plaintext from gossip, sync
 *   (client or relay) or the DHT; the relay's data dir holds no plaintext;
 * - a banned member's client shows nothing posted after the ban, and its data dir holds none of it;
 * - direct messages between two members are unreadable by a third;
 * - a member who joins while the inviter is offline reads the history (relay + another member).
 */
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import { e2eFixture, eventually, RelayProcess, type JsonLine, type SpacewayProcess } from '../helpers/proc.js'
import { Outsider } from '../helpers/outsider.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
const outsiders: Outsider[] = []
afterEach(async () => {
  await Promise.all(relays.splice(0).map(async r => await r.stop()))
  await Promise.all(outsiders.splice(0).map(async o => { await o.stop() }))
})

const event = (name: string, pred: (d: any) => boolean = () => true) => (l: JsonLine) => l.type === 'event' && l.event === name && pred(l.data)
const texts = (data: any): string[] => data.messages.map((m: any) => m.text)

/** Every key and value of a LevelDB dir (closed), searched for `needles`; returns those found. */
async function plaintextIn (path: string, needles: string[]): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const found = new Set<string>()
  try {
    for await (const [k, v] of db.iterator()) {
      const blob = Buffer.concat([Buffer.from(k), Buffer.from(v)])
      for (const n of needles) if (blob.includes(Buffer.from(n))) found.add(n)
    }
  } finally {
    await db.close()
  }
  return [...found]
}

async function keyArrived (p: SpacewayProcess, from = 0): Promise<void> {
  await p.waitFor(event('key'), 15_000, from)
}

describe('private spaces', () => {
  it('an outsider gets no plaintext; a banned member reads nothing after the ban; direct messages stay between two', async () => {
    const relay = new RelayProcess(join(dir(), 'relay'), ['--trust-loopback'])
    relays.push(relay)
    const raddr = (await relay.ready).addrs[0]
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(n => start(n, ['--relay', raddr]))
    await Promise.all([alice, bob, carol].map(async p => await p.ready()))
    await eventually(async () => (await alice.ok('network')).relays[0].connected === true, 10_000, 50, 'alice on the relay')

    const CANARY = { space: 'Canary Space QX7', channel: 'canary-room-q9', first: 'canary message one', bob: 'canary from bob', afterBan: 'canary after the ban', afterBan2: 'canary after the ban, by bob', dm: 'canary dm between two' }
    const { spaceId } = await alice.ok(`space create "${CANARY.space}"`)
    await alice.ok(`send ${CANARY.first}`)
    for (const p of [bob, carol]) {
      const { invite } = await alice.ok('invite create --max-uses 1')
      const mark = p.lines.length
      await p.ok(`join ${invite}`)
      await keyArrived(p, mark)
      expect(texts(await p.ok('messages'))).toEqual([CANARY.first])
      // the joiner's pushes prove its invite until its join is known: the relay takes them
      expect(p.lines.slice(mark).filter(event('relay:refused'))).toEqual([])
    }
    await alice.ok(`channel create ${CANARY.channel}`)
    await alice.ok('channel general')
    const bobSent = await bob.ok(`send ${CANARY.bob}`)
    await alice.waitFor(event('message', d => d.id === bobSent.id))
    expect((await carol.ok('context')).spaceName).toBe(CANARY.space)

    // The outsider: knows the space id, connects to everyone, subscribes, asks to sync, looks in the DHT.
    const outsider = await Outsider.start()
    outsiders.push(outsider)
    for (const p of [alice, bob]) await outsider.dial((await p.ready()).addrs[0])
    await outsider.dial(raddr)
    outsider.subscribe(spaceId)
    for (const peer of [(await alice.ready()).peerId, (await bob.ready()).peerId, (await relay.ready).peerId]) {
      expect(await outsider.pull(peer, spaceId)).toEqual(['unknown:invite_only'])
    }
    await outsider.lookUp(spaceId)

    // Carol is banned: the space re-keys; what is said after reaches her as ciphertext at most.
    const carolId = (await carol.ok('whoami')).userId
    const ban = await alice.ok(`ban ${carolId}`)
    expect(ban.rekeyed).toBe(true)
    await carol.waitFor(event('member:leave', d => d.you === true && d.reason === 'ban'))
    const a1 = await alice.ok(`send ${CANARY.afterBan}`)
    await bob.waitFor(event('message', d => d.id === a1.id))
    const b1 = await bob.ok(`send ${CANARY.afterBan2}`)
    await alice.waitFor(event('message', d => d.id === b1.id))
    const seenByCarol = await carol.ok('messages 100')
    expect(texts(seenByCarol)).not.toContain(CANARY.afterBan)
    expect(texts(seenByCarol)).not.toContain(CANARY.afterBan2)
    expect(seenByCarol.messages.every((m: any) => m.id !== a1.id && m.id !== b1.id)).toBe(true)

    // Direct messages between alice and bob; carol (still a member of nothing) and the outsider see none.
    const bobId = (await bob.ok('whoami')).userId
    const mark = bob.lines.length
    const dm = await alice.ok(`dm ${bobId}`)
    const opened = await bob.waitFor(event('dm'), 15_000, mark)
    expect(opened.data.spaceId).toBe(dm.spaceId)
    await bob.waitFor(event('key', d => d.spaceId === dm.spaceId), 15_000, mark).catch(() => {})
    const d1 = await alice.ok(`send ${CANARY.dm}`)
    await bob.ok(`space ${(dm.spaceId as string).slice(0, 12)}`)
    await eventually(async () => texts(await bob.ok('messages')).includes(CANARY.dm), 10_000, 50, 'bob reads the direct message')
    expect((await bob.ok('spaces')).spaces.find((s: any) => s.spaceId === dm.spaceId)).toMatchObject({ dm: true })
    expect(d1.id).toBeTruthy()

    const all = Object.values(CANARY)
    // it did get the live traffic of the space (ciphertext), and the refusals, and nothing readable
    expect(outsider.received.length).toBeGreaterThanOrEqual(4)
    expect(all.filter(c => outsider.saw(c))).toEqual([])
    for (const p of [alice, bob, carol]) expect(await p.quit()).toBe(0)
    await relay.stop()
    expect(await plaintextIn(join(dir(), 'relay', 'db'), all)).toEqual([])
    expect(await plaintextIn(join(dir(), 'carol.key.data'), all)).toEqual([])
    // (alice's and bob's data dirs hold ciphertext too: bodies are opened only when shown)
    expect(await plaintextIn(join(dir(), 'bob.key.data'), all)).toEqual([])
  }, 120_000)

  it('a member who joins while the inviter is offline reads the history: the relay hands over the space, another member the key', async () => {
    const relay = new RelayProcess(join(dir(), 'relay'), ['--trust-loopback'])
    relays.push(relay)
    const raddr = (await relay.ready).addrs[0]
    const alice = start('alice', ['--relay', raddr])
    const bob = start('bob', ['--relay', raddr])
    await Promise.all([alice.ready(), bob.ready()])
    await eventually(async () => (await alice.ok('network')).relays[0].connected === true, 10_000, 50, 'alice on the relay')
    const { spaceId } = await alice.ok('space create "Book club"')
    await alice.ok('send chapter one was long')
    const forBob = await alice.ok('invite create --max-uses 1')
    const mark = bob.lines.length
    await bob.ok(`join ${forBob.invite}`)
    await keyArrived(bob, mark)
    const { invite } = await alice.ok('invite create --max-uses 1')
    await eventually(async () => (await relay.health()).ops >= 8, 10_000, 50, 'the relay holds the space and the invite')
    expect(await alice.quit()).toBe(0)

    const dave = start('dave', ['--relay', raddr]) // knows nothing but the token; alice is gone
    await dave.ready()
    const joined = await dave.ok(`join ${invite}`)
    expect(joined.spaceId).toBe(spaceId)
    await keyArrived(dave)
    expect(texts(await dave.ok('messages'))).toEqual(['chapter one was long'])
    expect((await dave.ok('context')).spaceName).toBe('Book club')
    const sent = await dave.ok('send hello from dave')
    await bob.waitFor(event('message', d => d.id === sent.id))
  }, 90_000)
})
