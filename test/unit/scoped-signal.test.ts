/**
 * scopedSignal (src/net/scoped-signal.ts): aborts with its parent or at its timeout, and leaves
 * nothing attached to a long-lived parent once released (what AbortSignal.any does not do).
 */
import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { scopedSignal } from '../../src/net/scoped-signal.js'

describe('scopedSignal', () => {
  it('aborts with the reason of the parent that aborts first', () => {
    const a = new AbortController()
    const b = new AbortController()
    const { signal } = scopedSignal([a.signal, undefined, b.signal], 60_000)
    expect(signal.aborted).toBe(false)
    b.abort(new Error('b stopped'))
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).message).toBe('b stopped')
    // aborting detached it from every parent
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0)
  })

  it('is aborted at once when a parent already is', () => {
    const a = new AbortController()
    a.abort(new Error('gone'))
    const { signal } = scopedSignal([a.signal], 60_000)
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).message).toBe('gone')
  })

  it('times out with a TimeoutError, as AbortSignal.timeout does', async () => {
    const { signal } = scopedSignal([new AbortController().signal], 5)
    await new Promise<void>(resolve => signal.addEventListener('abort', () => { resolve() }, { once: true }))
    expect((signal.reason as DOMException).name).toBe('TimeoutError')
  })

  it('leaves no listener on a long-lived parent after 10,000 released operations', () => {
    const shutdown = new AbortController()
    for (let i = 0; i < 10_000; i++) {
      const { signal, release } = scopedSignal([shutdown.signal], 60_000)
      signal.addEventListener('abort', () => {})
      release()
      release()
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0)
    const running = scopedSignal([shutdown.signal])
    shutdown.abort(new Error('stop'))
    expect(running.signal.aborted).toBe(true)
  })
})
