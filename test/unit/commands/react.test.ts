import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

const USAGE = 'react <message id> <emoji>'

describe('react', () => {
  it('reacts, and the same again takes it back', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'react ab12 👍')).toMatchObject({ ok: true, text: 'reacted 👍 on ab12cd34' })
    expect(await execute(fake, 'react ab12 👍')).toMatchObject({ ok: true, text: 'took back 👍 on ab12cd34' })
    expect(fake.callsOf('react')).toEqual([['ab12', '👍'], ['ab12', '👍']])
  })

  it('rejects a missing emoji and an extra word', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'react ab12')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `emoji is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'react ab12 👍 extra')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `too many arguments ("extra"); usage: ${USAGE}` } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('react', new NotFoundError('no message "zz"'))
    expect(await execute(fake, 'react zz 👍')).toMatchObject({ ok: false, cmd: 'react', error: { code: 'NOT_FOUND' } })
  })
})
