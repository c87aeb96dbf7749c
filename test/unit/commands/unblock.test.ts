import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('unblock', () => {
  it('takes every word of the user name', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'unblock Bob O')
    expect(fake.calls).toEqual([{ method: 'unblock', args: ['Bob O'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'unblock', data: { userId: IDS.bob, name: 'Bob O' }, text: 'unblocked Bob O' })
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'unblock')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: unblock <user>' } })
    fake.fail('unblock', new NotFoundError('no member "zed"'))
    expect(await execute(fake, 'unblock zed')).toMatchObject({ ok: false, cmd: 'unblock', error: { code: 'NOT_FOUND', message: 'no member "zed"' } })
  })
})
