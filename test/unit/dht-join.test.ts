/**
 * The candidate race of net/dht-join.ts, without a network: attempts start as the source yields,
 * each has its answer deadline, the first success wins and aborts the rest and the source.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { fetchSpace, firstToHandOver, type FetchDeps } from '../../src/net/dht-join.js'

/** A promise that settles only when `signal` aborts (never, without one). */
async function forever (signal?: AbortSignal): Promise<never> {
  return await new Promise<never>((_resolve, reject) => { signal?.addEventListener('abort', () => { reject(signal.reason) }) })
}

describe('firstToHandOver', () => {
  it('starts each candidate as it is yielded; the first success wins and aborts the others and the source', async () => {
    const aborted: string[] = []
    let sourceEnded = false
    const result = await firstToHandOver(async function * (signal) {
      try {
        yield 'silent'
        yield 'holder'
        await forever(signal) // the source never ends by itself (a DHT query still running)
      } finally { sourceEnded = true }
    }, async (c, signal) => {
      signal.addEventListener('abort', () => { aborted.push(c) })
      if (c === 'holder') return
      await forever(signal)
    }, { answerMs: 60_000, signal: AbortSignal.timeout(5000) })
    expect(result.winner).toBe('holder')
    expect(result.tried).toBe(2)
    expect(aborted).toContain('silent')
    await expect.poll(() => sourceEnded).toBe(true)
  })

  it('a candidate that does not answer within answerMs fails with TIMEOUT; answering lifts the deadline', async () => {
    let silentTimedOut: () => void = () => {}
    const pastDeadline = new Promise<void>(resolve => { silentTimedOut = resolve })
    const result = await firstToHandOver(async function * () { yield 'silent'; yield 'slow' }, async (c, signal, answered) => {
      if (c === 'silent') { await forever(signal).finally(silentTimedOut); return }
      answered()
      // ops flow: the transfer goes on past answerMs (the silent one's deadline) and is not cut
      await pastDeadline
      expect(signal.aborted).toBe(false)
    }, { answerMs: 40, signal: AbortSignal.timeout(5000) })
    expect(result.winner).toBe('slow')
    expect(result.failures).toEqual({ TIMEOUT: 1 })
  })

  it('all fail: no winner, failures counted by code, resolved once the source ended and attempts settled', async () => {
    const { NotFoundError } = await import('../../src/errors.js')
    const result = await firstToHandOver(async function * () { yield 1; yield 2; yield 3 }, async (c, signal) => {
      if (c === 3) await forever(signal)
      throw new NotFoundError('not here')
    }, { answerMs: 30, signal: AbortSignal.timeout(5000) })
    expect(result).toMatchObject({ winner: null, tried: 3, failures: { NOT_FOUND: 2, TIMEOUT: 1 } })
  })

  it('the outer signal ends the race at once, even with attempts that ignore their signal', async () => {
    const outer = new AbortController()
    const t0 = Date.now()
    const race = firstToHandOver(async function * () { yield 'deaf' }, async () => { await forever() }, { answerMs: 60_000, signal: outer.signal })
    outer.abort()
    const result = await race
    expect(result.winner).toBeNull()
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('the outer signal aborts the attempts that have not answered; one that answered goes on (a large space keeps arriving)', async () => {
    // Before: the join's deadline (10 s) aborted the transfer under way, and the rest of a
    // 100,000-op space waited for anti-entropy (the catch-up took 30 s instead of 11.6 s).
    const outer = new AbortController()
    const signals = new Map<string, AbortSignal>()
    let answer!: () => void
    const answeredNow = new Promise<void>(resolve => { answer = resolve })
    const race = firstToHandOver(async function * () { yield 'flowing'; yield 'silent' }, async (c, signal, answered) => {
      signals.set(c, signal)
      if (c === 'flowing') { answered(); answer() }
      await forever()
    }, { answerMs: 60_000, signal: outer.signal })
    await answeredNow
    await new Promise<void>(resolve => { const check = (): void => { if (signals.size === 2) resolve(); else setImmediate(check) }; check() })
    outer.abort()
    expect((await race).winner).toBeNull()
    expect(signals.get('silent')?.aborted).toBe(true)
    expect(signals.get('flowing')?.aborted).toBe(false)
  })

  it('runs at most maxAtOnce attempts at once', async () => {
    let now = 0
    let most = 0
    const result = await firstToHandOver(async function * () { yield * [1, 2, 3, 4, 5, 6] }, async (c) => {
      now++
      most = Math.max(most, now)
      await new Promise(resolve => setImmediate(resolve)) // the rest of the source could start meanwhile
      now--
      if (c !== 6) throw new Error('no')
    }, { answerMs: 60_000, signal: AbortSignal.timeout(5000), maxAtOnce: 2 })
    expect(result).toMatchObject({ winner: 6, tried: 6 })
    expect(most).toBe(2)
  })

  it('idle() lets the source wait for the attempts so far before looking for more', async () => {
    const order: string[] = []
    const result = await firstToHandOver(async function * (_signal, idle) {
      yield 'a'
      await idle()
      order.push('idle')
      yield 'b'
    }, async (c) => {
      order.push(`try ${c}`)
      if (c === 'a') throw new Error('no')
    }, { answerMs: 60_000, signal: AbortSignal.timeout(5000) })
    expect(result.winner).toBe('b')
    expect(order).toEqual(['try a', 'idle', 'try b'])
  })
})

describe('fetchSpace', () => {
  const peer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

  it('tries connected peers and DHT providers at once; the holder wins while silent peers and the lookup are aborted', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, peer))
    const holder = await peer()
    let arrived = false
    let lookupAborted = false
    const dialed: string[] = []
    const deps: FetchDeps = {
      dht: {
        providers: async function * (_cid, _what, signal) {
          for (const id of [...silent, holder]) yield { id, multiaddrs: [] } satisfies PeerInfo
          await forever(signal).catch(() => { lookupAborted = true })
        }
      },
      node: {
        getConnections: ((id: PeerId) => silent.slice(0, 10).some(s => s.equals(id)) ? [{}] : []) as never,
        dial: (async (id: PeerId) => { dialed.push(id.toString()) }) as never
      },
      syncWith: async (id) => {
        if (id.equals(holder)) { arrived = true; return }
        await forever() // accepts the stream, never answers, ignores aborts
      },
      onAnswer: () => () => {},
      arrived: () => arrived
    }
    const t0 = Date.now()
    const from = await fetchSpace(deps, 'a'.repeat(52), { peers: silent.slice(0, 10).map(id => ({ id, multiaddrs: [] })), signal: AbortSignal.timeout(10_000) })
    expect(from).toBe(holder.toString())
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(dialed).toHaveLength(11) // the 10 providers not connected, and the holder
    await expect.poll(() => lookupAborted).toBe(true)
  })

  it('a member pushing the space to us (a session we did not start) ends the search at once', async () => {
    const silent = await Promise.all(Array.from({ length: 5 }, peer))
    const pusher = await peer()
    let arrived = false
    let lookupAborted = false
    let push: ((peerId: string) => void) | undefined
    const deps: FetchDeps = {
      dht: {
        providers: async function * (_cid, _what, signal) {
          for (const id of silent) yield { id, multiaddrs: [] } satisfies PeerInfo
          await forever(signal).catch(() => { lookupAborted = true })
        }
      },
      node: { getConnections: (() => [{}]) as never, dial: (async () => {}) as never },
      // every attempt of ours accepts the stream and never answers
      syncWith: async () => { await forever() },
      onAnswer: () => () => {},
      onHandedOver: (_id, listener) => { push = listener; return () => { push = undefined } },
      arrived: () => arrived
    }
    const t0 = Date.now()
    const fetching = fetchSpace(deps, 'a'.repeat(52), { signal: AbortSignal.timeout(10_000) })
    await expect.poll(() => push != null).toBe(true)
    // ops of another session that did not bring the space: nothing ends
    push?.(pusher.toString())
    arrived = true
    push?.(pusher.toString())
    expect(await fetching).toBe(pusher.toString())
    expect(Date.now() - t0).toBeLessThan(1000)
    await expect.poll(() => lookupAborted).toBe(true)
  })

  it('a holder that ran out of time once is asked again by the next lookup; one that refused is not', async () => {
    const [slowHolder, refuser] = await Promise.all([peer(), peer()])
    let arrived = false
    const attempts: string[] = []
    let lookups = 0
    const deps: FetchDeps = {
      dht: {
        providers: async function * () {
          lookups++
          yield { id: refuser, multiaddrs: [] } satisfies PeerInfo
          yield { id: slowHolder, multiaddrs: [] } satisfies PeerInfo
        }
      },
      node: { getConnections: (() => [{}]) as never, dial: (async () => {}) as never },
      syncWith: async (id, _space, { signal }) => {
        attempts.push(id.equals(slowHolder) ? 'holder' : 'refuser')
        if (id.equals(refuser)) return // answers: does not hold it
        if (attempts.filter(a => a === 'holder').length === 1) await forever(signal) // loaded: misses its deadline
        arrived = true
      },
      onAnswer: () => () => {},
      arrived: () => arrived
    }
    expect(await fetchSpace(deps, 'a'.repeat(52), { signal: AbortSignal.timeout(10_000) })).toBe(slowHolder.toString())
    expect(attempts).toEqual(['refuser', 'holder', 'holder'])
    expect(lookups).toBe(2)
  })

  it('connected peers not known to hold the space are asked only once the first lookup has ended (and still are when it fails)', async () => {
    const [member, bystander, holder] = await Promise.all([peer(), peer(), peer()])
    for (const lookupFails of [false, true]) {
      let arrived = false
      const events: string[] = []
      let endLookup: (() => void) | undefined
      const deps: FetchDeps = {
        dht: {
          providers: async function * () {
            events.push('lookup')
            await new Promise<void>(resolve => { endLookup = resolve })
            events.push('lookup ended')
            if (lookupFails) throw new Error('no DHT peers')
          }
        },
        node: { getConnections: (() => [{}]) as never, dial: (async () => {}) as never },
        syncWith: async (id) => {
          events.push(id.equals(member) ? 'member' : id.equals(bystander) ? 'bystander' : 'holder')
          if (id.equals(holder)) arrived = true
        },
        onAnswer: () => () => {},
        arrived: () => arrived
      }
      const fetching = fetchSpace(deps, 'a'.repeat(52), { peers: [{ id: member, multiaddrs: [] }], otherPeers: [{ id: bystander, multiaddrs: [] }, { id: holder, multiaddrs: [] }, { id: member, multiaddrs: [] }], signal: AbortSignal.timeout(10_000) })
      await expect.poll(() => endLookup != null && events.includes('member')).toBe(true)
      expect(events).not.toContain('bystander')
      endLookup?.()
      expect(await fetching).toBe(holder.toString())
      // the member (already asked) is not asked twice
      expect(events).toEqual(['member', 'lookup', 'lookup ended', 'bystander', 'holder'])
    }
  })
})
