import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

const USAGE = 'channel delete <channel>'

describe('channel delete', () => {
  it('deletes the channel named', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'channel delete random')
    expect(fake.calls).toEqual([{ method: 'deleteChannel', args: ['random'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'channel delete', text: 'deleted #random' })
  })

  it('rejects a missing or an extra channel', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'channel delete')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `channel is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'channel delete off topic')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `too many arguments ("topic"); usage: ${USAGE}` } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('deleteChannel', new PermissionError('FORBIDDEN', 'not_allowed', '#general cannot be deleted'))
    expect(await execute(fake, 'channel delete general')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: '#general cannot be deleted' } })
  })
})
