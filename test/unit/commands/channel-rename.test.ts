import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

const USAGE = 'channel rename <channel> <new name>'

describe('channel rename', () => {
  it('one word (or a quoted name) for the channel, the rest for the new name', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'channel rename random Off topic')
    await execute(fake, 'channel rename "Off topic" chat')
    expect(fake.callsOf('renameChannel')).toEqual([['random', 'Off topic'], ['Off topic', 'chat']])
    expect(r).toMatchObject({ ok: true, data: { channelId: IDS.random, name: 'Off topic' }, text: 'renamed to #Off topic' })
  })

  it('rejects a missing name; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'channel rename random')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `name is missing; usage: ${USAGE}` } })
    expect(await execute(fake, 'channel rename')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: `channel is missing; usage: ${USAGE}` } })
    fake.fail('renameChannel', new NotFoundError('no channel "x"'))
    expect(await execute(fake, 'channel rename x y')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: 'no channel "x"' } })
  })
})
