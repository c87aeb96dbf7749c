import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import peers from '../../../src/commands/peers.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('peers', () => {
  it('names each peer: the member it is, relay, or not a member', async () => {
    const fake = new FakeClient()
    fake.peerList.push({ peerId: '12D3KooWStranger', addrs: [], direction: 'inbound', relay: false, user: null })
    const r = await execute(fake, 'peers')
    expect(fake.callsOf('peers')).toEqual([[]])
    expect(r).toMatchObject({ ok: true, data: { peers: fake.peerList } })
    if (r?.ok !== true) return
    expect(r.text.split('\n')).toEqual([
      `  ${'Bob O'.padEnd(24)} 12D3KooWBobPeer  /ip4/10.0.0.2/tcp/9001`,
      `  ${'relay'.padEnd(24)} 12D3KooWRelayPeer  /dns4/relay.example/tcp/4001`,
      `  ${'(not a member of your spaces)'} 12D3KooWStranger  `
    ])
  })

  it('says so when none is connected', () => {
    expect(peers.format({ peers: [] })).toBe('no peers connected')
  })

  it('rejects an extra argument', async () => {
    expect(await execute(new FakeClient(), 'peers all')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'too many arguments ("all"); usage: peers' } })
  })
})
