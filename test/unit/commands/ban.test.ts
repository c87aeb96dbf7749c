import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import ban from '../../../src/commands/ban.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('ban', () => {
  it('removeUser("ban", every word of the name); the UI always asks first', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'ban Bob O')
    await execute(fake, 'ban "Bob O"')
    expect(fake.calls).toEqual([{ method: 'removeUser', args: ['ban', 'Bob O'] }, { method: 'removeUser', args: ['ban', 'Bob O'] }])
    expect(ban.confirm).toBe('always')
    expect(r).toMatchObject({ ok: true, cmd: 'ban', data: { userId: IDS.bob, name: 'Bob O' }, text: 'banned Bob O' })
  })

  it('says when the space was re-keyed', () => {
    expect(ban.format({ userId: IDS.carol, name: 'carol', rekeyed: true })).toBe('banned carol (the space was re-keyed: they cannot read what is said from now on)')
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'ban')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: ban <user>' } })
    fake.fail('removeUser', new PermissionError('FORBIDDEN', 'not_allowed', 'you cannot ban the owner'))
    expect(await execute(fake, 'ban carol')).toMatchObject({ ok: false, cmd: 'ban', error: { code: 'FORBIDDEN', message: 'you cannot ban the owner' } })
  })
})
