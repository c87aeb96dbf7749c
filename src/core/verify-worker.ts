/**
 * Worker thread body for VerifyPool: checks the signatures of a batch of op bytes.
 * Message in: `{id: number, ops: Uint8Array[]}`; out: `{id, ok: boolean[]}`.
 */
import { parentPort } from 'node:worker_threads'
import { decodeOp, verifyOp } from './op.js'

parentPort?.on('message', ({ id, ops }: { id: number, ops: Uint8Array[] }) => {
  const ok = ops.map(bytes => {
    try {
      verifyOp(decodeOp(bytes, { verify: false }))
      return true
    } catch {
      return false
    }
  })
  parentPort?.postMessage({ id, ok })
})
