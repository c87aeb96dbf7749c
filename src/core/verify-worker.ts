/**
 * Worker thread body for VerifyPool: checks the signatures of a batch of op bytes.
 * Message in: `{id: number, ops: Uint8Array[]}`; out: `{id, ok: boolean[]}`.
 */
import { parentPort } from 'node:worker_threads'
import { verifyAll } from './op.js'

parentPort?.on('message', ({ id, ops }: { id: number, ops: Uint8Array[] }) => {
  parentPort?.postMessage({ id, ok: verifyAll(ops) })
})
