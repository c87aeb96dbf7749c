/**
 * Fetching a space to join from peers that may hold it: the connected peers and, meanwhile, the
 * providers the DHT names for the space's CID (all of them: see dht/kad-providers.ts). Candidates are tried concurrently, as they come (providers as the
 * DHT query meets them: never waiting for the query to end or for a fixed count), each with a short
 * deadline to start handing the space over (PROVIDER_ANSWER_MS, dial included); the first that
 * hands it over wins and every other attempt, and the DHT query, are aborted. A sybil that accepts
 * the sync stream and stays silent, or a provider that cannot be reached, costs one such deadline,
 * concurrently with all the others: never the whole join.
 */
import { logger } from '@libp2p/logger'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { NotFoundError, SpacewayError, TimeoutError } from '../errors.js'
import { spaceCid } from '../dht/records.js'
import type { SpacewayNode } from './node.js'
import { withPeerId } from './discovery-dialer.js'

const log = logger('spaceway:join')

/**
 * How long one candidate holder has to start handing the space over (dial + the first ops of its
 * sync session arriving), ms. Past it the attempt is aborted. Once ops flow, the transfer runs on
 * under the join's own deadline (a large space takes longer than this to arrive).
 */
export const PROVIDER_ANSWER_MS = 2000

/**
 * DHT lookups per join at most. A node that just joined the network fills its routing table with
 * its first lookup; when that lookup's providers all fail, a second one starts from better-placed
 * peers (all within the join's deadline).
 */
export const MAX_LOOKUPS = 3

/**
 * Attempts running at once at most (each a dial and a sync stream); further candidates wait for a
 * slot. Bounds what a provider list stuffed with thousands of sybils can make a joiner do.
 */
export const MAX_ATTEMPTS_AT_ONCE = 64

/** What fetching a space needs from the node. */
export interface FetchDeps {
  dht: { providers: (cid: CID, what: string, signal?: AbortSignal) => AsyncIterable<PeerInfo> }
  node: Pick<SpacewayNode, 'dial' | 'getConnections'>
  /** Reconciles `spaceId` with `peer` (initiator); may ignore `signal` (the caller bounds it). */
  syncWith: (peer: PeerId, spaceId: string, options: { signal: AbortSignal }) => Promise<unknown>
  /**
   * Calls `listener` with the PeerId of every peer that starts handing ops of `spaceId` over (any
   * sync session); returns the function that stops listening.
   */
  onAnswer: (spaceId: string, listener: (peerId: string) => void) => () => void
  /**
   * Calls `listener` with the PeerId of every peer whose sync session (either direction: a member
   * that saw our subscription may push the space before any attempt of ours reaches it) has just
   * brought ops of `spaceId` here; returns the function that stops listening. Optional.
   */
  onHandedOver?: (spaceId: string, listener: (peerId: string) => void) => () => void
  /** True once the space is held here with everything the join needs. */
  arrived: () => boolean
}

/** How a race among candidates ended. */
export interface RaceResult<T> {
  /** The candidate whose attempt succeeded first, if any. */
  winner: T | null
  /** Attempts started. */
  tried: number
  /** Failed attempts by error code (`TIMEOUT` = no answer in time, `DIAL_FAILED`, `NOT_FOUND`...). */
  failures: Record<string, number>
  /** The source's own error, if it failed (e.g. the DHT query). */
  sourceError?: unknown
}

/**
 * Resolves with `p`, or rejects with `signal`'s reason as soon as it aborts (`p` is then left to
 * settle on its own).
 */
async function abortable<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) { p.catch(() => {}); throw signal.reason }
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      onAbort = () => { p.catch(() => {}); reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

function codeOf (err: unknown): string {
  return err instanceof SpacewayError ? err.code : 'FAILED'
}

/**
 * Races attempts over candidates as `source` yields them: each attempt starts at once, with its
 * own deadline `answerMs` that the attempt cancels by calling `answered()`; the first attempt that
 * resolves wins, and then `source` and every other attempt are aborted (their signal). At most
 * `maxAtOnce` attempts run at once (the source is not pulled meanwhile). Resolves
 * when there is a winner, or when the source has ended and every attempt has failed, or when
 * `signal` aborts; never rejects (errors are counted in the result). An attempt that ignores its
 * signal is not waited for. `signal` aborts only the attempts that have not answered: one that has
 * goes on (the caller proceeds with what has arrived).
 * @param source candidates; may use `idle()`, which resolves once every attempt started so far
 *   has ended (to decide whether to look for more)
 */
export async function firstToHandOver<T> (
  source: (signal: AbortSignal, idle: () => Promise<void>) => AsyncIterable<T>,
  attempt: (candidate: T, signal: AbortSignal, answered: () => void) => Promise<void>,
  options: { answerMs: number, signal: AbortSignal, maxAtOnce?: number }
): Promise<RaceResult<T>> {
  const won = new AbortController()
  const scope = AbortSignal.any([options.signal, won.signal])
  // One listener each (not one per attempt): superseded, every attempt stops; past `signal`, those
  // that have not answered.
  const attempts = new Set<AbortController>()
  const unanswered = new Set<AbortController>()
  won.signal.addEventListener('abort', () => { for (const c of attempts) c.abort(won.signal.reason) }, { once: true })
  const onOuter = (): void => { for (const c of unanswered) c.abort(options.signal.reason) }
  options.signal.addEventListener('abort', onOuter, { once: true })
  const result: RaceResult<T> = { winner: null, tried: 0, failures: {} }
  const running = new Set<Promise<void>>()
  const idle = async (): Promise<void> => {
    while (running.size > 0 && !scope.aborted) await abortable(Promise.allSettled([...running]), scope).catch(() => {})
  }
  const start = (candidate: T): void => {
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort(new TimeoutError(`no answer within ${options.answerMs} ms`)) }, options.answerMs)
    const signal = AbortSignal.any([scope, deadline.signal])
    // The attempt itself is aborted when superseded or silent past its deadline, and by `signal`
    // only until it answers: a transfer under way outlives the race's own deadline (the race stops
    // waiting for it; the sync session's limits bound it), so a large space keeps arriving.
    const ctl = new AbortController()
    deadline.signal.addEventListener('abort', () => { ctl.abort(deadline.signal.reason) }, { once: true })
    attempts.add(ctl)
    unanswered.add(ctl)
    const onAnswer = (): void => { unanswered.delete(ctl); clearTimeout(timer) }
    const run = abortable(attempt(candidate, ctl.signal, onAnswer), signal).then(() => {
      if (result.winner == null && !options.signal.aborted) {
        result.winner = candidate
        won.abort(new SpacewayError('SUPERSEDED', 'another candidate handed the space over'))
      }
    }, (err: unknown) => {
      const code = deadline.signal.aborted ? 'TIMEOUT' : codeOf(err)
      result.failures[code] = (result.failures[code] ?? 0) + 1
    }).finally(() => {
      clearTimeout(timer)
      running.delete(run)
      unanswered.delete(ctl)
    })
    running.add(run)
    result.tried++
  }
  const iterator = source(scope, idle)[Symbol.asyncIterator]()
  try {
    while (!scope.aborted) {
      while (running.size >= (options.maxAtOnce ?? Infinity)) await abortable(Promise.race(running), scope)
      const next = await abortable(iterator.next(), scope)
      if (next.done === true) break
      start(next.value)
    }
  } catch (err) {
    if (!scope.aborted) result.sourceError = err
  } finally {
    if (scope.aborted) void Promise.resolve(iterator.return?.()).catch(() => {})
  }
  await idle()
  options.signal.removeEventListener('abort', onOuter)
  return result
}

/** `3 did not answer within 2 s, 1 could not be reached, 2 do not hold it` */
function describeFailures (failures: Record<string, number>): string {
  const words: Record<string, string> = {
    TIMEOUT: `did not answer within ${PROVIDER_ANSWER_MS / 1000} s`,
    DIAL_FAILED: 'could not be reached',
    NOT_FOUND: 'did not have it'
  }
  return Object.entries(failures).map(([code, n]) => `${n} ${words[code] ?? `failed (${code})`}`).join(', ')
}

/**
 * Fetches `spaceId` from the first peer that hands it over: the connected `peers` at once, and
 * meanwhile the providers of the space in the DHT, each as soon as the lookup yields it (skipping
 * those already tried); `otherPeers` (connected, not known to hold the space: a holder subscribes to
 * its topic) once the first lookup has ended, so a join does not open a sync session with every
 * peer it is connected to before the DHT has had its say. When a lookup has ended and every attempt
 * so far has failed, a new lookup (at most MAX_LOOKUPS) looks for providers not tried yet, and for
 * those whose attempt only ran out of time (tried once more each). Every attempt has PROVIDER_ANSWER_MS to
 * start handing the space over; the first that completes with the space here (`deps.arrived`) wins
 * and the rest, and the lookup, are aborted. The space arriving by any other session meanwhile
 * (`deps.onHandedOver`: a member pushing it to us) ends the search the same way, at once.
 * @returns the PeerId the space came from
 * @throws the lookup's error (NOT_FOUND, NO_DHT_PEERS, TIMEOUT, DHT_FAILED) when there was nobody
 *   to ask at all; TimeoutError when `signal` aborted first; otherwise NotFoundError saying how
 *   many peers were tried and how they failed
 */
export async function fetchSpace (deps: FetchDeps, spaceId: string, options: { peers?: PeerInfo[], otherPeers?: PeerInfo[], signal: AbortSignal }): Promise<string> {
  const { signal } = options
  const peers = options.peers ?? []
  const cid = await spaceCid(spaceId)
  const tried = new Set<string>(peers.map(p => p.id.toString()))
  let others = options.otherPeers ?? []
  /** The peers of `otherPeers` not asked yet (once: after the first lookup, however it ended). */
  function * otherCandidates (): Generator<PeerInfo> {
    const rest = others
    others = []
    for (const p of rest) {
      const id = p.id.toString()
      if (tried.has(id)) continue
      tried.add(id)
      yield p
    }
  }
  /** Candidates whose last attempt hit its deadline (PROVIDER_ANSWER_MS), not a refusal. */
  const slow = new Set<string>()
  let named = 0
  let lookupError: unknown
  async function * candidates (s: AbortSignal, idle: () => Promise<void>): AsyncGenerator<PeerInfo> {
    yield * peers
    for (let i = 0; i < MAX_LOOKUPS && !s.aborted; i++) {
      try {
        for await (const p of deps.dht.providers(cid, `space ${spaceId}`, s)) {
          if (i === 0) named++
          const id = p.id.toString()
          // a candidate that only ran out of time (a loaded holder, not a refusal) gets one more
          // attempt per later lookup: a slow honest holder must not lose the join for good
          if (tried.has(id) && !(i > 0 && slow.delete(id))) continue
          tried.add(id)
          log('provider %p of %s (lookup %d)', p.id, spaceId, i + 1)
          yield p
        }
        lookupError = undefined
      } catch (err) {
        lookupError = err
        // NOT_FOUND: look again (a fresh node's first lookup may meet nobody). Anything else (an
        // empty table, a timeout) ends the lookups; attempts under way go on.
        if (!(err instanceof NotFoundError)) { yield * otherCandidates(); return }
      }
      yield * otherCandidates()
      await idle()
    }
    yield * otherCandidates()
  }
  const waiting = new Map<string, () => void>()
  const stopListening = deps.onAnswer(spaceId, (peer) => { waiting.get(peer)?.() })
  // The space may come to us by a session we did not start (a member pushing it on seeing our
  // subscription): then nothing is left to wait for, whatever our own attempts are doing.
  const pushed = new AbortController()
  let pushedBy: string | null = null
  const stopWatching = deps.onHandedOver?.(spaceId, (peer) => {
    if (pushedBy != null || !deps.arrived()) return
    pushedBy = peer
    pushed.abort(new SpacewayError('SUPERSEDED', `space ${spaceId} handed over by ${peer}`))
  })
  let result: RaceResult<PeerInfo>
  try {
    result = await firstToHandOver(candidates, async (p, s, answered) => {
      const id = p.id.toString()
      const start = performance.now()
      waiting.set(id, () => { log('%p answers after %d ms', p.id, Math.round(performance.now() - start)); answered() })
      try {
        if (deps.node.getConnections(p.id).length === 0) {
          try {
            // with the PeerId in each address, libp2p joins a dial to that peer already under way
            // (a discovery dial, the DHT walk's) instead of handshaking a second connection
            await deps.node.dial(p.multiaddrs.length > 0 ? p.multiaddrs.map(a => withPeerId(a, id)) : p.id, { signal: s })
          } catch (err) {
            throw new SpacewayError('DIAL_FAILED', `cannot reach ${id}: ${(err as Error).message}`, { cause: err })
          }
          log('dialed %p in %d ms', p.id, Math.round(performance.now() - start))
        }
        await deps.syncWith(p.id, spaceId, { signal: s })
        log('synced with %p in %d ms', p.id, Math.round(performance.now() - start))
      } catch (err) {
        if (s.reason instanceof TimeoutError) slow.add(id)
        throw err
      } finally {
        waiting.delete(id)
      }
      if (!deps.arrived()) throw new NotFoundError(`${id} did not hand over space ${spaceId}`)
    }, { answerMs: PROVIDER_ANSWER_MS, signal: AbortSignal.any([signal, pushed.signal]), maxAtOnce: MAX_ATTEMPTS_AT_ONCE })
  } finally {
    stopListening()
    stopWatching?.()
  }
  if (result.winner != null) {
    log('space %s came from %p (%d tried)', spaceId, result.winner.id, result.tried)
    return result.winner.id.toString()
  }
  if (pushedBy != null) {
    log('space %s was handed over by %s (%d tried meanwhile)', spaceId, pushedBy, result.tried)
    return pushedBy
  }
  if (signal.aborted) throw new TimeoutError(`space ${spaceId}: nobody handed it over in time (${result.tried} peer(s) tried)`)
  if (result.tried === 0 && lookupError != null) throw lookupError
  const dht = lookupError instanceof Error ? `; DHT: ${lookupError.message}` : ''
  throw new NotFoundError(`none of the ${result.tried} peer(s) tried handed it over (${peers.length} connected, ${named} provider(s) named by the DHT; ${describeFailures(result.failures)})${dht}`)
}
