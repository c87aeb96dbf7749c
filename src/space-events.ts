/**
 * What an applied op means to the user, as events (docs/cli-json.md "Events"): `message`,
 * `message:edit`, `message:delete`, `member:join`, `member:leave`, `member:role`. Built after the op
 * is applied, from the state it produced; all text from peers is sanitized by views.ts.
 */
import { idToString } from './core/ids.js'
import { isSealed, type Op } from './core/op.js'
import { orderKey } from './core/order.js'
import type { SpaceState } from './core/space-state.js'
import { sanitizeText } from './core/sanitize.js'
import { displayName, messageView, spaceView, type MessageView } from './views.js'

const CONTENT_TYPES = new Set(['message.post', 'message.edit', 'message.react', 'message.delete'])

/** A user as events name it. */
export interface UserRef { userId: string, name: string }

export interface SpaceEventMap {
  message: MessageView
  'message:edit': { spaceId: string, messageId: string, text: string, author: UserRef }
  'message:delete': { spaceId: string, messageId: string, by: UserRef }
  'message:react': { spaceId: string, messageId: string, emoji: string, on: boolean, user: UserRef }
  'member:join': { spaceId: string, user: UserRef, you: boolean }
  /** `you`: the user removed is this client's own user. */
  'member:leave': { spaceId: string, spaceName: string, user: UserRef, reason: 'kick' | 'ban' | 'leave', by: UserRef, you: boolean }
  'member:role': { spaceId: string, user: UserRef, role: string, by: UserRef }
}
export type SpaceEvent = { [K in keyof SpaceEventMap]: { name: K, data: SpaceEventMap[K] } }[keyof SpaceEventMap]

/**
 * Events for op `op` just applied to `state`. `local`: authored here (messages, edits and deletes
 * authored here are not echoed; membership changes always are). Membership ops that the replay in
 * (HLC, id) order left without effect produce nothing.
 */
export function eventsOf (op: Op, state: SpaceState, self: string, local: boolean): SpaceEvent[] {
  const spaceId = op.spaceId
  const ref = (userId: string): UserRef => ({ userId, name: displayName(state, userId) })
  const key = orderKey(op.hlc, op.id)
  const members = state.members
  // not (or no longer) a member: what is said in the space is not ours to see
  if (CONTENT_TYPES.has(op.type) && members.roleOf(self) == null) return []
  switch (op.type) {
    case 'message.post':
      if (local || op.author === self || !state.visible(op.author, key)) return []
      return [{ name: 'message', data: messageView(op as Op<'message.post'>, state) }]
    case 'message.edit': {
      const messageId = idToString((op as Op<'message.edit'>).payload.message)
      if (local || state.edits.get(messageId)?.key !== key || state.deleted.has(messageId)) return []
      const body = state.openBody(op as Op<'message.edit'>)
      if (body == null) return []
      return [{ name: 'message:edit', data: { spaceId, messageId, text: sanitizeText(body.text, true), author: ref(op.author) } }]
    }
    case 'message.react': {
      const messageId = idToString((op as Op<'message.react'>).payload.message)
      const body = state.openBody(op as Op<'message.react'>)
      if (local || body == null || !state.visible(op.author, key)) return []
      // plaintext reactions: only the latest of (user, emoji) is news (sealed ones are opened here)
      if (!isSealed(op.payload) && state.reactions.get(messageId)?.get(`${op.author}!${body.emoji}`)?.key !== key) return []
      return [{ name: 'message:react', data: { spaceId, messageId, emoji: sanitizeText(body.emoji), on: body.on, user: ref(op.author) } }]
    }
    case 'message.delete': {
      const messageId = idToString((op as Op<'message.delete'>).payload.message)
      if (local || state.deleted.get(messageId)?.key !== key) return []
      return [{ name: 'message:delete', data: { spaceId, messageId, by: ref(op.author) } }]
    }
    case 'member.join':
      return members.roleOf(op.author) == null ? [] : [{ name: 'member:join', data: { spaceId, user: ref(op.author), you: op.author === self } }]
    case 'member.leave':
    case 'member.kick':
    case 'member.ban': {
      const userId = op.type === 'member.leave' ? op.author : idToString((op as Op<'member.kick'>).payload.user)
      const removal = members.removed.get(userId)
      if (removal == null || removal.key !== key) return []
      return [{ name: 'member:leave', data: { spaceId, spaceName: spaceView(state).name, user: ref(userId), reason: removal.reason, by: ref(op.author), you: userId === self } }]
    }
    case 'role.set': {
      const p = (op as Op<'role.set'>).payload
      const userId = idToString(p.user)
      if (members.roleOf(userId) !== p.role) return []
      return [{ name: 'member:role', data: { spaceId, user: ref(userId), role: p.role, by: ref(op.author) } }]
    }
  }
  return []
}
