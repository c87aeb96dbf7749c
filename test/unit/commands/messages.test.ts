import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import messages from '../../../src/commands/messages.js'
import { NoCurrentSpaceError } from '../../../src/errors.js'
import { clock } from '../../../src/format/message.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('messages', () => {
  it('asks for the last 50 by default, or n; one line per message with its short id', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'messages')
    await execute(fake, 'messages 2')
    expect(fake.calls).toEqual([{ method: 'messages', args: [{ limit: 50 }] }, { method: 'messages', args: [{ limit: 2 }] }])
    const [m1, m2, m3] = fake.items
    expect(r).toMatchObject({
      ok: true,
      text: [
        `[${clock(m1.ts)}] Bob O: hi alice  (ab12cd34)`,
        `[${clock(m2.ts)}] alice: hello Bob  (ab13ef56)`,
        `[${clock(m3.ts)}] carol: re ab12cd34: welcome!  (cd34ab12)`
      ].join('\n')
    })
    expect(messages.format({ messages: [] })).toBe('(no messages yet)')
  })

  it('rejects n outside 1..10000 and an extra argument', async () => {
    const fake = new FakeClient()
    for (const n of ['0', '10001', '-3', 'ten', '2.5']) {
      expect(await execute(fake, `messages ${n}`), n).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'usage: messages [n], n from 1 to 10000' } })
    }
    expect(await execute(fake, 'messages 5 6')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("6"); usage: messages [n]' } })
    expect(fake.calls).toEqual([])
  })

  it('passes client errors on', async () => {
    const fake = new FakeClient().fail('messages', new NoCurrentSpaceError())
    expect(await execute(fake, 'messages')).toMatchObject({ ok: false, cmd: 'messages', error: { code: 'NO_CURRENT_SPACE' } })
  })
})
