import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import role from '../../../src/commands/role.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

const USAGE = 'role <user> <admin|moderator|member>'

describe('role', () => {
  it('takes a quoted user name with a space, then the role', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'role "Bob O" admin')
    expect(fake.calls).toEqual([{ method: 'setRole', args: ['Bob O', 'admin'] }])
    expect(r).toMatchObject({ ok: true, text: 'Bob O is now admin' })
    expect(role.format({ userId: 'u', name: 'carol' })).toBe('carol is now member')
  })

  it('rejects a missing role and an extra word (an unquoted name with a space)', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'role bob')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `role is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'role Bob O admin')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `too many arguments ("admin"); usage: ${USAGE}` } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('setRole', new PermissionError('FORBIDDEN', 'not_allowed', 'only a higher role can do that'))
    expect(await execute(fake, 'role carol admin')).toMatchObject({ ok: false, cmd: 'role', error: { code: 'FORBIDDEN', message: 'only a higher role can do that' } })
  })
})
