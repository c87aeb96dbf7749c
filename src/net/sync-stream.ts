/**
 * A sync session's messages over a libp2p stream: length-prefixed CBOR (sync/messages.ts), a
 * deadline on every read, and backpressure (see `streamChannel`). Used by net/sync-service.ts.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { TimeoutError } from '../errors.js'
import { decodeSyncMessage, encodeSyncMessage } from '../sync/messages.js'
import type { SyncChannel } from '../sync/session.js'
import { STREAM_WINDOW_BYTES } from './node.js'

/** Deadline for each message read, ms. */
export const SYNC_READ_TIMEOUT_MS = 15_000

/**
 * A session's messages over `stream`, with backpressure: the stream stays paused unless a read is
 * waiting for bytes that have not arrived, and a paused yamux stream grants its sender no more
 * window, so an honest sender's writes wait (instead of piling up here) while we validate what we
 * read. A read resumes the stream only when what is buffered holds no whole message: it first runs
 * on the buffer alone, and if it is still waiting once the microtasks have run (setImmediate), it
 * needs the network. So what is buffered unread stays below one message plus what the sender may
 * send ahead (STREAM_WINDOW_BYTES, the muxer's cap in net/node.ts, granted twice at most: before and
 * during a read); a peer that sends more has its stream aborted (the session fails, nothing else).
 */
export function streamChannel (stream: Stream, signal: AbortSignal, maxMessageBytes: number, onSent: (bytes: number) => void, onReceived: (bytes: number) => void): SyncChannel {
  const lp = lpStream(stream, { maxDataLength: maxMessageBytes, maxBufferSize: maxMessageBytes + 2 * STREAM_WINDOW_BYTES + 16 })
  const flow = (pause: boolean): void => {
    // a stream that is closing or closed cannot change its read state: the read fails by itself
    try { if (pause) stream.pause(); else stream.resume() } catch {}
  }
  flow(true)
  return {
    send: async (m) => {
      const bytes = encodeSyncMessage(m)
      // a signal of its own per write: a write that waits for the stream to drain adds an abort
      // listener that p-event 7 never removes, so on the session's signal they would pile up
      await lp.write(bytes, { signal: AbortSignal.any([signal]) })
      onSent(bytes.length)
    },
    receive: async () => {
      const read = AbortSignal.any([signal, AbortSignal.timeout(SYNC_READ_TIMEOUT_MS)])
      let settled = false
      const reading = lp.read({ signal: read }).finally(() => { settled = true })
      reading.catch(() => {})
      const wake = setImmediate(() => { if (!settled) flow(false) })
      try {
        const bytes = (await reading).subarray()
        onReceived(bytes.length)
        return decodeSyncMessage(bytes)
      } catch (err) {
        if (read.aborted) throw new TimeoutError('sync peer did not answer in time')
        throw err
      } finally {
        clearImmediate(wake)
        flow(true)
      }
    }
  }
}
