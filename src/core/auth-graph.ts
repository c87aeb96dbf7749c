/**
 * The membership sub-DAG of one space, for evaluating `fold(causal history of an op)` quickly.
 *
 * For every op we keep its *membership heads*: the maximal membership ops (see
 * `MEMBERSHIP_TYPES`) in its causal history, as an interned key (`id,id,...` sorted; almost always
 * one id). The membership state at an op is then `fold` of the membership ops reachable from those
 * heads, which depends on nothing but the op's deps. States are cached by heads key; the current
 * state of the whole space (heads = every maximal membership op) is kept up to date incrementally
 * and is what almost every new op is checked against.
 *
 * Costs: a message whose deps are the current heads costs one map lookup per dep. A membership op
 * appended in (HLC, id) order costs one clone of the state (O(members)); one that lands before an
 * existing membership op (a concurrent one) costs a full replay, O(m log m) for m membership ops.
 */
import { MEMBERSHIP_TYPES, MembershipState } from './auth.js'
import type { Op } from './op.js'

interface Node { op: Op, key: string, parents: string[] }

/** Most cached states for heads other than the current ones. */
const CACHE_MAX = 32

export class AuthGraph {
  /** Op id -> key of its membership heads. */
  private readonly headsOf = new Map<string, string>()
  private readonly nodes = new Map<string, Node>()
  private readonly cache = new Map<string, MembershipState>()
  private currentState = new MembershipState()
  private currentHeads = new Set<string>()
  private currentKey = ''
  private maxKey = ''

  /** The membership state of everything applied so far. Do not mutate. */
  get current (): MembershipState {
    return this.currentState
  }

  /** Number of membership ops. */
  get size (): number {
    return this.nodes.size
  }

  /** The heads key recorded for op `id` (undefined if unknown). */
  headsKeyOf (id: string): string | undefined {
    return this.headsOf.get(id)
  }

  /**
   * Heads key of an op with these deps (all applied). Unknown deps are ignored (callers apply ops
   * in causal order, so there are none).
   */
  headsKeyFor (deps: string[]): string {
    let first: string | undefined
    let same = true
    for (const d of deps) {
      const k = this.nodes.has(d) ? d : this.headsOf.get(d)
      if (k == null) continue
      if (first == null) first = k
      else if (k !== first) same = false
    }
    if (same) return first ?? ''
    const cands = new Set<string>()
    for (const d of deps) {
      if (this.nodes.has(d)) cands.add(d)
      else for (const h of (this.headsOf.get(d) ?? '').split(',')) if (h !== '') cands.add(h)
    }
    return [...this.maximal(cands)].sort().join(',')
  }

  /** Drops every candidate that is an ancestor of another candidate. */
  private maximal (cands: Set<string>): Set<string> {
    if (cands.size <= 1) return cands
    let minKey = '\uffff'
    for (const c of cands) { const k = this.nodes.get(c)?.key ?? ''; if (k < minKey) minKey = k }
    const out = new Set(cands)
    for (const c of cands) {
      if (!out.has(c)) continue
      const stack = [...(this.nodes.get(c)?.parents ?? [])]
      const seen = new Set<string>()
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
  stateAt (key: string): MembershipState {
    if (key === this.currentKey) return this.currentState
    let s = this.cache.get(key)
    if (s == null) {
      s = this.fold(key === '' ? [] : key.split(','))
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(key, s)
    }
    return s
  }

  /** Replays the membership ops reachable from `heads` in (HLC, id) order. */
  private fold (heads: string[]): MembershipState {
    const reach = new Map<string, Node>()
    const stack = [...heads]
    while (stack.length > 0) {
      const id = stack.pop() as string
      const n = this.nodes.get(id)
      if (n == null || reach.has(id)) continue
      reach.set(id, n)
      stack.push(...n.parents)
    }
    const state = new MembershipState()
    for (const n of [...reach.values()].sort((a, b) => a.key < b.key ? -1 : 1)) state.step(n.op, n.key)
    return state
  }

  /**
   * Records an applied op with order key `key` and heads key `headsKey` (from `headsKeyFor(op.deps)`,
   * or persisted). Membership ops update the current state.
   */
  add (op: Op, key: string, headsKey: string): void {
    this.headsOf.set(op.id, headsKey)
    if (!MEMBERSHIP_TYPES.has(op.type)) return
    const parents = headsKey === '' ? [] : headsKey.split(',')
    this.nodes.set(op.id, { op, key, parents })
    for (const p of parents) this.currentHeads.delete(p)
    this.currentHeads.add(op.id)
    this.currentKey = [...this.currentHeads].sort().join(',')
    if (key > this.maxKey) {
      const next = this.currentState.clone()
      next.step(op, key)
      this.currentState = next
      this.maxKey = key
    } else {
      this.currentState = this.fold([...this.currentHeads])
    }
  }

  /**
   * Records a stored op at load time without touching the membership state; `restoreDone` then
   * replays the membership ops once.
   */
  restore (id: string, headsKey: string): void {
    this.headsOf.set(id, headsKey)
  }

  /** Loads a stored membership op (its heads key restored already). */
  restoreMembershipOp (op: Op, key: string): void {
    const headsKey = this.headsOf.get(op.id) ?? ''
    const parents = headsKey === '' ? [] : headsKey.split(',')
    this.nodes.set(op.id, { op, key, parents })
    if (key > this.maxKey) this.maxKey = key
  }

  /** Finishes a load: computes the current heads and state from the restored membership ops. */
  restoreDone (): void {
    const parentsOfAny = new Set<string>()
    for (const n of this.nodes.values()) for (const p of n.parents) parentsOfAny.add(p)
    this.currentHeads = new Set([...this.nodes.keys()].filter(id => !parentsOfAny.has(id)))
    this.currentKey = [...this.currentHeads].sort().join(',')
    this.currentState = this.fold([...this.currentHeads])
  }
}
