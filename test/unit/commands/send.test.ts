import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { BadArgumentError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('send', () => {
  it('posts the rest of the line verbatim: quotes, tabs, backslashes, inner spaces, things that look like flags', async () => {
    const fake = new FakeClient()
    const texts = ['it\'s a "quoted" word', 'a\tb \\n  c  ', '--public is not a flag here', '"unclosed']
    for (const t of texts) await execute(fake, `send ${t}`)
    expect(fake.callsOf('send')).toEqual(texts.map(t => [t]))
  })

  it('returns the message sent and prints nothing', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'send hello')
    expect(r).toMatchObject({ ok: true, cmd: 'send', data: { text: 'hello', delivery: { state: 'sent', peers: 1 } }, text: '' })
    expect((r as { data: { id: string } }).data.id).toHaveLength(52)
  })

  it('rejects an empty message; passes client errors on', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'send   ')).toMatchObject({ ok: false, cmd: 'send', error: { code: 'BAD_ARGUMENT', message: 'text is missing; usage: send <text>' } })
    expect(fake.calls).toEqual([])
    fake.fail('send', new BadArgumentError('a message is at most 4000 characters'))
    expect(await execute(fake, 'send x')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'a message is at most 4000 characters' } })
  })
})
