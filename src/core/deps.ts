/**
 * The deps an author lists (docs/PROTOCOL.md "Deps an author lists"): at most MAX_DEPS however many
 * heads a space has, chosen so the op is still checked against the whole membership state.
 */
import { MAX_DEPS, type OpType, type Payloads } from './op.js'
import { idToString } from './ids.js'
import type { SpaceState } from './space-state.js'

/**
 * Most membership heads an authored op lists directly; past it, `heads.merge` ops first collapse
 * them (so every op still covers the whole membership state).
 */
export const MAX_MEMBERSHIP_DEPS = 32

/**
 * Ids of the ops a payload names (message, invite, reply, rotate; channel of a rename/delete; the
 * rotates a history bundle names), which must also be deps.
 */
export function payloadRefs (type: OpType, payload: object): string[] {
  const refs: string[] = []
  const fields = type === 'channel.rename' || type === 'channel.delete' ? ['channel'] : ['message', 'reply', 'invite', 'rotate']
  for (const field of fields) {
    const v = (payload as Record<string, unknown>)[field]
    if (v instanceof Uint8Array && v.length === 32) refs.push(idToString(v))
  }
  if (type === 'key.rotate') for (const r of (payload as Payloads['key.rotate']).history?.rotates ?? []) refs.push(idToString(r))
  return refs
}

/**
 * The deps of an op authored now in `state`: the ops its payload names (`refs`), then the newest
 * heads, then every membership head those do not cover, up to MAX_DEPS. Heads whose order key is
 * past `limit` (from the future, beyond the drift bound) are left out; heads left out stay heads
 * and the next ops take them.
 */
export function depsFor (state: SpaceState, refs: string[], limit: string): string[] {
  const deps = new Set(refs)
  const usable = (id: string): boolean => (state.byId.get(id) ?? '') <= limit
  const membership = state.auth.heads()
  // keep room for the membership heads the newest heads do not cover
  const reserve = Math.min(membership.length, MAX_MEMBERSHIP_DEPS)
  for (const h of state.newestHeads()) {
    if (deps.size >= MAX_DEPS - reserve) break
    if (usable(h)) deps.add(h)
  }
  // A membership head is covered iff it is a dep or some dep's membership heads key names it
  // (a maximal membership op of the space is maximal in any history that contains it).
  const covered = new Set<string>()
  for (const d of deps) {
    if (state.auth.isNode(d)) covered.add(d)
    for (const h of (state.auth.headsKeyOf(d) ?? '').split(',')) covered.add(h)
  }
  for (const m of membership) {
    if (deps.size >= MAX_DEPS) break
    if (!covered.has(m) && usable(m)) deps.add(m)
  }
  return [...deps]
}
