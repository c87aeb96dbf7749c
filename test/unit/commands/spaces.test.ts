import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import spaces from '../../../src/commands/spaces.js'
import { FakeClient, IDS, fakeId } from '../../helpers/fake-client.js'

describe('spaces', () => {
  it('lists spaces with role, public and unread counts; direct messages apart', async () => {
    const fake = new FakeClient()
    const dmId = fakeId('dm', 'd')
    fake.spaceList.push({ summary: { spaceId: dmId, name: 'carol', role: 'member', public: false, dm: true, unread: 2, mentions: 2 }, channels: [], members: [] })
    const r = await execute(fake, 'spaces')
    expect(fake.callsOf('spaces')).toEqual([[]])
    expect(r).toMatchObject({
      ok: true,
      text: [
        `  Test Space  ${IDS.testSpace}  (owner, public, 3 unread, 1 mention)`,
        `  Book club  ${IDS.bookClub}  (member)`,
        'Direct messages:',
        `  carol  ${dmId}  (member, 2 unread, 2 mentions)`
      ].join('\n')
    })
  })

  it('says how to start when there is none; `space list` is the same command', async () => {
    expect(spaces.format({ spaces: [] })).toMatch(/^no spaces yet: `\/space create <name>`/)
    expect(await execute(new FakeClient(), 'space list')).toMatchObject({ ok: true, cmd: 'spaces' })
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'spaces all')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("all"); usage: spaces' } })
  })
})
