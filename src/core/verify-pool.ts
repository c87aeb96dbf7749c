/**
 * Signature checks off the main thread. Verifying an Ed25519 signature costs ~180 us here, so a sync
 * that brings 10,000 ops spends ~1.8 s in verification alone; one worker thread does it while the
 * main thread decodes, applies and writes the previous batch. Small batches (live gossip) are checked
 * inline: a worker round trip would cost more than it saves.
 *
 * When the compiled worker file is not there (tests running the TypeScript sources), everything is
 * checked inline.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type Op, verifyOps } from './op.js'

/** Batches smaller than this are verified inline. */
export const MIN_WORKER_BATCH = 64
/** Share of a large batch sent to the worker; the rest is checked on the calling thread. */
export const WORKER_SHARE = 0.6
/** Signatures this thread checks between two yields to the event loop. */
export const MAIN_SLICE = 32

export class VerifyPool {
  private worker?: Worker
  private readonly pending = new Map<number, (ok: boolean[]) => void>()
  private nextId = 0
  private readonly workerFile = fileURLToPath(new URL('./verify-worker.js', import.meta.url))
  private readonly available = existsSync(this.workerFile)

  /**
   * True where each op's signature verifies, in the order given. `ops` were decoded by `decodeOp`
   * (`verify: false`); the worker gets their bytes and decodes them itself. Never throws for bad input.
   */
  async verify (ops: Op[]): Promise<boolean[]> {
    if (ops.length < MIN_WORKER_BATCH || !this.available) return verifyOps(ops)
    const worker = this.start()
    const id = this.nextId++
    // The worker takes most of the batch; this thread checks the rest meanwhile (2 cores here, and
    // this thread also has to apply and write the previous batch).
    const split = Math.floor(ops.length * WORKER_SHARE)
    const fromWorker = new Promise<boolean[]>(resolve => {
      this.pending.set(id, resolve)
      worker.postMessage({ id, ops: ops.slice(0, split).map(op => op.bytes) })
    })
    // This thread's share in slices, yielding between them, so a chat message (or a command) that
    // arrives meanwhile is handled within a slice (~6 ms), not after the whole share.
    const here: boolean[] = []
    for (let i = split; i < ops.length; i += MAIN_SLICE) {
      here.push(...verifyOps(ops.slice(i, Math.min(ops.length, i + MAIN_SLICE))))
      await new Promise<void>(resolve => setImmediate(resolve))
    }
    const there = await fromWorker
    return there.length === split ? [...there, ...here] : verifyOps(ops)
  }

  private start (): Worker {
    if (this.worker != null) return this.worker
    const worker = new Worker(this.workerFile)
    worker.unref()
    worker.on('message', ({ id, ok }: { id: number, ok: boolean[] }) => {
      this.pending.get(id)?.(ok)
      this.pending.delete(id)
    })
    worker.on('error', () => {
      // Fall back to inline checks for whatever was in flight; a new worker starts on next use.
      this.worker = undefined
      for (const resolve of this.pending.values()) resolve([])
      this.pending.clear()
    })
    this.worker = worker
    return worker
  }

  /** Stops the worker thread. */
  async close (): Promise<void> {
    await this.worker?.terminate()
    this.worker = undefined
  }
}
