/**
 * Sync backpressure (net/sync-stream.ts streamChannel): a receiver that stops reading (its ingest
 * is busy) pauses the stream, the sender's writes wait, and nothing is dropped or overflows. Before
 * the fix a sender could push a whole catch-up ahead (yamux grew the window to 16 MiB) and the
 * receiver's 4 MiB buffer overflowed: the session died and 100,000-op catch-ups never finished.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, STREAM_WINDOW_BYTES, type SpacewayNode } from '../../src/net/node.js'
import { streamChannel } from '../../src/net/sync-stream.js'
import type { SyncMessage } from '../../src/sync/messages.js'

const PROTOCOL = '/spaceway-test/backpressure/1'

/** Re-checks `check` every 10 ms until it holds (bounded: rejects after `ms`). State with no event to wait on. */
async function poll (check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
const nodes: SpacewayNode[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

async function node (): Promise<SpacewayNode> {
  const n = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', mdns: false, trustLoopback: true })
  await n.start()
  nodes.push(n)
  return n
}

/** A 1 MiB `ops` message: 16 blobs of 64 KiB, each tagged with the message's number. */
function bigOps (k: number): SyncMessage {
  return { t: 'ops', ops: Array.from({ length: 16 }, () => new Uint8Array(64 * 1024).fill(k)) }
}

describe('sync stream backpressure', () => {
  it('a receiver that does not read makes the sender wait; read slowly, every message arrives intact', async () => {
    const a = await node()
    const b = await node()
    let accepted!: (s: Stream) => void
    const incoming = new Promise<Stream>(resolve => { accepted = resolve })
    await b.handle(PROTOCOL, (stream) => { accepted(stream) }, { runOnLimitedConnection: true })
    const outgoing = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
    const signal = AbortSignal.timeout(60_000)
    const sender = streamChannel(outgoing, signal, 4 * 1024 * 1024, () => {}, () => {})
    const total = 20
    let written = 0
    const writing = (async () => { for (let k = 0; k < total; k++) { await sender.send(bigOps(k)); written++ } })()
    writing.catch(() => {})
    const inbound = await incoming
    const receiver = streamChannel(inbound, signal, 4 * 1024 * 1024, () => {}, () => {})
    // Nobody reads yet: the sender runs out of window (what it may send ahead) and waits.
    const window = (outgoing as unknown as { sendWindowCapacity?: number })
    // (blocked: no window left for 20 checks in a row, 200 ms; without backpressure the receiver
    // grants window as data arrives, so the sender never stays blocked, and it either writes
    // everything or overflows the receiver)
    let blocked = 0
    await poll(() => {
      blocked = window.sendWindowCapacity === 0 ? blocked + 1 : 0
      return blocked >= 20 || written === total || inbound.status !== 'open'
    }, 20_000)
    expect(inbound.status).toBe('open')
    expect(written).toBeLessThan(total)
    expect(written * 1024 * 1024).toBeLessThanOrEqual(STREAM_WINDOW_BYTES + 4 * 1024 * 1024)
    for (let k = 0; k < total; k++) {
      // a slow reader: before each read the sender has filled what it may send ahead again
      // (an earlier fix granted the window again at every read and overflowed after a few)
      blocked = 0
      await poll(() => {
        blocked = window.sendWindowCapacity === 0 ? blocked + 1 : 0
        return blocked >= 20 || written === total || inbound.status !== 'open'
      }, 20_000)
      expect(inbound.status).toBe('open')
      const m = await receiver.receive()
      expect(m.t).toBe('ops')
      if (m.t !== 'ops') return
      expect(m.ops).toHaveLength(16)
      expect(m.ops.every(o => o.length === 64 * 1024 && o[0] === k && o[o.length - 1] === k)).toBe(true)
    }
    await writing
    expect(written).toBe(total)
  })
})
