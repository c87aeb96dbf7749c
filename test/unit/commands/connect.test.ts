import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { DialFailedError } from '../../../src/errors.js'
import { FakeClient } from '../../helpers/fake-client.js'

const ADDR = '/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWBob'

describe('connect', () => {
  it('dials the multiaddr as given', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, `connect ${ADDR}`)
    expect(fake.calls).toEqual([{ method: 'connect', args: [ADDR] }])
    expect(r).toMatchObject({ ok: true, data: { peerId: '12D3KooWBob' }, text: 'connected to 12D3KooWBob' })
  })

  it('rejects a missing or an extra address', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'connect')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'multiaddr is missing; usage: connect <multiaddr>' } })
    expect(await execute(fake, `connect ${ADDR} ${ADDR}`)).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: expect.stringMatching(/^too many arguments .*; usage: connect <multiaddr>$/) } })
    expect(fake.calls).toEqual([])
  })

  it('a failed dial comes back as DIAL_FAILED', async () => {
    const fake = new FakeClient().fail('connect', new DialFailedError('connection refused'))
    expect(await execute(fake, `connect ${ADDR}`)).toEqual({ type: 'result', cmd: 'connect', ok: false, error: { code: 'DIAL_FAILED', message: 'connection refused' } })
  })
})
