import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { AmbiguousError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('space', () => {
  it('switches by a quoted name, or by the words as typed', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'space "Test Space"')).toMatchObject({ ok: true, data: { spaceId: IDS.testSpace, name: 'Test Space' }, text: 'now in space "Test Space"' })
    expect(await execute(fake, '/space Book club', 'ui')).toMatchObject({ ok: true, cmd: 'space', text: 'now in space "Book club"' })
    expect(fake.calls).toEqual([{ method: 'switchSpace', args: ['Test Space'] }, { method: 'switchSpace', args: ['Book club'] }])
  })

  it('rejects a missing name', async () => {
    expect(await execute(new FakeClient(), 'space')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'space is missing; usage: space <name or id>' } })
  })

  it('passes the client error on', async () => {
    const fake = new FakeClient().fail('switchSpace', new AmbiguousError('"b" matches 2 spaces'))
    expect(await execute(fake, 'space b')).toEqual({ type: 'result', cmd: 'space', ok: false, error: { code: 'AMBIGUOUS', message: '"b" matches 2 spaces' } })
  })
})
