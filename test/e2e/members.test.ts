/**
 * End to end: members, invites, roles, kick and deletes with four real spaceway processes.
 */
import { describe, expect, it } from 'vitest'
import { e2eFixture, eventually, type JsonLine, type SpacewayProcess } from '../helpers/proc.js'

const { start } = e2eFixture()

const event = (name: string, pred: (d: any) => boolean = () => true) => (l: JsonLine) => l.type === 'event' && l.event === name && pred(l.data)

async function code (p: SpacewayProcess, line: string): Promise<string> {
  const r = await p.cmd(line)
  if (r.ok === true) throw new Error(`${line} succeeded but should have failed`)
  return r.error.code as string
}

describe('members', () => {
  it('invites with max uses, a refused channel create, a moderator delete, a kick, and a restart', async () => {
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(n => start(n))
    await Promise.all([alice, bob, carol, dave].map(async p => await p.ready()))
    const { spaceId } = await alice.ok('space create Club')

    // An invite with one use, used twice: the second join is refused.
    const once = await alice.ok('invite create --max-uses 1')
    expect(once.maxUses).toBe(1)
    expect(await bob.ok(`join ${once.invite}`)).toEqual({ spaceId, name: 'Club' })
    const bobId = (await bob.ok('whoami')).userId
    await alice.waitFor(event('member:join', d => d.user.userId === bobId))
    expect(await code(carol, `join ${once.invite}`)).toBe('INVITE_EXHAUSTED')
    expect((await alice.ok('invites')).invites[0]).toMatchObject({ inviteId: once.inviteId, uses: 1, usesLeft: 0, status: 'used up' })

    const open = await alice.ok('invite create --expires 1h')
    await carol.ok(`join ${open.invite}`)
    await dave.ok(`join ${open.invite}`)
    const [carolId, daveId] = [(await carol.ok('whoami')).userId, (await dave.ok('whoami')).userId]
    await alice.waitFor(event('member:join', d => d.user.userId === daveId))
    await alice.waitFor(event('member:join', d => d.user.userId === carolId))
    // Names arrive with each member's profile op, right after its join.
    // strongest role first, then by name
    const expected = [['alice', 'owner'], ['bob', 'member'], ['carol', 'member'], ['dave', 'member']]
    await eventually(async () => JSON.stringify((await alice.ok('members')).members.map((m: any) => [m.name, m.role])) === JSON.stringify(expected), 10_000, 50, 'all names at alice')

    // A member cannot create channels, kick or assign roles.
    await bob.waitFor(event('member:join', d => d.user.userId === daveId))
    expect(await code(bob, 'channel create secret')).toBe('FORBIDDEN')
    expect(await code(bob, `kick ${daveId.slice(0, 10)}`)).toBe('FORBIDDEN')
    expect(await code(bob, 'role bob admin')).toBe('FORBIDDEN')

    // Carol becomes a moderator and deletes a message of bob's: it is gone everywhere.
    await alice.ok('role carol moderator')
    await carol.waitFor(event('member:role', d => d.user.userId === carolId && d.role === 'moderator'))
    const sent = await bob.ok('send a message to delete')
    await carol.waitFor(event('message', d => d.id === sent.id))
    await dave.waitFor(event('message', d => d.id === sent.id))
    await carol.ok(`delete ${(sent.id as string).slice(0, 8)}`)
    for (const p of [alice, dave, bob]) {
      await p.waitFor(event('message:delete', d => d.messageId === sent.id))
      const shown = (await p.ok('messages')).messages.find((m: any) => m.id === sent.id)
      expect(shown).toMatchObject({ deleted: true, text: '' })
    }
    // A moderator cannot kick the owner.
    expect(await code(carol, 'kick alice')).toBe('FORBIDDEN')

    // Carol kicks bob: bob is told, his client refuses to post, the others keep chatting.
    await carol.ok('kick bob')
    const removed = await bob.waitFor(event('member:leave', d => d.you === true))
    expect(removed.data).toMatchObject({ reason: 'kick', by: { userId: carolId } })
    const refused = await bob.cmd('send "am I still here?"')
    expect(refused.error.code).toBe('FORBIDDEN')
    expect(refused.error.message).toMatch(/removed/)
    await alice.waitFor(event('member:leave', d => d.user.userId === bobId && d.reason === 'kick'))
    await dave.waitFor(event('member:leave', d => d.user.userId === bobId))
    const still = await dave.ok('send still chatting')
    await carol.waitFor(event('message', d => d.text === 'still chatting'))
    // Edits and replies.
    await dave.ok(`edit ${(still.id as string).slice(0, 6)} still chatting!`)
    await carol.waitFor(event('message:edit', d => d.messageId === still.id && d.text === 'still chatting!'))
    expect(await code(carol, `edit ${(still.id as string).slice(0, 6)} hijacked`)).toBe('FORBIDDEN')
    const reply = await carol.ok(`reply ${(still.id as string).slice(0, 6)} me too`)
    expect(reply.replyTo).toBe(still.id)
    await dave.waitFor(event('message', d => d.id === reply.id && d.replyTo === still.id))
    expect(await carol.ok(`react ${(still.id as string).slice(0, 6)} 👍`)).toMatchObject({ emoji: '👍', on: true })
    await dave.waitFor(event('message:react', d => d.messageId === still.id && d.emoji === '👍' && d.on === true))
    expect((await dave.ok('messages')).messages.find((m: any) => m.id === still.id)).toMatchObject({ text: 'still chatting!', edited: true, reactions: [{ emoji: '👍', count: 1, users: [carolId] }] })
    for (const p of [alice, carol, dave]) {
      expect((await p.ok('messages')).messages.map((m: any) => m.text)).not.toContain('am I still here?')
    }

    // Everyone restarts: same members and roles everywhere; bob no longer lists the space.
    const before = (await alice.ok('members')).members.map((m: any) => [m.userId, m.role])
    expect(before).toHaveLength(3)
    await Promise.all([alice, bob, carol, dave].map(async p => await p.quit()))
    const again = ['alice', 'bob', 'carol', 'dave'].map(n => start(n))
    await Promise.all(again.map(async p => await p.ready()))
    for (const p of [again[0], again[2], again[3]]) {
      await p.ok(`space ${spaceId}`)
      expect((await p.ok('members')).members.map((m: any) => [m.userId, m.role])).toEqual(before)
    }
    expect((await again[1].ok('spaces')).spaces).toEqual([])
  })

  it('a public space is joined by id; a private one needs an invite', async () => {
    const alice = start('alice')
    const bob = start('bob')
    const a = await alice.ready()
    await bob.ready()
    const priv = await alice.ok('space create Private')
    const pub = await alice.ok('space create Open --public')
    await bob.ok(`connect ${a.addrs[0]}`)
    expect(await code(bob, `join ${priv.spaceId}`)).toBe('FORBIDDEN')
    expect(await bob.ok(`join ${pub.spaceId}`)).toEqual({ spaceId: pub.spaceId, name: 'Open' })
    await bob.ok('send hello')
    await alice.waitFor(event('message', d => d.text === 'hello'))
    expect((await bob.ok('spaces')).spaces.map((s: any) => s.name)).toEqual(['Open'])
  })
})
