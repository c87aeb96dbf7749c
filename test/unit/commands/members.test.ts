import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('members', () => {
  it('lists role, name, user id and who is online', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'members')
    expect(fake.calls).toEqual([{ method: 'members', args: [] }])
    expect(r).toMatchObject({
      ok: true,
      text: [
        `  owner      alice  ${IDS.alice}  (online)`,
        `  moderator  carol  ${IDS.carol}`,
        `  member     Bob O  ${IDS.bob}  (online)`
      ].join('\n')
    })
  })

  it('rejects an extra argument; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'members online')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("online"); usage: members' } })
    fake.fail('members', new NoCurrentSpaceError())
    expect(await execute(fake, 'members')).toMatchObject({ ok: false, cmd: 'members', error: { code: 'NO_CURRENT_SPACE' } })
  })
})
