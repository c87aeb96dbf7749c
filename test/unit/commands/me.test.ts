import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('me', () => {
  it('sends the action verbatim after `/me `, printing nothing', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, '/me waves at "you" \t:)', 'ui')
    expect(fake.calls).toEqual([{ method: 'send', args: ['/me waves at "you" \t:)'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'me', text: '' })
  })

  it('rejects a missing action', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'me')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'text is missing; usage: me <action>' } })
    expect(fake.calls).toEqual([])
  })
})
