import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { BadArgumentError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('nick', () => {
  it('takes the rest of the line as the name, apostrophe and all', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'nick Bob O\'Brien')
    expect(fake.calls).toEqual([{ method: 'nick', args: ['Bob O\'Brien'] }])
    expect(r).toMatchObject({ ok: true, data: { name: 'Bob O\'Brien' }, text: 'you are now Bob O\'Brien' })
  })

  it('rejects a missing name; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'nick ')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'name is missing; usage: nick <name>' } })
    fake.fail('nick', new BadArgumentError('a name is at most 32 characters'))
    expect(await execute(fake, 'nick x')).toMatchObject({ ok: false, cmd: 'nick', error: { code: 'BAD_ARGUMENT', message: 'a name is at most 32 characters' } })
  })
})
