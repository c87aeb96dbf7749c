/**
 * Someone is waiting: while a user-facing network operation runs (a `join`), the client's
 * background network work (the Kademlia routing-table refresh, dials of discovered peers) holds
 * back, so the two do not share the CPU. On 2 cores with 20 spaceway processes, the routing-table
 * refresh a fresh client starts (one lookup per bucket, all at once, each dialing new peers with a
 * noise handshake) doubled the time of a `join` started right after start-up (bench dht-procs: p50
 * 1,555 ms with it, 752 ms without). Background work resumes when the last foreground operation
 * ends; nothing is dropped, only delayed.
 */
import { EventEmitter } from 'node:events'

export interface ForegroundEvents {
  /** The first foreground operation began (nothing was running). */
  busy: []
  /** The last foreground operation ended. */
  idle: []
}

export class Foreground extends EventEmitter<ForegroundEvents> {
  private running = 0

  /** True while at least one foreground operation runs. */
  get busy (): boolean { return this.running > 0 }

  /**
   * Marks a foreground operation as running; returns the function that ends it (idempotent).
   * Prefer `run`.
   */
  begin (): () => void {
    this.running++
    if (this.running === 1) this.emit('busy')
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.running--
      if (this.running === 0) this.emit('idle')
    }
  }

  /** Runs `fn` as a foreground operation (ended however `fn` settles); resolves or rejects with it. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const end = this.begin()
    try {
      return await fn()
    } finally {
      end()
    }
  }
}
