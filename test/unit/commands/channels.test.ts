import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('channels', () => {
  it('lists channels with short ids and unread counts', async () => {
    const fake = new FakeClient()
    fake.spaceList[0].channels.push({ channelId: 'chn3abcdefgh', name: 'news', unread: 5, mentions: 2, lastRead: null })
    const r = await execute(fake, 'channels')
    expect(fake.calls).toEqual([{ method: 'channels', args: [] }])
    expect(r).toMatchObject({ ok: true, text: '  #general  genggggg  3 unread, 1 mention\n  #random  rndrrrrr\n  #news  chn3abcd  5 unread, 2 mentions' })
  })

  it('`channel list` is the same command (not a switch to #list)', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, '/channel list', 'ui')).toMatchObject({ ok: true, cmd: 'channels' })
    expect(fake.callsOf('switchChannel')).toEqual([])
  })

  it('rejects an extra argument; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'channels all')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("all"); usage: channels' } })
    fake.fail('channels', new NoCurrentSpaceError())
    expect(await execute(fake, 'channels')).toMatchObject({ ok: false, cmd: 'channels', error: { code: 'NO_CURRENT_SPACE' } })
  })
})
