/**
 * The membership fold of a whole space, kept up to date incrementally as ops arrive in any order.
 *
 * `fold(S)` (auth.ts) replays membership ops in (HLC, id) order. A naive implementation replays
 * everything after an op that lands before the newest one, so n backdated ops cost O(n * m). Here the
 * state is a set of per-entity *timelines* (one per user `u:<id>` and per invite `i:<id>`): the value
 * of the entity after each op that wrote it, sorted by order key. An op is evaluated against the
 * values in force just before its own position. Inserting an op re-evaluates only the ops that can
 * see the difference: for each entity whose value changed at position p, the later ops that touch
 * the entity up to (and including) the next op that writes it; an op whose writes come out the same
 * stops the cascade. Invite uses are counted separately: the joins of an invite that pass every other
 * check form a sorted list, and the first `maxUses` of them are the ones that take effect, so a new
 * join re-checks at most the one join it pushes past the limit (or lets in).
 *
 * Cost of inserting an op: O(log m) plus the cascade (ops reading an entity it changed, up to that
 * entity's next writer). A flood of backdated invites, joins or leaves costs O(n log n); the result
 * is always equal to the sequential replay (property-tested in test/unit/auth-fold.test.ts).
 * This is the "self-adjusting" way of maintaining a fold: change propagation along read/write
 * dependencies (Acar, "Self-Adjusting Computation", CMU 2005).
 */
import { checkJoinExceptUses, checkMembership, roleIn, type InviteInfo, type MembershipReader, type MessageLookup, type Rejection, type Role, type UserEntry } from './auth.js'
import { effectsOf, MembershipState, touchesOf, type SpaceConstants } from './membership.js'
import { idToString } from './ids.js'
import type { Op } from './op.js'
import { lowerIndex } from './sorted.js'

type Value = UserEntry | InviteInfo

interface FoldNode {
  op: Op
  key: string
  /** Entities the op reads or writes. */
  touches: string[]
  /** What the op writes where it takes effect (entity -> value after it); null when it has no effect. */
  writes: Map<string, Value> | null
}

interface Timeline { keys: string[], values: Value[] }


function sameValue (a: Value, b: Value): boolean {
  if ('inviteId' in a || 'inviteId' in b) {
    const x = a as InviteInfo
    const y = b as InviteInfo
    return x.inviteId === y.inviteId && x.revoked === y.revoked && x.maxUses === y.maxUses && x.expiresAt === y.expiresAt
  }
  const x = a as UserEntry
  const y = b as UserEntry
  if ((x.enc == null) !== (y.enc == null) || (x.enc != null && Buffer.compare(x.enc, y.enc as Uint8Array) !== 0)) return false
  return x.role === y.role && x.banned === y.banned && x.since === y.since &&
    x.removal?.reason === y.removal?.reason && x.removal?.by === y.removal?.by && x.removal?.key === y.removal?.key
}

/** A min-heap of order keys with no duplicates. */
class KeyQueue {
  private readonly heap: string[] = []
  private readonly queued = new Set<string>()

  get size (): number { return this.heap.length }

  push (k: string): void {
    if (this.queued.has(k)) return
    this.queued.add(k)
    const h = this.heap
    h.push(k)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p] <= h[i]) break
      ;[h[p], h[i]] = [h[i], h[p]]
      i = p
    }
  }

  pop (): string {
    const h = this.heap
    const top = h[0]
    const last = h.pop() as string
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && h[l] < h[m]) m = l
        if (r < h.length && h[r] < h[m]) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
    this.queued.delete(top)
    return top
  }
}

/** The membership state just before order key `key`, read from the timelines. */
class StateAt implements MembershipReader {
  constructor (private readonly fold: IncrementalFold, private readonly key: string) {}
  get spaceId (): string { return this.fold.space?.spaceId ?? '' }
  get owner (): string { return this.fold.space?.owner ?? '' }
  get isPublic (): boolean { return this.fold.space?.isPublic ?? false }
  get legacy (): boolean { return this.fold.space?.legacy ?? false }
  get sealed (): boolean { return this.fold.space?.sealed ?? false }
  user (userId: string): UserEntry | undefined { return this.fold.valueBefore(`u:${userId}`, this.key) as UserEntry | undefined }
  invite (inviteId: string): InviteInfo | undefined { return this.fold.valueBefore(`i:${inviteId}`, this.key) as InviteInfo | undefined }
  usesBefore (inviteId: string): number { return this.fold.passingBefore(inviteId, this.key) }
}

/**
 * The fold of a set D of membership ops that agrees with the whole space on every op before `p0`
 * (the first op of the space that D lacks): the state of the whole fold just before p0, read from
 * the timelines, with D's later ops replayed on top in a small overlay. So the state at a stale view
 * costs the ops of D after p0, not all of D. Valid only until an op lands before p0 (AuthGraph drops
 * it from its cache then).
 */
export class OverlayState implements MembershipReader {
  private readonly users = new Map<string, UserEntry | undefined>()
  private readonly invites = new Map<string, InviteInfo | undefined>()
  private readonly uses = new Map<string, number>()
  private readonly base: StateAt

  constructor (private readonly fold: IncrementalFold, readonly p0: string) {
    this.base = new StateAt(fold, p0)
  }

  get spaceId (): string { return this.base.spaceId }
  get owner (): string { return this.base.owner }
  get isPublic (): boolean { return this.base.isPublic }
  get legacy (): boolean { return this.base.legacy }
  get sealed (): boolean { return this.base.sealed }
  user (userId: string): UserEntry | undefined { return this.users.has(userId) ? this.users.get(userId) : this.base.user(userId) }
  invite (inviteId: string): InviteInfo | undefined {
    const info = this.invites.has(inviteId) ? this.invites.get(inviteId) : this.base.invite(inviteId)
    return info == null ? undefined : { ...info, uses: this.usesBefore(inviteId) }
  }

  usesBefore (inviteId: string): number { return this.uses.get(inviteId) ?? this.base.usesBefore(inviteId) }
  roleOf (userId: string): Role | null { return roleIn(this, userId) }
  check (op: Op, messages?: MessageLookup): Rejection | null { return checkMembership(this, op, messages) }

  /** Applies membership op `op` (order key `key`) on top, if allowed here. */
  step (op: Op, key: string): boolean {
    if (this.check(op) != null) return false
    for (const e of effectsOf(this, op, key)) {
      if (e.kind === 'user') this.users.set(e.id, e.value)
      else if (e.kind === 'invite') this.invites.set(e.id, e.value)
      else if (e.kind === 'use') this.uses.set(e.id, this.usesBefore(e.id) + 1)
    }
    return true
  }

  recipients (): Array<{ userId: string, enc: Uint8Array }> {
    const out: Array<{ userId: string, enc: Uint8Array }> = []
    for (const userId of new Set([...this.fold.userIds(), ...this.users.keys()])) {
      const enc = this.user(userId)?.enc
      if (enc != null && roleIn(this, userId) != null) out.push({ userId, enc })
    }
    return out.sort((a, b) => a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)
  }
}

export class IncrementalFold {
  /** The state after every op inserted so far (what the space shows). Do not mutate. */
  readonly current = new MembershipState()
  /** The space's constants, once its `space.create` is in. */
  space: SpaceConstants | null = null
  private readonly nodes = new Map<string, FoldNode>()
  private readonly timelines = new Map<string, Timeline>()
  /** Entity -> sorted order keys of the ops that read or write it. */
  private readonly touchers = new Map<string, string[]>()
  /** Invite id -> sorted order keys of its joins that pass every check but the uses limit. */
  private readonly passing = new Map<string, string[]>()
  private readonly queue = new KeyQueue()
  /** Ops (re-)evaluated so far: the work the fold did (tests and benches read it). */
  evaluations = 0

  /** Order keys of the ops inserted, ascending. */
  private readonly order: string[] = []

  /** Number of ops inserted. */
  get size (): number {
    return this.nodes.size
  }

  /** The order keys of every op inserted, ascending. Do not mutate. */
  keys (): readonly string[] {
    return this.order
  }

  /** Every user the fold has a record of. */
  * userIds (): Iterable<string> {
    for (const e of this.timelines.keys()) if (e.startsWith('u:')) yield e.slice(2)
  }

  /** Inserts membership op `op` with order key `key` (each op once) and brings the state up to date. */
  insert (op: Op, key: string): void {
    if (this.nodes.has(key)) return
    const node: FoldNode = { op, key, touches: touchesOf(op), writes: null }
    this.nodes.set(key, node)
    this.order.splice(lowerIndex(this.order, key), 0, key)
    for (const e of node.touches) {
      let list = this.touchers.get(e)
      if (list == null) { list = []; this.touchers.set(e, list) }
      list.splice(lowerIndex(list, key), 0, key)
    }
    this.queue.push(key)
    while (this.queue.size > 0) {
      const n = this.nodes.get(this.queue.pop()) as FoldNode
      this.apply(n, this.evaluate(n))
    }
  }

  /** Value of entity `e` just before order key `key` (undefined: never written before it). */
  valueBefore (e: string, key: string): Value | undefined {
    const t = this.timelines.get(e)
    if (t == null) return undefined
    const i = lowerIndex(t.keys, key)
    return i === 0 ? undefined : t.values[i - 1]
  }

  /** Joins of `inviteId` that took effect before order key `key`. */
  passingBefore (inviteId: string, key: string): number {
    const list = this.passing.get(inviteId)
    if (list == null) return 0
    const n = lowerIndex(list, key)
    const max = (this.valueBefore(`i:${inviteId}`, key) as InviteInfo | undefined)?.maxUses ?? 0
    return max === 0 ? n : Math.min(n, max)
  }

  /** The writes of `n` evaluated at its position; null when it has no effect there. */
  private evaluate (n: FoldNode): Map<string, Value> | null {
    this.evaluations++
    const r = new StateAt(this, n.key)
    const op = n.op
    const invite = op.type === 'member.join' ? (op as Op<'member.join'>).payload.invite : null
    if (invite != null) {
      const inviteId = idToString(invite)
      const ok = checkJoinExceptUses(r, op as Op<'member.join'>) == null
      this.setPassing(inviteId, n.key, ok)
      if (!ok) return null
      const max = (r.invite(inviteId) as InviteInfo).maxUses
      if (max !== 0 && lowerIndex(this.passing.get(inviteId) as string[], n.key) >= max) return null
    } else if (checkMembership(r, op) != null) {
      return null
    }
    const writes = new Map<string, Value>()
    for (const e of effectsOf(r, op, n.key)) {
      if (e.kind === 'user') writes.set(`u:${e.id}`, e.value)
      else if (e.kind === 'invite') writes.set(`i:${e.id}`, { ...e.value, uses: 0 })
      else if (e.kind === 'space') {
        this.space = e.value
        this.current.setSpace(e.value)
      }
    }
    return writes
  }

  /**
   * Records whether join `key` of `inviteId` passes every check but the uses limit. Of the passing
   * joins, the first `maxUses` take effect: adding one before the limit pushes the last one out,
   * removing one lets the next one in; that join is re-checked.
   */
  private setPassing (inviteId: string, key: string, ok: boolean): void {
    let list = this.passing.get(inviteId)
    if (list == null) { list = []; this.passing.set(inviteId, list) }
    const i = lowerIndex(list, key)
    const present = list[i] === key
    if (ok === present) return
    const max = (this.valueBefore(`i:${inviteId}`, key) as InviteInfo | undefined)?.maxUses ?? 0
    if (ok) {
      list.splice(i, 0, key)
      if (max !== 0 && i < max && list.length > max) this.queue.push(list[max])
    } else {
      list.splice(i, 1)
      if (max !== 0 && i < max && list.length >= max) this.queue.push(list[max - 1])
    }
    this.refreshInvite(inviteId)
  }

  /** Stores the new writes of `n`; for each entity whose value changed there, re-checks the ops that can see it. */
  private apply (n: FoldNode, next: Map<string, Value> | null): void {
    const prev = n.writes
    n.writes = next
    const entities = new Set([...(prev?.keys() ?? []), ...(next?.keys() ?? [])])
    for (const e of entities) {
      const a = prev?.get(e)
      const b = next?.get(e)
      if (a !== undefined && b !== undefined && sameValue(a, b)) continue
      let t = this.timelines.get(e)
      if (t == null) { t = { keys: [], values: [] }; this.timelines.set(e, t) }
      const i = lowerIndex(t.keys, n.key)
      const has = t.keys[i] === n.key
      if (b === undefined) {
        if (has) { t.keys.splice(i, 1); t.values.splice(i, 1) }
      } else if (has) {
        t.values[i] = b
      } else {
        t.keys.splice(i, 0, n.key)
        t.values.splice(i, 0, b)
      }
      if (e.startsWith('u:')) this.current.setUser(e.slice(2), t.values.at(-1) as UserEntry | undefined)
      else this.refreshInvite(e.slice(2))
      const readers = this.touchers.get(e) ?? []
      for (let j = lowerIndex(readers, n.key + '\u0000'); j < readers.length; j++) {
        this.queue.push(readers[j])
        if (this.nodes.get(readers[j])?.writes?.has(e) === true) break
      }
    }
  }

  /** Puts an invite's final record, with its current uses, into `current`. */
  private refreshInvite (inviteId: string): void {
    const last = this.timelines.get(`i:${inviteId}`)?.values.at(-1) as InviteInfo | undefined
    if (last == null) { this.current.setInvite(inviteId, undefined); return }
    const n = this.passing.get(inviteId)?.length ?? 0
    this.current.setInvite(inviteId, { ...last, uses: last.maxUses === 0 ? n : Math.min(n, last.maxUses) })
  }
}
