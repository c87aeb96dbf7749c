import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('network', () => {
  it('returns the client report as data and prints it', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'network')
    expect(fake.callsOf('network')).toEqual([[]])
    expect(r).toMatchObject({ ok: true, data: new FakeClient().network() })
    if (r?.ok !== true) return
    const lines = r.text.split('\n')
    expect(lines[0]).toBe(`PeerId: ${fake.me.peerId}`)
    expect(lines).toContain('connections (1):')
    expect(lines).toContain('  -> /ip4/10.0.0.2/tcp/9001 (tcp, 12 ms)')
    expect(lines).toContain('DHT: client mode, routing table 3 peer(s), peer pool 5, query bound 10000 ms')
    expect(lines).toContain('  last bootstrap: none yet; next check -')
    expect(lines).toContain('memory: RSS 150 MiB, heap 60 MiB of 80 MiB, external 12 MiB (buffers 4 MiB)')
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'network now')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("now"); usage: network' } })
  })
})
