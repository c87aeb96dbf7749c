import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { PermissionError } from '../../../src/errors.js'
import { FakeClient, IDS, fakeId } from '../../helpers/fake-client.js'

describe('join', () => {
  it('passes the rest of the line on verbatim (a wrapped token may hold spaces or line breaks)', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'join sw1abc def')
    await execute(fake, 'join sw1abc\ndef\n')
    expect(fake.callsOf('join')).toEqual([['sw1abc def'], ['sw1abc\ndef']])
    expect(r).toMatchObject({ ok: true, cmd: 'join', text: `now in space "Joined Space" (${fakeId('joined', 'j')})` })
  })

  it('joins a public space by id', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, `join ${IDS.testSpace}`)).toMatchObject({ ok: true, text: `now in space "Test Space" (${IDS.testSpace})` })
  })

  it('rejects a missing token; passes invite errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'join   ')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'invite is missing; usage: join <invite or space id>' } })
    fake.fail('join', new PermissionError('INVITE_EXPIRED', 'invite_expired', 'this invite expired'))
    expect(await execute(fake, 'join sw1abc')).toMatchObject({ ok: false, cmd: 'join', error: { code: 'INVITE_EXPIRED', message: 'this invite expired' } })
  })
})
