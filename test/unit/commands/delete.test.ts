import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

const USAGE = 'delete <message id>'

describe('delete', () => {
  it('deletes by id prefix', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'delete ab12')
    expect(fake.calls).toEqual([{ method: 'deleteMessage', args: ['ab12'] }])
    expect(r).toMatchObject({ ok: true, data: { messageId: IDS.m1 }, text: 'deleted message ab12cd34' })
  })

  it('rejects a missing id, and a second one without deleting either', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'delete')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `message is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'delete ab12 ab13')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `too many arguments ("ab13"); usage: ${USAGE}` } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('deleteMessage', new PermissionError('FORBIDDEN', 'not_allowed', 'not your message'))
    expect(await execute(fake, 'delete cd34')).toMatchObject({ ok: false, cmd: 'delete', error: { code: 'FORBIDDEN', message: 'not your message' } })
  })
})
