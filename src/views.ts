/**
 * What the UI and `--json` show, built from ops and space state. All text from peers passes
 * `sanitizeText` here, so nothing downstream can print a terminal control sequence.
 */
import { idToString } from './core/ids.js'
import type { Op } from './core/op.js'
import { sanitizeText } from './core/sanitize.js'
import type { SpaceState } from './core/space-state.js'

/**
 * A message as shown: `ts` in ms since the epoch (the op's HLC wall time). `text` is the latest
 * edit by its author (`edited` true), or '' once deleted (`deleted` true); `replyTo` is the id of
 * the message replied to, or null.
 */
export interface MessageView {
  id: string
  spaceId: string
  channelId: string
  author: { userId: string, name: string }
  text: string
  ts: number
  edited: boolean
  deleted: boolean
  replyTo: string | null
  /** Reactions: each emoji with the users who reacted with it, first reacted first. */
  reactions: Array<{ emoji: string, count: number, users: string[] }>
}

/** Short form of an id for people (first 8 characters). */
export function shortId (id: string): string {
  return id.slice(0, 8)
}

/** Display name of a user in a space: its latest profile.set, else a short form of its id. */
export function displayName (state: SpaceState | undefined, userId: string): string {
  const name = state?.nameOf(userId)
  return name != null ? sanitizeText(name) : `user-${shortId(userId)}`
}

/** The view of a `message.post` op, with its edits and deletion in `state`. */
export function messageView (op: Op<'message.post'>, state: SpaceState | undefined): MessageView {
  // An edit its author signed after being removed (ignoring the removal) is not shown, like a message.
  const latest = state?.edits.get(op.id)
  const edit = latest != null && state?.visible(op.author, latest.key) === true ? latest : undefined
  const deleted = state?.deleted.has(op.id) === true
  return {
    id: op.id,
    spaceId: op.spaceId,
    channelId: idToString(op.payload.channel),
    author: { userId: op.author, name: displayName(state, op.author) },
    text: deleted ? '' : sanitizeText(edit?.text ?? op.payload.text, true),
    ts: op.hlc.wall,
    edited: edit != null && !deleted,
    deleted,
    replyTo: op.payload.reply == null ? null : idToString(op.payload.reply),
    reactions: deleted || state == null ? [] : state.reactionsOf(op.id).map(r => ({ emoji: sanitizeText(r.emoji), count: r.users.length, users: r.users }))
  }
}

/** A member as `members` shows it. */
export interface MemberView { userId: string, name: string, role: string, online: boolean }

/** `{spaceId, name}` of a space, sanitized. */
export function spaceView (state: SpaceState): { spaceId: string, name: string } {
  return { spaceId: state.info.spaceId, name: sanitizeText(state.info.name) }
}

/** Normalizes a channel name as typed: trimmed, lowercase, inner spaces as dashes. */
export function normalizeChannelName (name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '-')
}
