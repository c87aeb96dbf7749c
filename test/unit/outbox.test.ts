import { describe, expect, it } from 'vitest'
import { Outbox } from '../../src/net/outbox.js'
import type { SpaceReach } from '../../src/net/reach.js'
import type { SyncStats } from '../../src/sync/session.js'

function stats (spaceId: string, startedAt: number, outcome: SyncStats['outcome'] = 'done'): SyncStats {
  return { spaceId, outcome, opsSent: 0, opsReceived: 0, bytesSent: 0, bytesReceived: 0, rounds: 1, offered: false, startedAt }
}

/** An outbox over stand-ins: `calls` records each push; `answer` decides how a push ends. */
function make (relays: string[], subscribers: string[], answer: (peer: string, spaceId: string, signal: AbortSignal) => Promise<SyncStats>): { outbox: Outbox, calls: string[] } {
  const calls: string[] = []
  const deps: SpaceReach = {
    syncWith: async (peer, spaceId, o) => { calls.push(`${peer}/${spaceId}`); return await answer(peer, spaceId, o.signal) },
    isRelay: (peer) => peer.startsWith('relay'),
    connectedRelays: () => relays,
    subscribers: () => subscribers
  }
  return { outbox: new Outbox(deps), calls }
}

describe('Outbox', () => {
  it('a sync that started after our last own op clears the mark; one that started at or before it does not', () => {
    const { outbox } = make(['relay1'], [], async () => stats('s', 0))
    outbox.wrote('s', 1000)
    outbox.synced('relay1', stats('s', 1000))
    outbox.synced('relay1', stats('s', 999))
    outbox.synced('relay1', stats('s', 2000, 'unknown')) // refused: not held
    outbox.synced('peer1', stats('s', 2000)) // a relay is connected: a peer does not count
    expect(outbox.pending).toEqual(['s'])
    outbox.synced('relay1', stats('s', 1001))
    expect(outbox.pending).toEqual([])
  })

  it('with no relay connected, a completed sync with any peer clears the mark', () => {
    const { outbox } = make([], ['peer1'], async () => stats('s', 0))
    outbox.wrote('s', 1000)
    outbox.synced('peer1', stats('s', 1001))
    expect(outbox.pending).toEqual([])
  })

  it('flush pushes only marked spaces: to every connected relay, else to at most 3 subscribers', async () => {
    const now = Date.now()
    const relayed = make(['relay1', 'relay2'], ['p1'], async (_p, s) => stats(s, now + 1))
    relayed.outbox.wrote('a', now)
    relayed.outbox.wrote('b', now)
    expect(await relayed.outbox.flush(1000)).toEqual({ spaces: 2, pushed: 2 })
    expect(relayed.calls.sort()).toEqual(['relay1/a', 'relay1/b', 'relay2/a', 'relay2/b'])

    const peers = make([], ['p1', 'p2', 'p3', 'p4', 'p5'], async (_p, s) => stats(s, now + 1))
    peers.outbox.wrote('a', now)
    expect(await peers.outbox.flush(1000)).toEqual({ spaces: 1, pushed: 1 })
    expect(peers.calls).toEqual(['p1/a', 'p2/a', 'p3/a'])

    const idle = make(['relay1'], [], async (_p, s) => stats(s, now))
    expect(await idle.outbox.flush(1000)).toEqual({ spaces: 0, pushed: 0 })
    expect(idle.calls).toEqual([])
  })

  it('flush is bounded: a push that never answers is aborted at the deadline, a failing one is logged, neither throws', async () => {
    const hang = async (_p: string, _s: string, signal: AbortSignal): Promise<SyncStats> => await new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    })
    // (SyncService.syncWith honours the signal also when it waits for a session already under way:
    // test/unit/sync-with-signal.test.ts)
    const { outbox } = make(['relay1', 'relay-bad'], [], async (p, s, signal) => {
      if (p === 'relay-bad') throw new Error('refused')
      return await hang(p, s, signal)
    })
    outbox.wrote('s')
    const t0 = Date.now()
    expect(await outbox.flush(100)).toEqual({ spaces: 1, pushed: 0 })
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(outbox.pending).toEqual(['s'])
  })
})
