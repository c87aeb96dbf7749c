import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import quit from '../../../src/commands/quit.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('quit', () => {
  it('says bye and asks nothing of the client (the caller stops it); `exit` is the same', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, '/quit', 'ui')).toEqual({ type: 'result', cmd: 'quit', ok: true, data: {}, text: 'bye' })
    expect(await execute(fake, 'exit')).toMatchObject({ ok: true, cmd: 'quit' })
    expect(fake.calls).toEqual([])
    expect(quit.confirm).toBe('unsent')
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'quit now')).toMatchObject({ ok: false, cmd: 'quit', error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("now"); usage: quit' } })
  })
})
