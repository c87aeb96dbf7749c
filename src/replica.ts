/**
 * The replica: the single writer that turns op bytes (from the network or authored here) into stored,
 * applied state. Every op passes the same checks, in this order:
 *
 *   decode + shape/size checks (op.ts) -> duplicate? -> signature -> space known (or being joined)?
 *   -> deps present? (else held back) -> each dep's HLC < the op's HLC -> permission in the
 *   membership state of the op's causal history (core/auth.ts) -> stage -> commit batch
 *   -> release held ops whose deps are now all present (in causal order) -> emit `op` events.
 *
 * All work runs through one queue, so heads and indexes never race.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { InvalidOpError, NotFoundError, PermissionError } from './errors.js'
import { REASON_CODES } from './core/auth.js'
import { HybridClock, hlcKey, type Hlc } from './core/hlc.js'
import { Holdback } from './core/holdback.js'
import { idFromString, idToString } from './core/ids.js'
import { createOp, decodeOp, verifyOp, type Op, type OpType, type Payloads } from './core/op.js'
import { splitOrderKey } from './core/order.js'
import type { Signer } from './core/signing.js'
import { VerifyPool } from './core/verify-pool.js'
import type { OpStore, StagedOp } from './store/op-store.js'

const log = logger('spaceway:replica')

/** What happened to one op handed to `ingest`. */
export type IngestStatus = 'applied' | 'duplicate' | 'held' | 'rejected' | 'ignored'

/** Result of `ingest` for one op. `reason` is set when rejected (an `InvalidOpError.reason`). */
export interface IngestResult { status: IngestStatus, op?: Op, reason?: string, missing?: string[] }

/** Storage limits (the relay sets them; a client has none). */
export interface ReplicaLimits {
  /** Most ops stored per space. */
  maxOpsPerSpace: number
  /** Most bytes of ops stored per space. */
  maxBytesPerSpace: number
}

export interface ReplicaEvents {
  /** An op was applied; `local` is true for ops authored here. */
  op: [op: Op, local: boolean]
  /** An op was held back for missing deps; the network layer asks `source` for them. */
  gap: [spaceId: string, source: string | undefined]
  /** An op from the network was rejected (`message` says which op and why). */
  rejected: [reason: string, source: string | undefined, message: string]
}

/** Ids of the ops a payload names (message, invite, reply; channel of a rename/delete), which must also be deps. */
function payloadRefs (type: OpType, payload: object): string[] {
  const refs: string[] = []
  const fields = type === 'channel.rename' || type === 'channel.delete' ? ['channel'] : ['message', 'reply', 'invite']
  for (const field of fields) {
    const v = (payload as Record<string, unknown>)[field]
    if (v instanceof Uint8Array && v.length === 32) refs.push(idToString(v))
  }
  return refs
}

function parseHlcKey (k: string): Hlc {
  return { wall: parseInt(k.slice(0, 12), 16), counter: parseInt(k.slice(12, 20), 16) }
}

export class Replica extends EventEmitter<ReplicaEvents> {
  readonly store: OpStore
  readonly clock: HybridClock
  private readonly signer: Signer
  private readonly holdback: Holdback
  private readonly joining = new Set<string>()
  private queue: Promise<unknown> = Promise.resolve()
  /** Ops staged and waiting for the next LevelDB batch (group commit). */
  private nextBatch: { staged: StagedOp[], done: Promise<void>, resolve: () => void, reject: (err: unknown) => void } | null = null
  private flushing = false
  /** Ops durably stored (what a relay may call acknowledged). */
  committed = 0
  /** Counters for `network`/metrics: rejected ops by reason. */
  readonly rejectedByReason = new Map<string, number>()

  private readonly verifier: VerifyPool

  private readonly limits: ReplicaLimits

  constructor (store: OpStore, signer: Signer, options: { now?: () => number, maxHeld?: number, limits?: Partial<ReplicaLimits> } = {}) {
    super()
    this.verifier = new VerifyPool()
    this.limits = { maxOpsPerSpace: Infinity, maxBytesPerSpace: Infinity, ...options.limits }
    for (const st of store.spaces.values()) this.committed += st.size
    this.store = store
    this.signer = signer
    let start: Hlc = { wall: 0, counter: 0 }
    for (const s of store.spaces.values()) if (s.maxHlc.wall > start.wall || (s.maxHlc.wall === start.wall && s.maxHlc.counter > start.counter)) start = s.maxHlc
    this.clock = new HybridClock({ now: options.now, start })
    this.holdback = new Holdback(options.maxHeld)
  }

  /** Restores the set of spaces being joined (persisted in the store). */
  async init (): Promise<void> {
    for (const s of await this.store.joining()) this.joining.add(s)
  }

  private run<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  /** Spaces the user asked to join whose `space.create` has not arrived. */
  joiningSpaces (): string[] {
    return [...this.joining].filter(s => !this.store.spaces.has(s))
  }

  /** Stops the signature worker thread. */
  async close (): Promise<void> {
    await this.verifier.close()
  }

  /**
   * Starts wanting a space, so its ops are accepted before its `space.create` arrives. Takes effect
   * at once (callers such as `join` and the relay decide synchronously); the returned promise
   * resolves once it is persisted (failures are logged, never thrown).
   */
  async want (spaceId: string): Promise<void> {
    if (this.store.spaces.has(spaceId) || this.joining.has(spaceId)) return
    this.joining.add(spaceId)
    await this.store.setMeta(`joining!${spaceId}`, true).catch(err => { log.error('cannot persist joining %s: %s', spaceId, (err as Error).message) })
  }

  /** Number of spaces held or being joined. */
  get spaceCount (): number {
    return new Set([...this.store.spaces.keys(), ...this.joining]).size
  }

  /** Forgets a space being joined that never arrived. */
  async unmarkJoining (spaceId: string): Promise<void> {
    this.joining.delete(spaceId)
    await this.store.setMeta(`joining!${spaceId}`, undefined)
  }

  /** True if ops of `spaceId` are wanted here (held, or being joined). */
  wants (spaceId: string): boolean {
    return this.store.spaces.has(spaceId) || this.joining.has(spaceId)
  }

  /** True if ops of `spaceId` are held back for deps that have not arrived. */
  hasGap (spaceId: string): boolean {
    return this.holdback.missingFor(spaceId).length > 0
  }

  /** Held ops dropped because the holdback was full (sync fetches them again). */
  get evictedCount (): number {
    return this.holdback.evicted
  }

  /** Number of ops held back for missing deps. */
  get heldCount (): number {
    return this.holdback.size
  }

  /**
   * Validates and applies ops received from `source` (a PeerId string, for logs and gap sync).
   * Ops may come in any order; ops whose deps are missing are held back. Never throws for bad
   * input: each result says what happened.
   */
  async ingest (batch: Uint8Array[], source?: string): Promise<IngestResult[]> {
    // Decoding and signature checks need no state: they run before the queue (signatures of large
    // batches on a worker thread), so the next batch is checked while this one is applied.
    const decoded = batch.map((bytes): Op | InvalidOpError => {
      try {
        return decodeOp(bytes, { verify: false })
      } catch (err) {
        return err instanceof InvalidOpError ? err : new InvalidOpError('bad_encoding', String(err))
      }
    })
    const candidates = decoded.filter((d): d is Op => !(d instanceof InvalidOpError) && this.wants(d.spaceId) && !this.knows(d))
    const verdicts = await this.verifier.verify(candidates.map(op => op.bytes))
    const signed = new Set(candidates.filter((_, i) => verdicts[i] === true).map(op => op.id))
    const { results, committed } = await this.run(async () => {
      const staged: StagedOp[] = []
      const results = decoded.map(d => d instanceof InvalidOpError ? this.reject(d.reason, source, d) : this.ingestOne(d, signed.has(d.id), source, staged))
      return { results, committed: this.commit(staged) }
    })
    await committed
    return results
  }

  /**
   * Queues the write of staged ops and emits their `op` events once durable. Group commit: while one
   * LevelDB batch is being written, everything staged meanwhile is gathered into the next batch, so a
   * burst of gossip costs a few writes, not one per op. The validation queue is released meanwhile,
   * so the next ops are validated while earlier ones are written (on libuv's thread pool).
   */
  private commit (staged: StagedOp[]): Promise<void> {
    if (staged.length === 0) return Promise.resolve()
    if (this.nextBatch == null) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const done = new Promise<void>((res, rej) => { resolve = res; reject = rej })
      done.catch(() => {})
      this.nextBatch = { staged: [], done, resolve, reject }
    }
    const batch = this.nextBatch
    batch.staged.push(...staged)
    if (!this.flushing) void this.flush()
    return batch.done
  }

  private async flush (): Promise<void> {
    this.flushing = true
    while (this.nextBatch != null) {
      const batch = this.nextBatch
      this.nextBatch = null
      try {
        await this.store.commit(batch.staged)
        this.committed += batch.staged.length
        for (const s of batch.staged) this.emit('op', s.op, s.local === true)
        batch.resolve()
      } catch (err) {
        log.error('store write failed: %s', (err as Error).message)
        batch.reject(err)
      }
    }
    this.flushing = false
  }

  /** Counts a rejection decided outside the replica (e.g. a rate limit), with the same event. */
  countRejected (reason: string, source?: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1)
    this.emit('rejected', reason, source, reason)
  }

  private reject (reason: string, source: string | undefined, err: unknown): IngestResult {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1)
    log('rejected op from %s: %s (%s)', source ?? 'local', reason, (err as Error).message)
    this.emit('rejected', reason, source, (err as Error).message)
    return { status: 'rejected', reason }
  }

  /** True if the op is applied or held already. */
  private knows (op: Op): boolean {
    return this.store.spaces.get(op.spaceId)?.byId.has(op.id) === true || this.holdback.has(op.id)
  }

  /** Validates one decoded op inside the queue; `signed` says whether its signature verified. */
  private ingestOne (op: Op, signed: boolean, source: string | undefined, staged: StagedOp[]): IngestResult {
    const state = this.store.spaces.get(op.spaceId)
    if (this.knows(op)) return { status: 'duplicate', op }
    if (!this.wants(op.spaceId)) return { status: 'ignored', op }
    if (!signed) {
      // Checked before the queue only if wanted and new then; check now if it was skipped.
      try {
        verifyOp(op)
      } catch (err) {
        return this.reject('bad_signature', source, err)
      }
    }
    if (state != null && (state.size >= this.limits.maxOpsPerSpace || state.bytes + op.bytes.length > this.limits.maxBytesPerSpace)) {
      return this.reject('space_full', source, new Error(`space ${op.spaceId} is at its limit (${state.size} ops, ${state.bytes} bytes)`))
    }
    const missing = state == null ? op.deps : op.deps.filter(d => !state.byId.has(d))
    if (missing.length > 0) {
      const evicted = this.holdback.hold(op, missing)
      if (evicted != null) log.error('holdback full: dropped op %s of space %s (sync will fetch it again)', evicted.id, evicted.spaceId)
      log('holding op %s: %d deps missing', op.id, missing.length)
      this.emit('gap', op.spaceId, source)
      return { status: 'held', op, missing }
    }
    const applied = this.applyReady(op, staged, source)
    return applied ?? { status: 'applied', op }
  }

  /** Applies `op` (deps present) and every held op it unblocks. Returns a rejection, if `op` was rejected. */
  private applyReady (first: Op, staged: StagedOp[], source: string | undefined): IngestResult | undefined {
    const todo = [first]
    let firstResult: IngestResult | undefined
    while (todo.length > 0) {
      const op = todo.shift() as Op
      const state = this.store.spaces.get(op.spaceId)
      // Causality: an op's HLC must be after each of its deps' (HLCs respect happened-before).
      const own = hlcKey(op.hlc)
      const late = state == null ? undefined : op.deps.find(d => splitOrderKey(state.byId.get(d) ?? '').hlcKey >= own)
      if (late != null) {
        const r = this.reject('bad_hlc', source, new Error(`op ${op.id} has an HLC not after its dep ${late}`))
        if (op === first) firstResult = r
        continue
      }
      const denied = state?.authorize(op)
      if (denied != null) {
        const r = this.reject(denied.reason, source, new Error(`op ${op.id} (${op.type} by ${op.author}): ${denied.message}`))
        if (op === first) firstResult = r
        continue
      }
      const s = this.store.stage(op)
      if (s == null) continue
      staged.push(s)
      this.clock.observe(op.hlc)
      todo.push(...this.holdback.applied(op.id))
    }
    return firstResult
  }

  /**
   * Authors an op here: deps = the space's current heads plus any op its payload names (edit,
   * delete, reply, join's invite), HLC after every dep, signed, checked by the same `authorize` every
   * peer applies, stored, applied. Returns the op once it is durable. `onStaged` is called with the
   * signed op as soon as it is applied in memory, before the write completes (callers publish it
   * there, so the network does not wait on the disk).
   * @throws NotFoundError if the space is not held here
   * @throws PermissionError (FORBIDDEN, BANNED, INVITE_*...) if the space's rules refuse the op;
   *   nothing is stored or sent then
   */
  async author<T extends OpType> (type: T, spaceId: string | null, payload: Payloads[T], onStaged?: (op: Op<T>) => void): Promise<Op<T>> {
    return await this.run(async () => {
      let deps: string[] = []
      if (spaceId != null) {
        const state = this.store.spaces.get(spaceId)
        if (state == null) throw new NotFoundError(`space ${spaceId} is not held here`)
        deps = [...new Set([...state.heads, ...payloadRefs(type, payload)])]
        for (const d of deps) {
          const k = state.byId.get(d)
          if (k != null) this.clock.observe(parseHlcKey(k), true)
        }
      }
      const op = createOp({ type, space: spaceId == null ? null : idFromString(spaceId), hlc: this.clock.tick(), deps: deps.map(idFromString), payload }, this.signer)
      const denied = spaceId == null ? null : this.store.spaces.get(spaceId)?.authorize(op)
      if (denied != null) throw new PermissionError(REASON_CODES[denied.reason] ?? 'FORBIDDEN', denied.reason, denied.message)
      const s = this.store.stage(op)
      onStaged?.(op)
      return { op, committed: this.commit(s == null ? [] : [{ ...s, local: true }]) }
    }).then(async ({ op, committed }) => {
      await committed
      return op
    })
  }

  /** A fresh 16-byte nonce for `space.create`. */
  static nonce (): Uint8Array {
    return new Uint8Array(randomBytes(16))
  }
}
