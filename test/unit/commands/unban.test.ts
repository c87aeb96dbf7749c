import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import unban from '../../../src/commands/unban.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('unban', () => {
  it('removeUser("unban", every word of the name)', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'unban Bob O')
    await execute(fake, 'unban "Bob O"')
    expect(fake.calls).toEqual([{ method: 'removeUser', args: ['unban', 'Bob O'] }, { method: 'removeUser', args: ['unban', 'Bob O'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'unban', data: { userId: IDS.bob, name: 'Bob O' }, text: 'unbanned Bob O' })
  })

  it('says when the space was re-keyed', () => {
    expect(unban.format({ userId: IDS.carol, name: 'carol', rekeyed: true })).toBe('unbanned carol (the space was re-keyed: they cannot read what is said from now on)')
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'unban')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: unban <user>' } })
    fake.fail('removeUser', new PermissionError('FORBIDDEN', 'not_allowed', 'you cannot unban the owner'))
    expect(await execute(fake, 'unban carol')).toMatchObject({ ok: false, cmd: 'unban', error: { code: 'FORBIDDEN', message: 'you cannot unban the owner' } })
  })
})
