/**
 * Labels people can trust: no two users of a space are ever shown with the same label. A display
 * name is shown as it is when no other user of the space holds it; names that collide (compared
 * after Unicode NFKC normalisation, case folding and with invisible characters removed), names that
 * contain `~` and names that look like another user's fallback (`user-xxxxxxxx`) are shown with
 * `~` and the shortest start of the user id (4 characters or more) that tells the colliding users
 * apart: `alice~dxux`. Users without a name are `user-` and 8 characters of their id.
 *
 * Lookalike letters from other scripts (Cyrillic `а` for Latin `a`) are not folded: the suffix and
 * the colour derived from the user id (ui/) are what tell such users apart.
 */
import type { SpaceState } from './space-state.js'
import { sanitizeText } from './sanitize.js'

/** Shortest user-id suffix shown after `~`, characters. */
export const LABEL_SUFFIX_MIN = 4

// zero-width and other invisible characters a name could use to look like another
const INVISIBLE = /[\s\u00ad\u061c\u115f\u1160\u17b4\u17b5\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]|\u034f|\p{Variation_Selector}/gu

/** The form two names are compared in: NFKC, lower case, no invisible characters. */
export function nameKey (name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(INVISIBLE, '')
}

const cache = new WeakMap<SpaceState, { stamp: string, labels: Map<string, string> }>()
let epoch = 0

/** Forget every cached label (names of private spaces read differently once a key arrives). */
export function invalidateLabels (): void {
  epoch++
}

/** The label of every user of `state` that has a name, by user id (computed once per change of the space's names). */
export function labelsOf (state: SpaceState): Map<string, string> {
  const stamp = `${epoch}:${state.profileVersion}`
  const hit = cache.get(state)
  if (hit?.stamp === stamp) return hit.labels
  const groups = new Map<string, Array<{ userId: string, name: string }>>()
  for (const userId of state.profiles.keys()) {
    const raw = state.nameOf(userId)
    if (raw == null) continue
    const name = sanitizeText(raw).trim()
    const key = nameKey(name)
    const g = groups.get(key) ?? []
    g.push({ userId, name })
    groups.set(key, g)
  }
  const labels = new Map<string, string>()
  for (const [key, users] of groups) {
    const suspicious = key.includes('~') || /^user-[a-z2-7]{8}$/.test(key) || key === ''
    if (users.length === 1 && !suspicious) { labels.set(users[0].userId, users[0].name); continue }
    let n = LABEL_SUFFIX_MIN
    while (n < 52 && new Set(users.map(u => u.userId.slice(0, n))).size < users.length) n++
    for (const u of users) labels.set(u.userId, `${u.name === '' ? 'user' : u.name}~${u.userId.slice(0, n)}`)
  }
  cache.set(state, { stamp, labels })
  return labels
}

/** The label of `userId` in `state` (see the module doc). */
export function labelOf (state: SpaceState | undefined, userId: string): string {
  return (state == null ? undefined : labelsOf(state).get(userId)) ?? `user-${userId.slice(0, 8)}`
}
