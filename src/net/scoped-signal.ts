/**
 * An AbortSignal for one operation (a sync session, a request): it aborts when any of its parents
 * aborts, or after a timeout, and `release()` detaches it from the parents once the operation ends.
 *
 * Why not `AbortSignal.any([service.shutdown, AbortSignal.timeout(ms)])`: a signal made by
 * `AbortSignal.any` stays in each parent's list of dependants until that parent aborts (Node 20 to
 * 26: nodejs/node#55351 and #64476), so combining a service's long-lived shutdown signal with a new
 * signal per session grows that list without bound. Measured: a client's SyncService shutdown signal
 * held 3,205 such entries after 12 minutes of a churn soak.
 */
import { setMaxListeners } from 'node:events'

/** The signal of one operation, and the call that detaches it (idempotent; also done when it aborts). */
export interface ScopedSignal {
  signal: AbortSignal
  release: () => void
}

/**
 * A signal that aborts with the reason of the first of `parents` to abort (undefined entries are
 * skipped), or after `timeoutMs` (ms) with a `TimeoutError` DOMException, as `AbortSignal.timeout`
 * does. Call `release()` when the operation ends, in a `finally`. The timer does not keep the process
 * alive. Each parent gets one `abort` listener per unreleased signal, so its listener warning is
 * turned off (the number is bounded by the operations running at once).
 */
export function scopedSignal (parents: Array<AbortSignal | undefined>, timeoutMs?: number): ScopedSignal {
  const controller = new AbortController()
  const live = parents.filter((p): p is AbortSignal => p != null)
  const aborted = live.find(p => p.aborted)
  if (aborted != null) {
    controller.abort(aborted.reason)
    return { signal: controller.signal, release: () => {} }
  }
  const attached = live.map(parent => {
    const onAbort = (): void => { controller.abort(parent.reason) }
    setMaxListeners(0, parent)
    parent.addEventListener('abort', onAbort, { once: true })
    return { parent, onAbort }
  })
  const timer = timeoutMs == null
    ? undefined
    : setTimeout(() => { controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, timeoutMs)
  timer?.unref()
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    clearTimeout(timer)
    for (const { parent, onAbort } of attached) parent.removeEventListener('abort', onAbort)
  }
  controller.signal.addEventListener('abort', release, { once: true })
  return { signal: controller.signal, release }
}
