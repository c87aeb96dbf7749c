import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('reply', () => {
  it('one word for the id, the rest verbatim (quotes, tab, inner line breaks)', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, '/reply ab12 don\'t worry, it\'s "fine"\twith a tab', 'ui')
    await execute(fake, 'reply ab12 line one\nline two\n')
    expect(fake.calls).toEqual([
      { method: 'reply', args: ['ab12', 'don\'t worry, it\'s "fine"\twith a tab'] },
      { method: 'reply', args: ['ab12', 'line one\nline two'] }
    ])
    expect(r).toMatchObject({ ok: true, cmd: 'reply', data: { replyTo: IDS.m1, text: 'don\'t worry, it\'s "fine"\twith a tab' }, text: '' })
  })

  it('rejects a missing text', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'reply ab12  ')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'text is missing; usage: reply <message id> <text>' } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('reply', new NotFoundError('no message "zz"'))
    expect(await execute(fake, 'reply zz hi')).toMatchObject({ ok: false, cmd: 'reply', error: { code: 'NOT_FOUND', message: 'no message "zz"' } })
  })
})
