/**
 * Integration: joining a space held here from before (a user who was removed) judges it by what
 * its members hold now, not by the stale copy: after `unban`, the old invite works again.
 */
import { joinSpace } from '../../src/net/join-service.js'
import { describe, expect, it } from 'vitest'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { appFixture } from '../helpers/apps.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()

describe('rejoin', () => {
  it('after an unban, the old invite lets the user back in', async () => {
    const [alice, bob] = [await start('alice'), await start('bob')]
    const { spaceId } = await actions.spaceCreate(alice, 'club')
    const { invite } = await memberActions.inviteCreate(alice)
    await actions.connect(bob, alice.addresses()[0])
    await joinSpace(bob, invite)
    const bobId = bob.account.userId
    await until(() => alice.store.spaces.get(spaceId)?.members.roleOf(bobId) === 'member', [[alice.replica, ['op']]], 5000, 'alice sees bob')
    await memberActions.removeUser(alice, 'member.ban', bobId)
    await until(() => bob.store.spaces.get(spaceId)?.members.user(bobId)?.banned === true, [[bob.replica, ['op']]], 5000, 'bob sees the ban')
    await expect(joinSpace(bob, invite)).rejects.toMatchObject({ code: 'BANNED' })
    await memberActions.removeUser(alice, 'member.unban', bobId)
    // bob's copy still says banned; the join catches up with alice first
    expect(bob.store.spaces.get(spaceId)?.members.user(bobId)?.banned).toBe(true)
    await joinSpace(bob, invite)
    expect(bob.store.spaces.get(spaceId)?.members.roleOf(bobId)).toBe('member')
  })
})
