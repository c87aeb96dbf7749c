import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

const USAGE = 'invite revoke <invite id>'

describe('invite revoke', () => {
  it('revokes by id prefix', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'invite revoke inv1')
    expect(fake.calls).toEqual([{ method: 'revokeInvite', args: ['inv1'] }])
    expect(r).toMatchObject({ ok: true, cmd: 'invite revoke', data: { inviteId: IDS.invite }, text: 'revoked invite inv1iiii' })
  })

  it('rejects a missing or an extra id', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'invite revoke')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `invite is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'invite revoke inv1 inv2')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `too many arguments ("inv2"); usage: ${USAGE}` } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('revokeInvite', new NotFoundError('no invite "zz"'))
    expect(await execute(fake, 'invite revoke zz')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: 'no invite "zz"' } })
  })
})
