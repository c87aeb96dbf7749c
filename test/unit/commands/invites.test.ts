import { dateTime } from '../../../src/format/message.js'
import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import invites from '../../../src/commands/invites.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { FakeClient, INVITE_TOKEN, NOW } from '../../helpers/fake-client.js'

describe('invites', () => {
  it('lists invites with status and uses; a token we made goes on its own line', async () => {
    const fake = new FakeClient()
    fake.inviteList.push({ inviteId: 'inv9zzzzzz', createdBy: { userId: 'x', name: 'carol' }, maxUses: null, uses: 3, usesLeft: null, expiresAt: NOW, status: 'expired', invite: null })
    const r = await execute(fake, 'invites')
    expect(fake.callsOf('invites')).toEqual([[]])
    expect(r).toMatchObject({
      ok: true,
      text: `  inv1iiii  active   1/5 used, by alice\n/join ${INVITE_TOKEN}\n  inv9zzzz  expired  3/∞ used, by carol, expires ${dateTime(NOW)}`
    })
  })

  it('says how to make one when there is none; `invite list` is the same command', async () => {
    expect(invites.format({ invites: [] })).toBe('no invites yet: `/invite create`')
    expect(await execute(new FakeClient(), 'invite list')).toMatchObject({ ok: true, cmd: 'invites' })
  })

  it('rejects an extra argument; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'invites all')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("all"); usage: invites' } })
    fake.fail('invites', new NoCurrentSpaceError())
    expect(await execute(fake, 'invites')).toMatchObject({ ok: false, cmd: 'invites', error: { code: 'NO_CURRENT_SPACE' } })
  })
})
