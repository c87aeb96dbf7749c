/**
 * Integration: libp2p's inbound connection limits apply to loopback unless `trustLoopback` is set
 * (local test clusters). Real nodes on 127.0.0.1, port 0.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type SpacewayNode } from '../../src/net/node.js'

/** libp2p's default: inbound connections accepted per second from one IP. */
const INBOUND_PER_SECOND = 5
const DIALERS = 9

const nodes: SpacewayNode[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

async function node (options: { trustLoopback?: boolean, listen?: string[] } = {}): Promise<SpacewayNode> {
  const n = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', mdns: false, ...options })
  nodes.push(n)
  await n.start()
  return n
}

/** `DIALERS` distinct peers (no listeners) dial `target` at once; how many connections were accepted. */
async function burst (target: SpacewayNode): Promise<{ accepted: number, refused: number }> {
  const dialers = await Promise.all(Array.from({ length: DIALERS }, async () => await node({ listen: [] })))
  const addr = target.getMultiaddrs()[0]
  const results = await Promise.allSettled(dialers.map(async d => await d.dial(addr, { signal: AbortSignal.timeout(10_000) })))
  const accepted = results.filter(r => r.status === 'fulfilled').length
  return { accepted, refused: results.length - accepted }
}

describe('loopback and libp2p connection limits', () => {
  it(`by default, more than ${INBOUND_PER_SECOND} inbound connections a second from 127.0.0.1 are refused`, async () => {
    const target = await node()
    const { accepted, refused } = await burst(target)
    expect(accepted).toBeLessThanOrEqual(INBOUND_PER_SECOND)
    expect(refused).toBeGreaterThanOrEqual(DIALERS - INBOUND_PER_SECOND)
  })

  it('with trustLoopback, they are all accepted', async () => {
    const target = await node({ trustLoopback: true })
    const { accepted } = await burst(target)
    expect(accepted).toBe(DIALERS)
  })
})
