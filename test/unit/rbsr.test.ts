import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { idToString } from '../../src/core/ids.js'
import { hlcKey } from '../../src/core/hlc.js'
import { initiate, reconcile } from '../../src/sync/rbsr.js'
import { syncAsInitiator, syncAsResponder, type SyncChannel, type SyncHost } from '../../src/sync/session.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../src/sync/messages.js'

function key (i: number): string {
  return hlcKey({ wall: 1_700_000_000_000 + i, counter: 0 }) + idToString(randomBytes(32))
}

/** A fake host over a sorted key list; ops are the keys' bytes. */
function host (keys: string[]): SyncHost & { keys: (s: string) => string[] } {
  const byId = new Map(keys.map(k => [k.slice(20), k]))
  return {
    keys: () => keys,
    getOps: async (_s, ids) => ids.map(id => byId.get(id)).filter((k): k is string => k != null).sort().map(k => new TextEncoder().encode(k)),
    ingest: async (ops) => {
      for (const o of ops) {
        const k = new TextDecoder().decode(o)
        if (!byId.has(k.slice(20))) { byId.set(k.slice(20), k); keys.push(k); keys.sort() }
      }
    }
  }
}

/** An in-memory pair of channels that pass every message through the wire codec. */
function pair (): [SyncChannel, SyncChannel] {
  const queues: Array<{ items: Uint8Array[], waiting: Array<(m: Uint8Array) => void> }> = [{ items: [], waiting: [] }, { items: [], waiting: [] }]
  const ch = (inbox: number, outbox: number): SyncChannel => ({
    send: async (m: SyncMessage) => {
      const bytes = encodeSyncMessage(m)
      const q = queues[outbox]
      const w = q.waiting.shift()
      if (w != null) w(bytes); else q.items.push(bytes)
    },
    receive: async () => {
      const q = queues[inbox]
      const bytes = q.items.shift() ?? await new Promise<Uint8Array>(resolve => q.waiting.push(resolve))
      return decodeSyncMessage(bytes)
    }
  })
  return [ch(0, 1), ch(1, 0)]
}

const SPACE = idToString(new Uint8Array(32))

async function run (a: string[], b: string[]) {
  const [ca, cb] = pair()
  const [sa, sb] = await Promise.all([syncAsInitiator(ca, host(a), SPACE), syncAsResponder(cb, host(b))])
  return { sa, sb: sb! }
}

describe('range-based set reconciliation', () => {
  it('equal sets finish in one round trip with a fingerprint only', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => key(i)).sort()
    const step = reconcile(keys, initiate(keys))
    expect(step).toEqual({ ranges: [], have: [], need: [] })
  })

  it('two replicas end with the union, whatever each lacked', async () => {
    const common = Array.from({ length: 500 }, (_, i) => key(i))
    const onlyA = Array.from({ length: 7 }, (_, i) => key(10_000 + i * 13))
    const onlyB = Array.from({ length: 5 }, (_, i) => key(20 + i * 97))
    const a = [...common, ...onlyA].sort()
    const b = [...common, ...onlyB].sort()
    const { sa } = await run(a, b)
    expect(a).toEqual(b)
    expect(a.length).toBe(512)
    expect(sa.opsReceived).toBe(5)
    expect(sa.opsSent).toBe(7)
  })

  it('an empty joiner gets everything; a 10,000-item set differing by one costs a few KB', async () => {
    const full = Array.from({ length: 10_000 }, (_, i) => key(i)).sort()
    const joiner: string[] = []
    await run(joiner, [...full])
    expect(joiner).toEqual(full)

    const behind = full.slice(0, -1)
    const { sa } = await run(behind, [...full])
    expect(behind.length).toBe(10_000)
    expect(sa.bytesSent + sa.bytesReceived).toBeLessThan(8 * 1024)
  })

  it('rejects ranges out of order', () => {
    expect(() => reconcile([], [{ upper: 'b', mode: 'skip' }, { upper: 'a', mode: 'skip' }])).toThrow()
  })
})
