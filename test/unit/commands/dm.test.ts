import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('dm', () => {
  it('takes every word of the user name', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'dm Bob O')
    expect(fake.calls).toEqual([{ method: 'dm', args: ['Bob O'] }])
    expect(r).toMatchObject({ ok: true, data: { userId: IDS.bob }, text: 'direct messages with Bob O (end-to-end encrypted)' })
  })

  it('rejects a missing user; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'dm')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'user is missing; usage: dm <user>' } })
    fake.fail('dm', new NotFoundError('no member "zed"'))
    expect(await execute(fake, 'dm zed')).toMatchObject({ ok: false, cmd: 'dm', error: { code: 'NOT_FOUND', message: 'no member "zed"' } })
  })
})
