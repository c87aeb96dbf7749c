import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NotFoundError } from '../../../src/errors.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('channel', () => {
  it('switches by #name, or by a quoted name that is also a subcommand', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, '/channel #random', 'ui')
    await execute(fake, 'channel "list"')
    expect(fake.callsOf('switchChannel')).toEqual([['#random'], ['list']])
    expect(r).toMatchObject({ ok: true, cmd: 'channel', data: { channelId: IDS.random, name: 'random' }, text: 'now in #random' })
  })

  it('rejects a missing channel; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'channel')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'channel is missing; usage: channel <name or id>' } })
    fake.fail('switchChannel', new NotFoundError('no channel "x"'))
    expect(await execute(fake, 'channel x')).toMatchObject({ ok: false, cmd: 'channel', error: { code: 'NOT_FOUND', message: 'no channel "x"' } })
  })
})
