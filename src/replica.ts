/**
 * The replica: the single writer that turns op bytes (from the network or authored here) into stored,
 * applied state. Every op passes the same checks, in this order:
 *
 *   decode + shape/size checks (op.ts) -> duplicate in the batch, applied, held, or rejected before?
 *   -> space wanted? -> budget of the peer it came from (PeerGuard) -> signature -> more than the
 *   drift bound in the future? (kept aside until due) -> deps present? (else held back, if admitted)
 *   -> each dep's HLC < the op's HLC -> permission in the membership state of the op's causal
 *   history (core/auth.ts) -> stage -> commit batch -> release held ops whose deps are now all
 *   present (in causal order) -> emit `op` events.
 *
 * Ops rejected for a reason every replica agrees on are remembered (bounded), so a copy sent again
 * costs a lookup, not a signature check; their senders are reported to the PeerGuard.
 * All work runs through one queue, so heads and indexes never race.
 */
import { EventEmitter } from 'node:events'
import { META } from './store/layout.js'
import { randomBytes } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { InvalidOpError, NotFoundError, PermissionError } from './errors.js'
import { MEMBERSHIP_TYPES, REASON_CODES } from './core/auth.js'
import { BoundedMap } from './core/bounded.js'
import { depsFor, MAX_MEMBERSHIP_DEPS, payloadRefs } from './core/deps.js'
import { FutureOps, type FUTURE_DEFAULTS } from './core/future.js'
import { DEFAULT_MAX_DRIFT_MS, HybridClock, hlcKey, type Hlc } from './core/hlc.js'
import { Holdback, type HOLDBACK_DEFAULTS } from './core/holdback.js'
import { idFromString, idToString } from './core/ids.js'
import { createOp, decodeOp, MAX_DEPS, type Op, type OpType, type Payloads } from './core/op.js'
import { splitOrderKey } from './core/order.js'
import { syncIdOf } from './core/rendezvous.js'
import type { Signer } from './core/signing.js'
import type { SpaceState } from './core/space-state.js'
import type { Envelope } from './core/envelope.js'
import { VerifyPool } from './core/verify-pool.js'
import type { PeerGuard } from './net/peer-guard.js'
import type { OpStore, StagedOp } from './store/op-store.js'

const log = logger('spaceway:replica')

/**
 * What happened to one op handed to `ingest`: applied; a duplicate of one applied, held or in the
 * same batch; held back for missing deps; deferred (from the future, kept until due); rejected
 * (invalid, `reason` says why); ignored (space not wanted, over a budget, or not admitted to the
 * holdback: `reason` says which; sync brings it again later).
 */
export type IngestStatus = 'applied' | 'duplicate' | 'held' | 'deferred' | 'rejected' | 'ignored'

/** Result of `ingest` for one op. `reason` is set when rejected or ignored. */
export interface IngestResult { status: IngestStatus, op?: Op, reason?: string, missing?: string[] }

/** Storage limits (the relay sets them; a client has none). */
export interface ReplicaLimits {
  /** Most ops stored per space. */
  maxOpsPerSpace: number
  /** Most bytes of ops stored per space. */
  maxBytesPerSpace: number
}

export interface ReplicaOptions {
  /** Physical clock, ms since the epoch (tests inject one). */
  now?: () => number
  /** How far ahead of our clock an op may be and still be applied, ms (default 60,000). */
  maxDriftMs?: number
  limits?: Partial<ReplicaLimits>
  holdback?: Partial<typeof HOLDBACK_DEFAULTS>
  future?: Partial<typeof FUTURE_DEFAULTS>
  /** Budgets and penalties per peer (the network layer's); without one, nothing is budgeted. */
  guard?: PeerGuard
  /** Most rejected op ids remembered (default 100,000). */
  maxRemembered?: number
  /**
   * Store quota per peer (the relay's): asked before an op of `bytes` that `source` delivered is
   * stored; false refuses it (`rate_limited`, not remembered: sync brings it again later).
   */
  admitStore?: (source: string, bytes: number) => boolean
}

export interface ReplicaEvents {
  /** An op was applied and is durable (written to LevelDB); `local` is true for ops authored here. */
  op: [op: Op, local: boolean]
  /**
   * An op was validated and applied in memory; its LevelDB write follows (then `op`). Reads of the
   * store wait for that write (OpStore `setWriteBarrier`), so a listener may read the op at once.
   * If the write fails the op is not durable here, and sync brings it back from a peer.
   */
  staged: [op: Op, local: boolean]
  /** An op was authored here and applied in memory (not yet durable): publish it now. */
  authored: [op: Op]
  /** An op was held back for missing deps; the network layer asks `source` for them. */
  gap: [spaceId: string, source: string | undefined]
  /** An op from the network was rejected (`message` says which op and why). */
  rejected: [reason: string, source: string | undefined, message: string]
}

/**
 * Seals a content op of a private space: given the envelope chosen for it (type, space, author, HLC,
 * deps), returns the payload to sign (core/envelope.ts `sealPayload`).
 */
export type Sealer = (env: Envelope) => object

/** Batches of at most this many ops (live gossip) take the urgent lane of the writer. */
export const URGENT_BATCH = 4
/** Ops applied per task of the writer when a large batch (sync) is ingested. */
export const INGEST_CHUNK = 64

/**
 * Longest a sync batch waits for its peer's op budget to refill (net/peer-guard.ts
 * `takeOpsPaced`), ms: below the sync read deadline (SYNC_READ_TIMEOUT_MS, 15 s), so the peer's
 * session goes on.
 */
export const BULK_BUDGET_WAIT_MS = 10_000

/** How long a space asked for (`want`) stays wanted across restarts without arriving, ms. */
export const JOINING_TTL_MS = 10 * 60_000

/** How long an op not admitted to the holdback counts as a gap of its space (to be repaired by sync), ms. */
export const UNADMITTED_GAP_MS = 5000

/** Rejection reasons that depend on this replica's own limits, not on the op: never remembered. */
const LOCAL_REASONS = new Set(['space_full', 'rate_limited'])

function parseHlcKey (k: string): Hlc {
  return { wall: parseInt(k.slice(0, 12), 16), counter: parseInt(k.slice(12, 20), 16) }
}

export class Replica extends EventEmitter<ReplicaEvents> {
  readonly store: OpStore
  private readonly signer: Signer
  private readonly holdback: Holdback
  private readonly future: FutureOps
  private readonly joining = new Set<string>()
  private readonly clocks = new Map<string, HybridClock>()
  private readonly rejectedIds: BoundedMap<string, string>
  /** Sync id -> space id of the spaces held or wanted (see `spaceOfSync`), as of `bySyncIdAt`. */
  private readonly bySyncId = new Map<string, string>()
  private bySyncIdAt = -1
  /** Bumped whenever a space is added or wanted. */
  private spacesVersion = 0
  /** Space id -> when an op of it with missing deps was last not admitted to the holdback (ms). */
  private readonly unadmitted = new BoundedMap<string, number>(1000)
  /**
   * Bulk batches (sync) in flight, per source, oldest first: their op ids, and a promise that
   * resolves once the batch has queued all its chunks on the writer. A source's batches are applied
   * in the order they were handed over (a session sends ops in causal order), though the next one's
   * signatures are checked while the previous one is applied.
   */
  private readonly inFlight = new Map<string, Array<{ ids: Set<string>, queued: Promise<void> }>>()
  private readonly now: () => number
  private readonly maxDriftMs: number
  private readonly guard?: PeerGuard
  private readonly admitStore?: (source: string, bytes: number) => boolean
  private futureTimer?: NodeJS.Timeout
  private readonly lanes: Record<'urgent' | 'bulk', Array<{ fn: () => Promise<unknown>, resolve: (v: unknown) => void, reject: (err: unknown) => void }>> = { urgent: [], bulk: [] }
  private working = false
  /** Ops staged and waiting for the next LevelDB batch (group commit). */
  private nextBatch: { staged: StagedOp[], done: Promise<void>, resolve: () => void, reject: (err: unknown) => void } | null = null
  private flushing = false
  /** The batch being written now (settles after its `op` events), if any. */
  private writing: Promise<void> | null = null
  /** Ops durably stored (what a relay may call acknowledged). */
  committed = 0
  /** Counters for `network`/metrics: rejected ops by reason. */
  readonly rejectedByReason = new Map<string, number>()
  /** Signature checks run so far (each new op is checked once). */
  signatureChecks = 0
  /** Counters for `network`/metrics: ops ignored by reason (over budget, not admitted...). */
  readonly ignoredByReason = new Map<string, number>()

  private readonly verifier: VerifyPool
  private readonly limits: ReplicaLimits

  constructor (store: OpStore, signer: Signer, options: ReplicaOptions = {}) {
    super()
    this.verifier = new VerifyPool()
    this.limits = { maxOpsPerSpace: Infinity, maxBytesPerSpace: Infinity, ...options.limits }
    for (const st of store.spaces.values()) this.committed += st.size
    this.store = store
    this.signer = signer
    this.now = options.now ?? Date.now
    this.maxDriftMs = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS
    this.guard = options.guard
    this.admitStore = options.admitStore
    this.holdback = new Holdback(options.holdback)
    this.future = new FutureOps(options.future)
    this.rejectedIds = new BoundedMap(options.maxRemembered ?? 100_000)
    store.setWriteBarrier(async () => { await this.written() })
  }

  /**
   * Resolves once every op staged so far is written (or its write failed: the error went to the
   * ops' author or ingester). Ops staged after the call are not waited for. Never rejects.
   */
  async written (): Promise<void> {
    const waits = [this.writing, this.nextBatch?.done].filter((p): p is Promise<void> => p != null)
    if (waits.length > 0) await Promise.allSettled(waits)
  }

  /**
   * Restores the set of spaces being joined (persisted in the store). Marks older than JOINING_TTL_MS
   * (a join that never finished: the process died meanwhile) are dropped.
   */
  async init (): Promise<void> {
    for (const [s, at] of await this.store.metaRange<unknown>(META.joiningPrefix)) {
      if (this.store.spaces.has(s)) continue
      if (typeof at === 'number' && this.now() - at < JOINING_TTL_MS) this.joining.add(s)
      else await this.store.setMeta(META.joining(s), undefined)
    }
  }

  /**
   * Runs `fn` on the single writer. Two lanes, each first in first out: `urgent` (ops authored here,
   * and small batches - live gossip) runs before `bulk` (sync batches, in chunks), so a flood being
   * ingested delays a chat message by one chunk at most.
   */
  private run<T> (fn: () => Promise<T>, lane: 'urgent' | 'bulk' = 'urgent'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.lanes[lane].push({ fn, resolve: resolve as (v: unknown) => void, reject })
      if (!this.working) void this.work()
    })
  }

  private async work (): Promise<void> {
    this.working = true
    for (;;) {
      const task = this.lanes.urgent.shift() ?? this.lanes.bulk.shift()
      if (task == null) break
      try {
        task.resolve(await task.fn())
      } catch (err) {
        task.reject(err)
      }
    }
    this.working = false
  }

  /**
   * The clock of a space (one per space, so no space's ops can move another's timestamps). It starts
   * after the newest op of the space that is not in the future, so an op stored with a broken
   * timestamp cannot push it out of range.
   */
  clockFor (spaceId: string): HybridClock {
    let c = this.clocks.get(spaceId)
    if (c == null) {
      c = new HybridClock({ now: this.now, maxDriftMs: this.maxDriftMs, start: this.store.spaces.get(spaceId)?.maxHlcUpTo(this.now() + this.maxDriftMs) })
      this.clocks.set(spaceId, c)
    }
    return c
  }

  /** Spaces the user asked to join whose `space.create` has not arrived. */
  joiningSpaces (): string[] {
    return [...this.joining].filter(s => !this.store.spaces.has(s))
  }

  /** Stops the signature worker thread and the timer of deferred ops; waits for the ops staged so far to be written. */
  async close (): Promise<void> {
    if (this.futureTimer != null) clearTimeout(this.futureTimer)
    this.futureTimer = undefined
    await this.written()
    await this.verifier.close()
  }

  /**
   * Starts wanting a space, so its ops are accepted before its `space.create` arrives. Takes effect
   * at once (callers such as `join` decide synchronously); the returned promise resolves once it is
   * persisted (failures are logged, never thrown).
   */
  async want (spaceId: string): Promise<void> {
    if (this.store.spaces.has(spaceId) || this.joining.has(spaceId)) return
    this.joining.add(spaceId)
    this.spacesVersion++
    await this.store.setMeta(META.joining(spaceId), this.now()).catch(err => { log.error('cannot persist joining %s: %s', spaceId, (err as Error).message) })
  }

  /**
   * The space (held or wanted) a sync session names by `syncId` (core/rendezvous.ts), if any. The
   * table is rebuilt when a space was added since (cheap: one hash per space).
   */
  spaceOfSync (syncId: string): string | undefined {
    if (this.bySyncIdAt !== this.spacesVersion) {
      this.bySyncId.clear()
      for (const s of new Set([...this.store.spaces.keys(), ...this.joining])) this.bySyncId.set(syncIdOf(s), s)
      this.bySyncIdAt = this.spacesVersion
    }
    const hit = this.bySyncId.get(syncId)
    return hit != null && this.wants(hit) ? hit : undefined
  }

  /** Number of spaces held or being joined. */
  get spaceCount (): number {
    return new Set([...this.store.spaces.keys(), ...this.joining]).size
  }

  /** Forgets a space being joined that never arrived. */
  async unmarkJoining (spaceId: string): Promise<void> {
    this.joining.delete(spaceId)
    await this.store.setMeta(META.joining(spaceId), undefined)
  }

  /** True if ops of `spaceId` are wanted here (held, or being joined). */
  wants (spaceId: string): boolean {
    return this.store.spaces.has(spaceId) || this.joining.has(spaceId)
  }

  /**
   * True if ops of `spaceId` are held back for deps that have not arrived, or an op of it with
   * missing deps was not admitted to the holdback in the last UNADMITTED_GAP_MS.
   */
  hasGap (spaceId: string): boolean {
    if (this.now() - (this.unadmitted.get(spaceId) ?? -Infinity) < UNADMITTED_GAP_MS) return true
    return this.holdback.missingFor(spaceId).length > 0
  }

  /** Held ops dropped because the holdback was full, refused for a peer's share, or expired. */
  get evictedCount (): number {
    return this.holdback.evicted + this.holdback.refused + this.holdback.expired
  }

  /** Number of ops held back for missing deps. */
  get heldCount (): number {
    return this.holdback.size
  }

  /** Number of ops from the future kept until due. */
  get deferredCount (): number {
    return this.future.size
  }

  /** True if the op `id` was rejected before (and is remembered). */
  isRejected (id: string): boolean {
    return this.rejectedIds.has(id)
  }

  /**
   * Validates and applies ops received from `source` (a PeerId string, for budgets, logs and gap
   * sync). Ops may come in any order; ops whose deps are missing are held back. Never throws for bad
   * input: each result says what happened. Resolves once the ops are durable, or with `staged`
   * once they are validated and applied in memory (their `op` events still follow the write): a
   * GossipSub validator forwards an op without waiting for our disk.
   */
  async ingest (batch: Uint8Array[], source?: string, options: { staged?: boolean } = {}): Promise<IngestResult[]> {
    const results: IngestResult[] = new Array(batch.length)
    const inBatch = new Set<string>()
    const fresh: Array<{ i: number, op: Op }> = []
    const lane = batch.length <= URGENT_BATCH ? 'urgent' : 'bulk'
    // A bulk batch takes its turn behind the same source's earlier ones; their ops count as present
    // (they are applied before this batch is).
    const turns = lane === 'bulk' ? this.inFlight.get(source ?? '') ?? [] : []
    const earlier = turns.slice()
    let queued!: () => void
    const turn = { ids: inBatch, queued: new Promise<void>(resolve => { queued = resolve }) }
    if (lane === 'bulk') {
      turns.push(turn)
      this.inFlight.set(source ?? '', turns)
    }
    try {
      return await this.ingestInTurn(batch, source, lane, results, inBatch, fresh, earlier, queued, options.staged === true)
    } finally {
      queued()
      const i = turns.indexOf(turn)
      if (i >= 0) turns.splice(i, 1)
      if (lane === 'bulk' && turns.length === 0 && this.inFlight.get(source ?? '') === turns) this.inFlight.delete(source ?? '')
    }
  }

  private async ingestInTurn (batch: Uint8Array[], source: string | undefined, lane: 'urgent' | 'bulk', results: IngestResult[], inBatch: Set<string>, fresh: Array<{ i: number, op: Op }>, earlier: Array<{ ids: Set<string>, queued: Promise<void> }>, queued: () => void, staged: boolean): Promise<IngestResult[]> {
    const present = (id: string): boolean => inBatch.has(id) || earlier.some(t => t.ids.has(id))
    // Decoding needs no state and is cheap; duplicates (in the batch, applied, held, rejected
    // before) are dropped here, before any signature check.
    for (let i = 0; i < batch.length; i++) {
      let op: Op
      try {
        op = decodeOp(batch[i], { verify: false })
      } catch (err) {
        results[i] = this.reject(err instanceof InvalidOpError ? err.reason : 'bad_encoding', source, err as Error)
        continue
      }
      const remembered = this.rejectedIds.get(op.id)
      if (remembered != null) {
        results[i] = { status: 'rejected', reason: remembered }
        this.count(this.rejectedByReason, remembered)
        if (source != null) this.guard?.invalid(source, remembered)
        continue
      }
      if (inBatch.has(op.id) || this.knows(op)) { results[i] = { status: 'duplicate', op }; continue }
      inBatch.add(op.id)
      if (!this.wants(op.spaceId)) { results[i] = { status: 'ignored', op, reason: 'unwanted' }; continue }
      const state = this.store.spaces.get(op.spaceId)
      const missing = state == null ? [] : op.deps.filter(d => !state.byId.has(d) && !present(d))
      if (state != null && missing.length > 0 && !this.admissible(op, state, missing)) {
        // Deps missing and the author no member as things stand: not admitted, not even checked.
        results[i] = this.notAdmitted(op, source)
        continue
      }
      fresh.push({ i, op })
    }
    // The peer's budget, then signatures (large batches on a worker thread, so the next batch is
    // checked while this one is applied).
    // A sync batch (bulk: its stream waits while we do) waits for the peer's budget to refill; live
    // gossip over budget is ignored at once.
    const admitted = source == null || this.guard == null
      ? fresh.length
      : lane === 'bulk' ? await this.guard.takeOpsPaced(source, fresh.length, BULK_BUDGET_WAIT_MS) : this.guard.takeOps(source, fresh.length)
    for (const { i, op } of fresh.slice(admitted)) results[i] = this.ignore(op, 'rate_limited')
    const checked = fresh.slice(0, admitted)
    this.signatureChecks += checked.length
    const verdicts = await this.verifier.verify(checked.map(c => c.op))
    for (const t of earlier) await t.queued
    // Applied in chunks, each its own task, so urgent work (our own ops, live gossip) runs between.
    const commits: Array<Promise<void>> = []
    for (let from = 0; from < checked.length; from += INGEST_CHUNK) {
      const chunk = checked.slice(from, from + INGEST_CHUNK)
      // Backpressure: a bulk batch stays at most two chunks ahead of the disk, so an op authored
      // meanwhile (written after everything staged before it) waits for a few chunks, not thousands.
      if (commits.length >= 2) await commits[commits.length - 2].catch(() => {})
      const { committed } = await this.run(async () => {
        const staged: StagedOp[] = []
        chunk.forEach(({ i, op }, k) => {
          results[i] = verdicts[from + k] === true ? this.ingestOne(op, source, staged) : this.rejectOp(op, 'bad_signature', source, new Error(`op ${op.id}: signature does not verify`))
        })
        return { committed: this.commit(staged) }
      }, lane)
      commits.push(committed)
    }
    queued()
    if (!staged) await Promise.all(commits)
    return results
  }

  /**
   * Emits the `staged` events of staged ops, queues their write and emits their `op` events once
   * durable. Group commit: while one LevelDB batch is being written, everything staged meanwhile is
   * gathered into the next batch, so a burst of gossip costs a few writes, not one per op. The
   * validation queue is released meanwhile, so the next ops are validated while earlier ones are
   * written (on libuv's thread pool).
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
    for (const s of staged) {
      // a listener's failure must not fail the ingest or the write of ops that are valid
      try { this.emit('staged', s.op, s.local === true) } catch (err) { log.error('a staged-op listener failed on %s: %s', s.op.id, (err as Error).message) }
    }
    if (!this.flushing) void this.flush()
    return batch.done
  }

  private async flush (): Promise<void> {
    this.flushing = true
    while (this.nextBatch != null) {
      const batch = this.nextBatch
      this.nextBatch = null
      this.writing = batch.done
      try {
        const w0 = performance.now()
        await this.store.commit(batch.staged)
        const w1 = performance.now()
        if (w1 - w0 > 30) log('wrote %d ops in %d ms', batch.staged.length, Math.round(w1 - w0))
        this.committed += batch.staged.length
        for (const s of batch.staged) this.emit('op', s.op, s.local === true)
        batch.resolve()
      } catch (err) {
        log.error('store write failed: %s', (err as Error).message)
        batch.reject(err)
      }
    }
    this.writing = null
    this.flushing = false
  }

  private count (map: Map<string, number>, reason: string): void {
    map.set(reason, (map.get(reason) ?? 0) + 1)
  }

  /** Counts a rejection decided outside the replica (e.g. a rate limit), with the same event. */
  countRejected (reason: string, source?: string): void {
    this.count(this.rejectedByReason, reason)
    this.emit('rejected', reason, source, reason)
  }

  private reject (reason: string, source: string | undefined, err: Error): IngestResult {
    this.count(this.rejectedByReason, reason)
    log('rejected op from %s: %s (%s)', source ?? 'local', reason, err.message)
    this.emit('rejected', reason, source, err.message)
    if (source != null && !LOCAL_REASONS.has(reason)) this.guard?.invalid(source, reason)
    return { status: 'rejected', reason }
  }

  /** Rejects a decoded op, remembering its id when every replica would reject it too. */
  private rejectOp (op: Op, reason: string, source: string | undefined, err: Error): IngestResult {
    if (!LOCAL_REASONS.has(reason)) this.rejectedIds.set(op.id, reason)
    return this.reject(reason, source, err)
  }

  /**
   * Whether an op whose deps `missing` are not applied may wait in the holdback: a membership op (a
   * join whose invite has not arrived), an op by a member of the space as it stands, or one that
   * builds on an op held already (e.g. the author's own join, waiting for its invite). Anything else
   * could not be valid as far as we know: not held (sync brings it again with its deps).
   */
  private admissible (op: Op, state: SpaceState, missing: string[]): boolean {
    return MEMBERSHIP_TYPES.has(op.type) || state.members.roleOf(op.author) != null || missing.some(d => this.holdback.has(d))
  }

  /**
   * An op whose deps are missing and whose author is not a member as things stand: not held. Its
   * deps may make it valid (e.g. the author's join, not here yet), so the gap is repaired by a sync
   * with its sender. (Not a penalty: range-based reconciliation may send an op before its deps in
   * the same session, and the sync host tries such ops again at the session's end.)
   */
  private notAdmitted (op: Op, source: string | undefined): IngestResult {
    this.unadmitted.set(op.spaceId, this.now())
    this.emit('gap', op.spaceId, source)
    return this.ignore(op, 'not_admitted')
  }

  private ignore (op: Op, reason: string): IngestResult {
    this.count(this.ignoredByReason, reason)
    return { status: 'ignored', op, reason }
  }

  /** True if the op is applied, held or deferred already. */
  private knows (op: Op): boolean {
    return this.store.spaces.get(op.spaceId)?.byId.has(op.id) === true || this.holdback.has(op.id) || this.future.has(op.id)
  }

  /** Validates one decoded op (signature checked) inside the queue. */
  private ingestOne (op: Op, source: string | undefined, staged: StagedOp[]): IngestResult {
    const state = this.store.spaces.get(op.spaceId)
    if (this.knows(op)) return { status: 'duplicate', op }
    if (!this.wants(op.spaceId)) return this.ignore(op, 'unwanted')
    const now = this.now()
    if (op.hlc.wall > now + this.maxDriftMs) {
      // From the future: neither applied nor forwarded until it is due (docs/PROTOCOL.md "Time").
      if (!this.future.hold(op, source ?? '', op.hlc.wall - this.maxDriftMs, now)) return this.ignore(op, 'future')
      this.scheduleFuture()
      return { status: 'deferred', op }
    }
    if (state != null && (state.size >= this.limits.maxOpsPerSpace || state.bytes + op.bytes.length > this.limits.maxBytesPerSpace)) {
      return this.reject('space_full', source, new Error(`space ${op.spaceId} is at its limit (${state.size} ops, ${state.bytes} bytes)`))
    }
    if (source != null && this.admitStore != null && !this.admitStore(source, op.bytes.length)) {
      return this.reject('rate_limited', source, new Error(`peer ${source} is over its store quota`))
    }
    const missing = state == null ? op.deps : op.deps.filter(d => !state.byId.has(d))
    if (missing.length > 0) {
      // Admission: only what could be valid is held - membership ops (a join whose invite has not
      // arrived), or ops by a member of the space as it stands. Anything else waits for sync.
      if (state != null && !this.admissible(op, state, missing)) return this.notAdmitted(op, source)
      for (const e of this.holdback.expire(now)) log('held op %s expired (its deps did not arrive)', e.id)
      const { evicted, refused } = this.holdback.hold(op, missing, source ?? '', now)
      if (refused === true) return this.ignore(op, 'holdback_full')
      if (evicted != null) log.error('holdback full: dropped op %s of space %s (sync will fetch it again)', evicted.id, evicted.spaceId)
      log('holding op %s: %d deps missing', op.id, missing.length)
      this.emit('gap', op.spaceId, source)
      return { status: 'held', op, missing }
    }
    const applied = this.applyReady(op, staged, source)
    return applied ?? { status: 'applied', op }
  }

  /** Re-ingests deferred ops when the first of them is due. */
  private scheduleFuture (): void {
    const due = this.future.nextDue()
    if (due == null) return
    if (this.futureTimer != null) clearTimeout(this.futureTimer)
    this.futureTimer = setTimeout(() => {
      this.futureTimer = undefined
      for (const [source, ops] of this.future.takeDue(this.now())) {
        this.run(async () => {
          const staged: StagedOp[] = []
          for (const op of ops) this.ingestOne(op, source === '' ? undefined : source, staged)
          return this.commit(staged)
        }, 'bulk').catch(err => { log.error('applying due ops failed: %s', (err as Error).message) })
      }
      this.scheduleFuture()
    }, Math.max(0, Math.min(due - this.now(), 2 ** 31 - 1)))
    this.futureTimer.unref()
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
      const denied = late != null
        ? { reason: 'bad_hlc', message: `HLC not after its dep ${late}` }
        : state?.authorize(op)
      if (denied != null) {
        const r = this.rejectOp(op, denied.reason, source, new Error(`op ${op.id} (${op.type} by ${op.author}): ${denied.message}`))
        if (op === first) firstResult = r
        continue
      }
      const s = this.store.stage(op)
      if (s == null) continue
      if (s.isNew) this.spacesVersion++
      staged.push(s)
      this.clockFor(op.spaceId).observe(op.hlc)
      todo.push(...this.holdback.applied(op.id))
    }
    return firstResult
  }

  /**
   * Authors `heads.merge` ops until the space has at most MAX_MEMBERSHIP_DEPS membership heads. Each
   * merges MAX_DEPS - 1 heads plus the op that gave us our role (so the merge's own history makes
   * us a member). Stops early if a merge is refused.
   */
  private mergeMembershipHeads (state: SpaceState, staged: StagedOp[]): void {
    // The anchor makes the merge's history give us our role: the op that gave it; after the first
    // merge, that merge itself (a current head, so the next merge's heads need no ancestry walk).
    let anchor = state.members.user(idToString(this.signer.publicKey))?.since ?? state.info.spaceId
    while (state.auth.headCount > MAX_MEMBERSHIP_DEPS) {
      const group = state.auth.heads().filter(h => h !== anchor).slice(-(MAX_DEPS - 1))
      const op = this.sign('heads.merge', state, [...group, anchor], {})
      if (state.authorize(op) != null) { log('cannot merge the membership heads of %s: refused', state.info.spaceId); return }
      const s = this.store.stage(op)
      if (s == null) return
      staged.push({ ...s, local: true })
      this.emit('authored', op)
      anchor = op.id
    }
  }

  /**
   * Signs an op of `state` with these deps, timestamped after every one of them. `seal` (private
   * spaces) turns the plaintext payload into the one to sign, once the envelope it binds is fixed.
   */
  private sign<T extends OpType> (type: T, state: SpaceState | null, deps: string[], payload: Payloads[T], seal?: Sealer): Op<T> {
    const clock = this.clockFor(state?.info.spaceId ?? '')
    if (state != null) {
      for (const d of deps) {
        const k = state.byId.get(d)
        if (k != null) clock.observe(parseHlcKey(k), true)
      }
    }
    const env: Envelope = { type, space: state == null ? null : idFromString(state.info.spaceId), author: this.signer.publicKey, hlc: clock.tick(), deps: deps.map(idFromString) }
    return createOp({ type, space: env.space, hlc: env.hlc, deps: env.deps, payload: seal == null ? payload : seal(env) as Payloads[T] }, this.signer)
  }

  /**
   * Authors an op here (`options.seal`: see `Sealer`): deps from `depsFor` in core/deps.ts (payload references, membership heads, newest heads; at
   * most MAX_DEPS however many heads the space has), HLC after every dep, signed, checked by the same
   * `authorize` every peer applies, stored, applied. Emits `authored` as soon as the op is applied in
   * memory (the network layer publishes it then, not after the disk write). Returns the op once it
   * is durable.
   * @throws NotFoundError if the space is not held here
   * @throws PermissionError (FORBIDDEN, BANNED, INVITE_*...) if the space's rules refuse the op;
   *   nothing is stored or sent then
   */
  async author<T extends OpType> (type: T, spaceId: string | null, payload: Payloads[T], options: { seal?: Sealer } = {}): Promise<Op<T>> {
    const t0 = performance.now()
    let t1 = 0
    let t2 = 0
    return await this.run(async () => {
      t1 = performance.now()
      const staged: StagedOp[] = []
      let op: Op<T>
      if (spaceId == null) {
        op = this.sign(type, null, [], payload, options.seal)
        // the space's own clock continues from its creation
        this.clocks.set(op.spaceId, this.clockFor(''))
        this.clocks.delete('')
      } else {
        const state = this.store.spaces.get(spaceId)
        if (state == null) throw new NotFoundError(`space ${spaceId} is not held here`)
        this.mergeMembershipHeads(state, staged)
        op = this.sign(type, state, depsFor(state, payloadRefs(type, payload), hlcKey({ wall: this.now() + this.maxDriftMs, counter: 0xffff_ffff })), payload, options.seal)
        const denied = state.authorize(op)
        if (denied != null) {
          // merges authored on the way are kept: they are valid on their own
          void this.commit(staged)
          throw new PermissionError(REASON_CODES[denied.reason] ?? 'FORBIDDEN', denied.reason, denied.message)
        }
      }
      const s = this.store.stage(op)
      if (s != null) staged.push({ ...s, local: true })
      if (s?.isNew === true) this.spacesVersion++
      this.emit('authored', op)
      t2 = performance.now()
      return { op, committed: this.commit(staged) }
    }).then(async ({ op, committed }) => {
      await committed
      const t3 = performance.now()
      if (t3 - t0 > 50) log('author %s took %d ms: %d queued, %d merging and signing, %d writing', type, Math.round(t3 - t0), Math.round(t1 - t0), Math.round(t2 - t1), Math.round(t3 - t2))
      return op
    })
  }

  /** A fresh 16-byte nonce for `space.create`. */
  static nonce (): Uint8Array {
    return new Uint8Array(randomBytes(16))
  }
}
