import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('edit', () => {
  it('one word for the id, the rest verbatim for the text', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'edit ab13 now it\'s "right"\tok')
    expect(fake.calls).toEqual([{ method: 'edit', args: ['ab13', 'now it\'s "right"\tok'] }])
    expect(r).toMatchObject({ ok: true, text: 'edited ab13ef56' })
  })

  it('rejects a missing text or id', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'edit ab13')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'text is missing; usage: edit <message id> <text>' } })
    expect(await execute(fake, 'edit')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'message is missing; usage: edit <message id> <text>' } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('edit', new NotFoundError('no message "zz"'))
    expect(await execute(fake, 'edit zz x')).toEqual({ type: 'result', cmd: 'edit', ok: false, error: { code: 'NOT_FOUND', message: 'no message "zz"' } })
  })
})
