/** Bounded waiting for a condition driven by events (no sleeps for ordering). */
import type { EventEmitter } from 'node:events'

/**
 * Resolves once `check()` is true, re-checking whenever `emitter` emits one of `events`;
 * rejects after `ms`.
 */
export async function until (check: () => boolean | Promise<boolean>, emitters: Array<[EventEmitter | EventTarget, string[]]>, ms = 5000, what = 'condition'): Promise<void> {
  // Listeners first, then the first check: an event between the two cannot be missed.
  await new Promise<void>((resolve, reject) => {
    const offs: Array<() => void> = []
    const done = (err?: Error): void => { clearTimeout(t); for (const f of offs) f(); err == null ? resolve() : reject(err) }
    const t = setTimeout(() => done(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    const onEvent = (): void => { Promise.resolve(check()).then(ok => { if (ok) done() }, done) }
    for (const [em, events] of emitters) {
      for (const ev of events) {
        if ('addEventListener' in em) { em.addEventListener(ev, onEvent); offs.push(() => em.removeEventListener(ev, onEvent)) } else { em.on(ev, onEvent); offs.push(() => em.off(ev, onEvent)) }
      }
    }
    onEvent()
  })
}
