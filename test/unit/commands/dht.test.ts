import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('dht', () => {
  it('prints the routing table by bucket and the query figures', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'dht')
    expect(fake.callsOf('dht')).toEqual([[]])
    expect(r).toMatchObject({
      ok: true,
      text: 'routing table: 2 peer(s)\n  bucket (root) (depth 0): 2 peer(s)\n    12D3KooWBobPeer\n    12D3KooWRelayPeer\nqueries: 4 run, 3 ok, 1 not found, 0 failed, 0 timed out'
    })
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'dht buckets')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("buckets"); usage: dht' } })
  })
})
