/**
 * `/spaceway/relays/1.0.0` (docs/PROTOCOL.md "Relays"): a member asks a fellow member which relays
 * it uses, so each can reach the others' relays when its own are down. One stream per question: the
 * asker sends `{v: 1}`, the answerer `{v: 1, relays: [multiaddr with /p2p/<relay PeerId>, ...]}`
 * (CBOR, length-prefixed, each message at most MAX_RELAYS_MESSAGE_BYTES, at most MAX_REPORTED
 * relays), then the stream closes. Deadline EXCHANGE_TIMEOUT_MS for the whole exchange.
 *
 * Only members answer members: the answer is given only to a peer that is a member of a space
 * where we are a member too (`shares`), and asked only of such peers - relay addresses of a private
 * space's members do not reach outsiders. Not in signed ops: those are kept by every relay and
 * member forever, and addresses change. Budgets: one question per peer per ANSWER_INTERVAL_MS is
 * answered (more are reset), at most MAX_ANSWERING at once; we ask one peer at most once per
 * ANSWER_INTERVAL_MS too.
 */
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { decode, encode } from 'cborg'
import { SpacewayError } from '../errors.js'
import { BoundedMap } from '../core/bounded.js'
import { scopedSignal } from './scoped-signal.js'

const log = logger('spaceway:relay-exchange')

export const RELAYS_PROTOCOL = '/spaceway/relays/1.0.0'
/** Largest message of the protocol, bytes. */
export const MAX_RELAYS_MESSAGE_BYTES = 2048
/** Relays named in one answer, at most. */
export const MAX_REPORTED = 4
/** Deadline of one exchange (dial of the stream included), ms. */
export const EXCHANGE_TIMEOUT_MS = 5000
/** One question per peer per this long is answered, and asked, ms. */
export const ANSWER_INTERVAL_MS = 10_000
/** Answers being written at once, at most. */
export const MAX_ANSWERING = 16

/** Encodes an answer (at most MAX_REPORTED relays are sent). */
export function encodeRelays (relays: string[]): Uint8Array {
  return encode({ v: 1, relays: relays.slice(0, MAX_REPORTED) })
}

/**
 * Decodes an answer: the list as sent (entries still to be checked by the caller: learned-relays.ts).
 * @throws SpacewayError BAD_RELAYS_MESSAGE (not CBOR, not `{v: 1, relays: [...]}`, too large)
 */
export function decodeRelays (bytes: Uint8Array): unknown[] {
  if (bytes.byteLength > MAX_RELAYS_MESSAGE_BYTES) throw new SpacewayError('BAD_RELAYS_MESSAGE', `relays message of ${bytes.byteLength} bytes`)
  let m: unknown
  try { m = decode(bytes, { strict: true }) } catch (err) { throw new SpacewayError('BAD_RELAYS_MESSAGE', `not CBOR: ${(err as Error).message}`) }
  const w = m as { v?: unknown, relays?: unknown }
  if (w?.v !== 1 || !Array.isArray(w.relays)) throw new SpacewayError('BAD_RELAYS_MESSAGE', 'expected {v: 1, relays: [...]}')
  return w.relays
}

/** What the exchange needs of the node. */
export interface ExchangeNode {
  handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void, options: { maxInboundStreams: number, maxOutboundStreams: number, runOnLimitedConnection: boolean }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  dialProtocol: (peer: PeerId, protocol: string, options: { signal: AbortSignal, runOnLimitedConnection: boolean }) => Promise<Stream>
}

export interface ExchangeDeps {
  /** Our relays to tell (connected ones, with /p2p/). */
  ours: () => string[]
  /** True if `peer` is a member of a space where we are a member. */
  shares: (peer: string) => boolean
}

export class RelayExchange {
  private readonly shutdown = new AbortController()
  private readonly answered = new BoundedMap<string, number>(10_000)
  private readonly asked = new BoundedMap<string, number>(10_000)
  private answering = 0

  constructor (private readonly node: ExchangeNode, private readonly deps: ExchangeDeps, private readonly now: () => number = Date.now) {}

  /** Registers the protocol handler. */
  async start (): Promise<void> {
    await this.node.handle(RELAYS_PROTOCOL, (stream, connection) => {
      void this.answer(stream, connection.remotePeer.toString())
    }, { maxInboundStreams: 2, maxOutboundStreams: 2, runOnLimitedConnection: true })
  }

  async stop (): Promise<void> {
    this.shutdown.abort()
    await this.node.unhandle(RELAYS_PROTOCOL).catch(() => {})
  }

  /** True if `peer` is a member of a space where we are a member. */
  shares (peer: string): boolean {
    return this.deps.shares(peer)
  }

  /** True if `peer` may be asked now (a member of a shared space, not asked lately). */
  mayAsk (peer: string): boolean {
    return this.deps.shares(peer) && (this.asked.get(peer) ?? 0) + ANSWER_INTERVAL_MS <= this.now()
  }

  /**
   * Asks `peer` which relays it uses.
   * @returns the entries of its answer, unchecked (at most MAX_REPORTED are kept)
   * @throws SpacewayError NOT_MEMBER (no shared space: not asked), BAD_RELAYS_MESSAGE, the stream's
   *   errors (it does not speak the protocol, reset, TimeoutError/AbortError past the deadline)
   */
  async ask (peer: PeerId, signal?: AbortSignal): Promise<unknown[]> {
    const id = peer.toString()
    if (!this.deps.shares(id)) throw new SpacewayError('NOT_MEMBER', `${id} shares no space with us`)
    this.asked.set(id, this.now())
    const { signal: s, release } = scopedSignal([this.shutdown.signal, signal], EXCHANGE_TIMEOUT_MS)
    try {
      const stream = await this.node.dialProtocol(peer, RELAYS_PROTOCOL, { signal: s, runOnLimitedConnection: true })
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_RELAYS_MESSAGE_BYTES, maxBufferSize: MAX_RELAYS_MESSAGE_BYTES + 16 })
        await lp.write(encode({ v: 1 }), { signal: s })
        const relays = decodeRelays((await lp.read({ signal: s })).subarray()).slice(0, MAX_REPORTED)
        await stream.close({ signal: s }).catch(() => {})
        return relays
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
    } finally {
      release()
    }
  }

  private async answer (stream: Stream, peer: string): Promise<void> {
    const now = this.now()
    if (this.answering >= MAX_ANSWERING || (this.answered.get(peer) ?? 0) + ANSWER_INTERVAL_MS > now || !this.deps.shares(peer)) {
      log('not answering %s (no shared space, or asked too often)', peer)
      stream.abort(new SpacewayError('REFUSED', 'relays are told to members of a shared space, once per interval'))
      return
    }
    this.answered.set(peer, now)
    this.answering++
    const { signal, release } = scopedSignal([this.shutdown.signal], EXCHANGE_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: 64, maxBufferSize: 80 })
      const q = decode((await lp.read({ signal })).subarray(), { strict: true }) as { v?: unknown }
      if (q?.v !== 1) throw new SpacewayError('BAD_RELAYS_MESSAGE', 'expected {v: 1}')
      await lp.write(encodeRelays(this.deps.ours()), { signal })
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      log('relays question from %s failed: %s', peer, (err as Error).message)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      release()
      this.answering--
    }
  }
}
