import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { pullUntilKey, type KeyPullDeps } from '../../src/net/key-pull.js'
import type { SpaceState } from '../../src/core/space-state.js'
import type { SyncStats } from '../../src/sync/session.js'

const state = { info: { spaceId: 's' } } as unknown as SpaceState

function deps (pending: { value: boolean }): { d: KeyPullDeps, calls: string[], keys: EventEmitter } {
  const keys = new EventEmitter()
  const calls: string[] = []
  const d: KeyPullDeps = {
    keys: { on: (e, l) => keys.on(e, l), off: (e, l) => keys.off(e, l), keyPending: () => pending.value },
    syncWith: async (peer, spaceId) => { calls.push(`${peer}/${spaceId}`); return {} as SyncStats },
    connectedRelays: () => ['r1'],
    subscribers: () => ['r1', 'm1', 'm2', 'm3', 'm4']
  }
  return { d, calls, keys }
}

describe('pullUntilKey', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('pulls from every relay and 3 members at each delay while the key is pending, then stops', () => {
    const pending = { value: true }
    const { d, calls, keys } = deps(pending)
    pullUntilKey(d, state, new AbortController().signal, [100, 200, 400])
    vi.advanceTimersByTime(99)
    expect(calls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(calls).toEqual(['r1/s', 'm1/s', 'm2/s', 'm3/s'])
    vi.advanceTimersByTime(200)
    expect(calls).toHaveLength(8)
    vi.advanceTimersByTime(400)
    expect(calls).toHaveLength(12)
    vi.advanceTimersByTime(10_000)
    expect(calls).toHaveLength(12)
    expect(keys.listenerCount('key')).toBe(0)
  })

  it('stops when the key arrives, and when the signal aborts', () => {
    const pending = { value: true }
    const a = deps(pending)
    pullUntilKey(a.d, state, new AbortController().signal, [100, 200])
    vi.advanceTimersByTime(100)
    pending.value = false
    a.keys.emit('key', 's')
    vi.advanceTimersByTime(1000)
    expect(a.calls).toHaveLength(4)
    expect(a.keys.listenerCount('key')).toBe(0)

    pending.value = true
    const b = deps(pending)
    const ac = new AbortController()
    pullUntilKey(b.d, state, ac.signal, [100, 200])
    ac.abort()
    vi.advanceTimersByTime(1000)
    expect(b.calls).toEqual([])
    expect(b.keys.listenerCount('key')).toBe(0)
  })

  it('does nothing for a space whose key is here', () => {
    const { d, calls, keys } = deps({ value: false })
    pullUntilKey(d, state, new AbortController().signal, [100])
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual([])
    expect(keys.listenerCount('key')).toBe(0)
  })
})
