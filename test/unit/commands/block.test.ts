import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('block', () => {
  it('takes every word of the user name', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'block Bob O')
    expect(fake.calls).toEqual([{ method: 'block', args: ['Bob O'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'block', data: { userId: IDS.bob, name: 'Bob O' }, text: 'blocked Bob O: no more direct messages from them' })
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'block')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: block <user>' } })
    fake.fail('block', new NotFoundError('no member "zed"'))
    expect(await execute(fake, 'block zed')).toMatchObject({ ok: false, cmd: 'block', error: { code: 'NOT_FOUND', message: 'no member "zed"' } })
  })
})
