import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('msg', () => {
  it('one word (or a quoted name) for the user, the rest verbatim', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'msg bob hi there')
    await execute(fake, 'msg "Bob O" it\'s "ok"  really')
    expect(fake.callsOf('msg')).toEqual([['bob', 'hi there'], ['Bob O', 'it\'s "ok"  really']])
    expect(r).toMatchObject({ ok: true, text: 'sent to Bob O (direct message)' })
  })

  it('rejects a missing text', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'msg bob')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'text is missing; usage: msg <user> <text>' } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('msg', new NotFoundError('no member "zed"'))
    expect(await execute(fake, 'msg zed hi')).toMatchObject({ ok: false, cmd: 'msg', error: { code: 'NOT_FOUND' } })
  })
})
