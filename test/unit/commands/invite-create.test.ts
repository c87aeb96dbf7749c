import { dateTime } from '../../../src/format/message.js'
import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import inviteCreate, { DEFAULT_INVITE_TTL_MS, parseDuration } from '../../../src/commands/invite-create.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { FakeClient, INVITE_TOKEN, NOW } from '../../helpers/fake-client.js'

const USAGE = 'invite create [--max-uses N] [--expires 24h|7d|never]'
const WHOLE = '--max-uses must be a whole number, 1 or more'

describe('invite create', () => {
  it('turns the flags into maxUses and ttlMs', async () => {
    const fake = new FakeClient()
    await execute(fake, 'invite create --max-uses 5 --expires 24h')
    await execute(fake, 'invite create')
    await execute(fake, '/invite create --expires never', 'ui')
    await execute(fake, 'invite create --expires 30m --max-uses 1000000')
    expect(fake.callsOf('createInvite')).toEqual([
      [{ maxUses: 5, ttlMs: 86_400_000 }],
      [{ maxUses: 0, ttlMs: DEFAULT_INVITE_TTL_MS }],
      [{ maxUses: 0, ttlMs: 0 }],
      [{ maxUses: 1_000_000, ttlMs: 1_800_000 }]
    ])
    expect(DEFAULT_INVITE_TTL_MS).toBe(7 * 86_400_000)
  })

  it('prints the token whole on its own line after /join', () => {
    const text = inviteCreate.format({ invite: INVITE_TOKEN, inviteId: 'inv2abcdefgh', maxUses: 5, expiresAt: NOW })
    expect(text.split('\n')).toEqual([
      `invite inv2abcd (5 use(s), expires ${dateTime(NOW)}); others join with:`,
      `/join ${INVITE_TOKEN}`
    ])
    expect(inviteCreate.format({ invite: 'sw1t', inviteId: 'inv3', maxUses: null, expiresAt: null })).toBe('invite inv3 (unlimited uses, never expires); others join with:\n/join sw1t')
  })

  it('rejects bad values and extra words without calling the client', async () => {
    const fake = new FakeClient()
    for (const [line, message] of [
      ['invite create --max-uses 0', WHOLE],
      ['invite create --max-uses 1.5', WHOLE],
      ['invite create --max-uses lots', WHOLE],
      ['invite create --expires 3w', '"3w" is not a duration; use e.g. 30m, 24h, 7d or never'],
      ['invite create --expires 0h', 'the duration must be positive'],
      ['invite create --expires', `--expires needs a value; usage: ${USAGE}`],
      ['invite create soon', `too many arguments ("soon"); usage: ${USAGE}`],
      ['invite create --uses 3', `unknown option "--uses"; usage: ${USAGE}`]
    ]) {
      expect(await execute(fake, line), line).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message } })
    }
    expect(fake.calls).toEqual([])
  })

  it('parses durations; passes client errors on', async () => {
    expect([parseDuration('45s'), parseDuration('2d'), parseDuration('never')]).toEqual([45_000, 172_800_000, 0])
    const fake = new FakeClient().fail('createInvite', new NoCurrentSpaceError())
    expect(await execute(fake, 'invite create')).toMatchObject({ ok: false, error: { code: 'NO_CURRENT_SPACE' } })
  })
})
