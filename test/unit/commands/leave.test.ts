import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import leave from '../../../src/commands/leave.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('leave', () => {
  it('leaves the current space; the UI always asks first', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'leave')
    expect(fake.calls).toEqual([{ method: 'leave', args: [] }])
    expect(r).toMatchObject({ ok: true, data: { spaceId: IDS.testSpace }, text: 'you left the space (an invite lets you back in)' })
    expect(leave.confirm).toBe('always')
  })

  it('rejects an extra argument without leaving', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'leave now')).toMatchObject({ ok: false, cmd: 'leave', error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("now"); usage: leave' } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('leave', new NoCurrentSpaceError())
    expect(await execute(fake, 'leave')).toMatchObject({ ok: false, error: { code: 'NO_CURRENT_SPACE' } })
  })
})
