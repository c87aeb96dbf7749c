/**
 * SyncService.syncWith and the caller's signal. A call made while a session with the same peer and
 * space runs waits for one shared follow-up session after it. Before the fix that wait ignored the
 * caller's signal (a quit's last push could hang up to the 120 s session timeout), and the shared
 * follow-up ran under the first waiting caller's signal (its abort failed every other caller).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import type { SpacewayNode } from '../../src/net/node.js'
import { SyncService } from '../../src/net/sync-service.js'
import type { Replica } from '../../src/replica.js'

/** A node whose sync dials never connect: each waits until its signal aborts. Records the signals. */
function hangingNode (): { node: SpacewayNode, dials: AbortSignal[] } {
  const dials: AbortSignal[] = []
  const node = {
    dialProtocol: async (_peer: unknown, _protocol: string, o: { signal: AbortSignal }) => {
      dials.push(o.signal)
      return await new Promise((_resolve, reject) => {
        o.signal.addEventListener('abort', () => { reject(o.signal.reason) }, { once: true })
      })
    },
    unhandle: async () => {}
  }
  return { node: node as unknown as SpacewayNode, dials }
}

const services: SyncService[] = []
afterEach(async () => { await Promise.all(services.splice(0).map(async s => { await s.stop() })) })

/** Resolves once `dials` holds `n` entries (the service dials after a few microtasks). */
async function dialed (dials: AbortSignal[], n: number): Promise<void> {
  for (let i = 0; i < 100 && dials.length < n; i++) await new Promise(resolve => setImmediate(resolve))
  expect(dials).toHaveLength(n)
}

/** A service over a hanging node, with a first session to `peer` on space-1 under way (its dial made). */
async function setup (): Promise<{ sync: SyncService, dials: AbortSignal[], peer: string, first: AbortController, running: Promise<unknown> }> {
  const { node, dials } = hangingNode()
  const sync = new SyncService(node, {} as unknown as Replica)
  services.push(sync)
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const first = new AbortController()
  const running = sync.syncWith(peer, 'space-1', { signal: first.signal })
  running.catch(() => {})
  await dialed(dials, 1)
  return { sync, dials, peer, first, running }
}

describe('SyncService.syncWith: the caller\'s signal', () => {
  it('a call that waits for a session already under way gives up when its own signal aborts', async () => {
    const { sync, dials, peer, first, running } = await setup()
    const waiting = new AbortController()
    const second = sync.syncWith(peer, 'space-1', { signal: waiting.signal })
    let settled = false
    second.then(() => { settled = true }, () => { settled = true })
    waiting.abort(new Error('caller gave up'))
    await expect(second).rejects.toThrow('caller gave up')
    expect(settled).toBe(true)
    expect(dials[0].aborted).toBe(false) // the first session runs on
    first.abort(new Error('first done'))
    await expect(running).rejects.toThrow('first done')
  })

  it('the shared follow-up is not cut short by one waiting caller\'s signal: another caller still gets it', async () => {
    const { sync, dials, peer, first, running } = await setup()
    const impatient = new AbortController()
    const a = sync.syncWith(peer, 'space-1', { signal: impatient.signal })
    a.catch(() => {})
    const b = sync.syncWith(peer, 'space-1')
    b.catch(() => {})
    impatient.abort(new Error('a gave up'))
    await expect(a).rejects.toThrow('a gave up')
    first.abort(new Error('first done'))
    await expect(running).rejects.toThrow('first done')
    // one follow-up session after the first, shared by a and b; a's abort is not its abort
    await dialed(dials, 2)
    expect(dials[1].aborted).toBe(false)
  })
})
