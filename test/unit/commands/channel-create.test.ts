import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('channel create', () => {
  it('takes every word of the name', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, '/channel create off topic', 'ui')
    expect(fake.calls).toEqual([{ method: 'createChannel', args: ['off topic'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'channel create', data: { name: 'off topic' }, text: 'created #off topic' })
  })

  it('rejects a missing name; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'channel create')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'name is missing; usage: channel create <name>' } })
    fake.fail('createChannel', new PermissionError('FORBIDDEN', 'not_allowed', 'only admins make channels'))
    expect(await execute(fake, 'channel create x')).toMatchObject({ ok: false, cmd: 'channel create', error: { code: 'FORBIDDEN' } })
  })
})
