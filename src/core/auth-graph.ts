/**
 * The membership sub-DAG of one space, for evaluating `fold(causal history of an op)` quickly.
 *
 * For every op we keep its *membership heads*: the maximal membership ops (see
 * `MEMBERSHIP_TYPES`) in its causal history, as an interned key (`id,id,...` sorted; almost always
 * one id). The membership state at an op is then `fold` of the membership ops reachable from those
 * heads, which depends on nothing but the op's deps. The state of the whole space (heads = every
 * maximal membership op) is kept by the incremental fold (auth-fold.ts), and is what almost every new
 * op is checked against; states at other heads are replayed and cached.
 *
 * Costs: a message whose deps cover the current membership heads costs one map lookup per dep. A
 * membership op costs O(log m) plus the ops it changes (auth-fold.ts), wherever it lands in (HLC, id)
 * order. An op whose history leaves out some membership ops (a stale view) costs one replay of its
 * history the first time its heads are seen, O(m log m).
 */
import { MEMBERSHIP_TYPES, type MembershipReader, type MessageLookup, type Rejection, type Role } from './auth.js'
import type { MembershipState } from './membership.js'
import { IncrementalFold, OverlayState } from './auth-fold.js'
import type { Op } from './op.js'

interface Node { op: Op, key: string, parents: string[] }

/** A membership state the rules can be checked against (the current one, or one at some heads). */
export type MembershipView = MembershipReader & {
  check: (op: Op, messages?: MessageLookup) => Rejection | null
  roleOf: (userId: string) => Role | null
  recipients: () => Array<{ userId: string, enc: Uint8Array }>
}

/** Most cached states for heads other than the current ones. */
const CACHE_MAX = 64

export class AuthGraph {
  private readonly nodes = new Map<string, Node>()
  private readonly cache = new Map<string, OverlayState>()
  private readonly fold = new IncrementalFold()
  private readonly currentHeads = new Set<string>()
  /** `currentHeads` as a key, computed when asked (null: stale). */
  private currentKeyCache: string | null = ''

  /**
   * @param headsOf the heads key recorded for an applied op (undefined if not applied): the space's
   *   op table (store/op-index.ts) keeps it for every op, so this graph holds membership ops only
   */
  constructor (private readonly headsOf: (id: string) => string | undefined) {}

  /** The membership state of everything applied so far. Do not mutate. */
  get current (): MembershipState {
    return this.fold.current
  }

  /** Ops the incremental fold has (re-)evaluated so far (benches and tests read it). */
  get foldEvaluations (): number {
    return this.fold.evaluations
  }

  /** The maximal membership ops of the space, newest first by order key. */
  heads (): string[] {
    return [...this.currentHeads].sort((a, b) => {
      const ka = this.nodes.get(a)?.key ?? ''
      const kb = this.nodes.get(b)?.key ?? ''
      return ka < kb ? 1 : ka > kb ? -1 : 0
    })
  }

  /** Number of maximal membership ops. */
  get headCount (): number {
    return this.currentHeads.size
  }

  private get currentKey (): string {
    this.currentKeyCache ??= [...this.currentHeads].sort().join(',')
    return this.currentKeyCache
  }

  /** Number of membership ops. */
  get size (): number {
    return this.nodes.size
  }

  /** True if `id` is a membership op of the space. */
  isNode (id: string): boolean {
    return this.nodes.has(id)
  }

  /** The heads key recorded for op `id` (undefined if unknown). */
  headsKeyOf (id: string): string | undefined {
    return this.headsOf(id)
  }

  /**
   * Heads key of an op with these deps (all applied). Unknown deps are ignored (callers apply ops
   * in causal order, so there are none).
   */
  headsKeyFor (deps: string[]): string {
    let first: string | undefined
    let same = true
    for (const d of deps) {
      const k = this.nodes.has(d) ? d : this.headsOf(d)
      if (k == null) continue
      if (first == null) first = k
      else if (k !== first) same = false
    }
    if (same) return first ?? ''
    const cands = new Set<string>()
    for (const d of deps) {
      if (this.nodes.has(d)) cands.add(d)
      else for (const h of (this.headsOf(d) ?? '').split(',')) if (h !== '') cands.add(h)
    }
    // Maximal membership ops of the whole space are maximal among any of them: no walk needed.
    let allCurrent = true
    for (const c of cands) if (!this.currentHeads.has(c)) { allCurrent = false; break }
    return [...(allCurrent ? cands : this.maximal(cands))].sort().join(',')
  }

  /** Drops every candidate that is an ancestor of another candidate. */
  private maximal (cands: Set<string>): Set<string> {
    if (cands.size <= 1) return cands
    let minKey = '\uffff'
    for (const c of cands) { const k = this.nodes.get(c)?.key ?? ''; if (k < minKey) minKey = k }
    const out = new Set(cands)
    // One visited set for all walks: whatever one candidate's walk reached, with its ancestors, is
    // dropped already; another walk that meets it stops there.
    const seen = new Set<string>()
    for (const c of cands) {
      if (!out.has(c)) continue
      const stack = [...(this.nodes.get(c)?.parents ?? [])]
      while (stack.length > 0) {
        const id = stack.pop() as string
        if (seen.has(id)) continue
        seen.add(id)
        const n = this.nodes.get(id)
        if (n == null || n.key < minKey) continue
        out.delete(id)
        stack.push(...n.parents)
      }
    }
    return out
  }

  /** The membership state at heads key `key` (replayed and cached if not current). */
  stateAt (key: string): MembershipView {
    if (this.isCurrent(key)) return this.fold.current
    let s = this.cache.get(key)
    if (s == null) {
      s = this.replay(key === '' ? [] : key.split(','))
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(key, s)
    }
    return s
  }

  /** True if heads key `key` names exactly the current membership heads. */
  private isCurrent (key: string): boolean {
    if (this.currentKeyCache != null) return key === this.currentKeyCache
    const ids = key === '' ? [] : key.split(',')
    return ids.length === this.currentHeads.size && ids.every(id => this.currentHeads.has(id)) && key === this.currentKey
  }

  /**
   * `fold` of the membership ops reachable from `heads`: the whole fold's state before the first op
   * they do not reach (p0), with the reached ops after p0 replayed on top (OverlayState).
   */
  private replay (heads: string[]): OverlayState {
    const reach = new Map<string, Node>()
    const keys = new Set<string>()
    const stack = [...heads]
    while (stack.length > 0) {
      const id = stack.pop() as string
      const n = this.nodes.get(id)
      if (n == null || reach.has(id)) continue
      reach.set(id, n)
      keys.add(n.key)
      stack.push(...n.parents)
    }
    const all = this.fold.keys()
    let i = 0
    while (i < all.length && keys.has(all[i])) i++
    const p0 = i < all.length ? all[i] : '\uffff'
    const state = new OverlayState(this.fold, p0)
    for (const n of [...reach.values()].filter(n => n.key > p0).sort((a, b) => a.key < b.key ? -1 : 1)) state.step(n.op, n.key)
    return state
  }

  /**
   * Records an applied op with order key `key` and heads key `headsKey` (from `headsKeyFor(op.deps)`;
   * the caller records it for `headsOf` too). Membership ops update the current state.
   */
  add (op: Op, key: string, headsKey: string): void {
    if (!MEMBERSHIP_TYPES.has(op.type)) return
    const parents = headsKey === '' ? [] : headsKey.split(',')
    this.nodes.set(op.id, { op, key, parents })
    for (const p of parents) this.currentHeads.delete(p)
    this.currentHeads.add(op.id)
    this.currentKeyCache = null
    this.fold.insert(op, key)
    // a state whose base is the whole fold before its p0 is stale once an op lands before p0
    for (const [k, s] of this.cache) if (key < s.p0) this.cache.delete(k)
  }

  /** Loads a stored membership op (its heads key is in `headsOf` already); `restoreDone` then replays them once. */
  restoreMembershipOp (op: Op, key: string): void {
    const headsKey = this.headsOf(op.id) ?? ''
    const parents = headsKey === '' ? [] : headsKey.split(',')
    this.nodes.set(op.id, { op, key, parents })
  }

  /** Finishes a load: computes the current heads and state from the restored membership ops. */
  restoreDone (): void {
    const parentsOfAny = new Set<string>()
    for (const n of this.nodes.values()) for (const p of n.parents) parentsOfAny.add(p)
    this.currentHeads.clear()
    for (const id of this.nodes.keys()) if (!parentsOfAny.has(id)) this.currentHeads.add(id)
    this.currentKeyCache = null
    for (const n of [...this.nodes.values()].sort((a, b) => a.key < b.key ? -1 : 1)) this.fold.insert(n.op, n.key)
  }
}
