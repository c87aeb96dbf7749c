import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

describe('whoami', () => {
  it('shows name, user id and PeerId from identity()', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'whoami')
    expect(fake.calls).toEqual([{ method: 'identity', args: [] }])
    expect(r).toMatchObject({ ok: true, data: fake.me, text: `name:    alice\nuser id: ${IDS.alice}\nPeerId:  ${fake.me.peerId}` })
  })

  it('rejects an extra argument with the usage', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'whoami x')).toEqual({ type: 'result', cmd: 'whoami', ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("x"); usage: whoami' } })
    expect(fake.calls).toEqual([])
  })

  it('an error that is not a SpacewayError comes back as INTERNAL', async () => {
    const fake = new FakeClient().fail('identity', new Error('boom'))
    expect(await execute(fake, 'whoami')).toEqual({ type: 'result', cmd: 'whoami', ok: false, error: { code: 'INTERNAL', message: 'boom' } })
  })
})
