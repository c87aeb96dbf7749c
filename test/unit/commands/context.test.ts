import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('context', () => {
  it('names the current space and channel', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'context')
    expect(fake.calls).toEqual([{ method: 'context', args: [] }])
    expect(r).toMatchObject({ ok: true, data: { spaceId: IDS.testSpace, channelId: IDS.general }, text: `space "Test Space" (${IDS.testSpace}), channel #general` })
  })

  it('says when there is no current space', async () => {
    const fake = new FakeClient()
    fake.current = { spaceId: null, channelId: null }
    expect(await execute(fake, 'context')).toMatchObject({ ok: true, text: 'no current space' })
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'context x')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("x"); usage: context' } })
  })
})
