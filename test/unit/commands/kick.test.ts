import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import kick from '../../../src/commands/kick.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('kick', () => {
  it('removeUser("kick", every word of the name)', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'kick Bob O')
    await execute(fake, 'kick "Bob O"')
    expect(fake.calls).toEqual([{ method: 'removeUser', args: ['kick', 'Bob O'] }, { method: 'removeUser', args: ['kick', 'Bob O'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'kick', data: { userId: IDS.bob, name: 'Bob O' }, text: 'kicked Bob O' })
  })

  it('says when the space was re-keyed', () => {
    expect(kick.format({ userId: IDS.carol, name: 'carol', rekeyed: true })).toBe('kicked carol (the space was re-keyed: they cannot read what is said from now on)')
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'kick')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: kick <user>' } })
    fake.fail('removeUser', new PermissionError('FORBIDDEN', 'not_allowed', 'you cannot kick the owner'))
    expect(await execute(fake, 'kick carol')).toMatchObject({ ok: false, cmd: 'kick', error: { code: 'FORBIDDEN', message: 'you cannot kick the owner' } })
  })
})
