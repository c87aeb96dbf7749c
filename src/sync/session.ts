/**
 * One reconciliation of one space between two peers, over any message channel (the network layer
 * provides a libp2p stream; tests provide an in-memory pair). See docs/PROTOCOL.md for the exchange:
 *
 *   initiator: rec(ranges)  ->
 *   responder:              <- [ops...] rec(ranges, want) | [ops...] done | unknown
 *   ... each side answers a rec with the ops the peer lacks or asked for, then either a rec (if it
 *   still has ranges to compare or ids to ask for) or done.
 */
import { SyncProtocolError } from '../errors.js'
import { encodeSyncMessage, OPS_CHUNK_BYTES, type JoinAuth, type SyncMessage } from './messages.js'
import { initiate, reconcile } from './rbsr.js'

/** Most rec round trips in one session (a hostile peer cannot keep a session alive forever). */
export const MAX_ROUNDS = 64

/**
 * Most `ops` messages of one session being validated at once; the next message is read only when
 * one of them is done (backpressure: a fast peer cannot queue unbounded work in our memory).
 */
export const MAX_PENDING_INGESTS = 2

/** A bidirectional channel of sync messages. `receive` throws on end of stream or deadline. */
export interface SyncChannel {
  send: (m: SyncMessage) => Promise<void>
  receive: () => Promise<SyncMessage>
}

/** What sync needs from the local replica. */
export interface SyncHost {
  /** Sorted order keys of the space's ops; null if the space is neither held nor being joined. */
  keys: (spaceId: string) => readonly string[] | null
  /** Signed bytes of the given ops of the space, in HLC order (unknown ids are skipped). */
  getOps: (spaceId: string, ids: string[]) => Promise<Uint8Array[]>
  /**
   * Optional: asked before `bytes` more of ops are sent to the peer (a budget per peer); false ends
   * the session with a SyncProtocolError.
   */
  maySend?: (bytes: number) => boolean
  /**
   * Optional: asked when the peer reconciles a space that `keys` does not know. `peerHasOps` is false
   * when the peer's opening message is an empty id list (it holds nothing of the space). True starts
   * holding the space (the relay); `keys` must then return [] for it.
   */
  adopt?: (spaceId: string, peerHasOps: boolean) => boolean
  /** Validates and applies ops of `spaceId` received from the peer. */
  ingest: (ops: Uint8Array[], spaceId: string) => Promise<void>
  /** Optional: called once the session is over (both sides done), before it resolves. */
  finish?: () => Promise<void>
  /**
   * Optional (responder): may this peer reconcile this space (a private space: a member, a trusted
   * relay, or a joiner with `auth`)? Null: yes; a reason: the answer is `unknown` with it.
   */
  admit?: (space: string, auth?: JoinAuth) => string | null
  /** Optional (initiator): the credential to open a session on `space` with (while joining it). */
  auth?: (space: string) => JoinAuth | undefined
}

/** Figures of one session. Bytes count encoded messages without their length prefixes. */
export interface SyncStats {
  spaceId: string
  /** 'unknown' when the responder does not hold the space (or will not give it to us). */
  outcome: 'done' | 'unknown'
  /** Why the responder will not give us the space, when it said (`invite_only`, `invite_exhausted`...). */
  refusal?: string
  opsSent: number
  opsReceived: number
  bytesSent: number
  bytesReceived: number
  rounds: number
  /** True if we held ops of the space when the session began (initiator: we offered it). */
  offered: boolean
  /** When the session began, ms since the epoch (ops written before it were in the sets reconciled). */
  startedAt: number
}

class Session {
  readonly stats: SyncStats
  /** Ops sent in this session: never sent twice, whatever the peer asks. */
  private readonly sent = new Set<string>()
  constructor (private readonly ch: SyncChannel, private readonly host: SyncHost, spaceId: string) {
    this.stats = { spaceId, outcome: 'done', opsSent: 0, opsReceived: 0, bytesSent: 0, bytesReceived: 0, rounds: 0, offered: false, startedAt: Date.now() }
  }

  async send (m: SyncMessage): Promise<void> {
    this.stats.bytesSent += encodeSyncMessage(m).length
    await this.ch.send(m)
  }

  async receive (): Promise<SyncMessage> {
    const m = await this.ch.receive()
    this.stats.bytesReceived += encodeSyncMessage(m).length
    return m
  }

  async sendOps (wanted: string[]): Promise<void> {
    const ids = wanted.filter(id => !this.sent.has(id))
    if (ids.length === 0) return
    for (const id of ids) this.sent.add(id)
    const ops = await this.host.getOps(this.stats.spaceId, ids)
    if (this.host.maySend != null && !this.host.maySend(ops.reduce((n, o) => n + o.length, 0))) {
      throw new SyncProtocolError('the peer is over its sync budget; try later')
    }
    let chunk: Uint8Array[] = []
    let size = 0
    for (const op of ops) {
      chunk.push(op)
      size += op.length
      if (size >= OPS_CHUNK_BYTES) {
        await this.send({ t: 'ops', ops: chunk })
        chunk = []
        size = 0
      }
    }
    if (chunk.length > 0) await this.send({ t: 'ops', ops: chunk })
    this.stats.opsSent += ops.length
  }

  /**
   * Reads until the peer's next rec, applying ops on the way; null when the peer is done. Ops
   * messages are handed to the host without waiting, so the next one is read (and validated) while
   * the previous is written; all are applied before the rec is answered or the session ends.
   */
  async nextRec (): Promise<Extract<SyncMessage, { t: 'rec' }> | null> {
    const pending: Array<Promise<void>> = []
    try {
      return await this.readUntilRec(pending)
    } finally {
      await Promise.all(pending)
    }
  }

  private async readUntilRec (pending: Array<Promise<void>>): Promise<Extract<SyncMessage, { t: 'rec' }> | null> {
    for (;;) {
      const m = await this.receive()
      if (m.t === 'ops') {
        this.stats.opsReceived += m.ops.length
        while (pending.length >= MAX_PENDING_INGESTS) await pending.shift()
        const p = this.host.ingest(m.ops, this.stats.spaceId)
        p.catch(() => {})
        pending.push(p)
      } else if (m.t === 'done') {
        return null
      } else if (m.t === 'unknown') {
        this.stats.outcome = 'unknown'
        if (m.reason != null) this.stats.refusal = m.reason
        return null
      } else {
        if (m.space !== this.stats.spaceId) throw new SyncProtocolError('rec for another space in the same session')
        return m
      }
    }
  }

  /** Answers recs until one side is done. */
  async converse (first: Extract<SyncMessage, { t: 'rec' }> | null): Promise<SyncStats> {
    let incoming = first
    while (incoming != null) {
      if (++this.stats.rounds > MAX_ROUNDS) throw new SyncProtocolError(`more than ${MAX_ROUNDS} rounds`)
      const keys = this.host.keys(this.stats.spaceId) ?? []
      let step: ReturnType<typeof reconcile>
      try {
        step = reconcile(keys, incoming.ranges)
      } catch (err) {
        throw new SyncProtocolError((err as Error).message)
      }
      await this.sendOps([...new Set([...step.have, ...incoming.want])])
      if (step.ranges.length === 0 && step.need.length === 0) {
        await this.send({ t: 'done' })
        return this.stats
      }
      await this.send({ t: 'rec', space: this.stats.spaceId, ranges: step.ranges, want: step.need })
      incoming = await this.nextRec()
    }
    return this.stats
  }
}

/**
 * Runs a session as the side that opened the stream: reconciles `spaceId` and applies what the
 * peer had that we lacked. Throws SyncProtocolError (or the channel's errors) on failure.
 */
export async function syncAsInitiator (ch: SyncChannel, host: SyncHost, spaceId: string): Promise<SyncStats> {
  const session = new Session(ch, host, spaceId)
  const auth = host.auth?.(spaceId)
  const keys = host.keys(spaceId) ?? []
  session.stats.offered = keys.length > 0
  await session.send({ t: 'rec', space: spaceId, ranges: initiate(keys), want: [], ...(auth != null ? { auth } : {}) })
  const stats = await session.converse(await session.nextRec())
  await host.finish?.()
  return stats
}

/**
 * Runs a session as the side that accepted the stream. Answers `unknown` when the space is not held.
 * Returns null in that case.
 */
export async function syncAsResponder (ch: SyncChannel, host: SyncHost): Promise<SyncStats | null> {
  const first = await ch.receive()
  if (first.t !== 'rec') throw new SyncProtocolError(`expected rec, got ${first.t}`)
  const refusal = host.admit?.(first.space, first.auth) ?? null
  if (refusal != null) {
    await ch.send({ t: 'unknown', reason: refusal })
    return null
  }
  if (host.keys(first.space) == null) {
    const empty = first.ranges.length === 1 && first.ranges[0].mode === 'ids' && first.ranges[0].ids.length === 0
    if (host.adopt?.(first.space, !empty) !== true) {
      await ch.send({ t: 'unknown' })
      return null
    }
  }
  const session = new Session(ch, host, first.space)
  session.stats.bytesReceived += encodeSyncMessage(first).length
  const stats = await session.converse(first)
  await host.finish?.()
  return stats
}
