/**
 * After joining a private space, pull it again while its key has not arrived.
 *
 * The key reaches a new member as a `key.share` op, which a member writes on seeing the
 * `member.join`. It comes by GossipSub, and GossipSub may miss it: a relay that forwarded the op
 * to the topic's mesh just before grafting the new member gets no second chance. Its next heartbeat
 * sends IHAVE only to peers outside the mesh, and the new member is in it by then. Then the history
 * stays locked until anti-entropy (30 s). So while the key is pending, the space is reconciled again
 * with our relays and a few subscribed members, at KEY_PULL_DELAYS_MS. The pulls stop when the key
 * arrives, after the last delay, or when `signal` aborts.
 */
import { logger } from '@libp2p/logger'
import type { SpaceState } from '../core/space-state.js'
import type { SpaceReach } from './reach.js'

const log = logger('spaceway:join')

/** Delays of the pulls after a join while the space's key is pending, ms from the previous one (about 30 s in all). */
export const KEY_PULL_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000]

/** Subscribed members (not relays) pulled from, besides every connected relay. */
export const KEY_PULL_PEERS = 3

/** What the pulls need from the client: our relays, the space's subscribers, sync; and its keys. */
export interface KeyPullDeps extends Pick<SpaceReach, 'syncWith' | 'connectedRelays' | 'subscribers'> {
  /** Emits `key` (spaceId) when a key arrives (KeyManager). */
  keys: {
    on: (event: 'key', listener: (spaceId: string) => void) => unknown
    off: (event: 'key', listener: (spaceId: string) => void) => unknown
    keyPending: (state: SpaceState) => boolean
  }
}

/**
 * Starts the pulls for `state` (nothing when its key is not pending); returns a function that stops
 * them. Each pull is bounded by the delay before the next one (the last by its own delay).
 */
export function pullUntilKey (deps: KeyPullDeps, state: SpaceState, signal: AbortSignal, delays: number[] = KEY_PULL_DELAYS_MS): () => void {
  const spaceId = state.info.spaceId
  if (!deps.keys.keyPending(state) || signal.aborted) return () => {}
  let timer: NodeJS.Timeout | undefined
  let step = 0
  const stop = (): void => {
    clearTimeout(timer)
    deps.keys.off('key', onKey)
    signal.removeEventListener('abort', stop)
  }
  const onKey = (s: string): void => { if (s === spaceId && !deps.keys.keyPending(state)) stop() }
  const next = (): void => {
    if (step >= delays.length) { stop(); return }
    const wait = delays[step++]
    timer = setTimeout(() => {
      if (!deps.keys.keyPending(state)) { stop(); return }
      const relays = deps.connectedRelays()
      const members = deps.subscribers(spaceId).filter(p => !relays.includes(p)).slice(0, KEY_PULL_PEERS)
      log('key of %s still pending: pulling from %d relay(s) and %d member(s)', spaceId, relays.length, members.length)
      const bound = AbortSignal.any([signal, AbortSignal.timeout(delays[step] ?? wait)])
      for (const peer of [...relays, ...members]) {
        deps.syncWith(peer, spaceId, { signal: bound }).catch(err => { log('key pull of %s from %s failed: %s', spaceId, peer, (err as Error).message) })
      }
      next()
    }, wait)
    timer.unref()
  }
  deps.keys.on('key', onKey)
  signal.addEventListener('abort', stop, { once: true })
  next()
  return stop
}
