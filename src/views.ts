/**
 * What the UI and `--json` show, built from ops and space state. All text from peers passes
 * `sanitizeText` here, so nothing downstream can print a terminal control sequence.
 */
import { idToString } from './core/ids.js'
import { orderKey } from './core/order.js'
import { isSealed, type Op } from './core/op.js'
import { sanitizeText } from './core/sanitize.js'
import { labelOf } from './core/labels.js'
import type { SpaceState } from './core/space-state.js'

/**
 * A message as shown: `ts` in ms since the epoch (the op's HLC wall time). `text` is the latest
 * edit by its author (`edited` true), or '' once deleted (`deleted` true); `replyTo` is the id of
 * the message replied to, or null.
 */
export interface MessageView {
  id: string
  /** Where it sits in its channel: the op's order key (HLC, then id); compare as strings. */
  position: string
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
  /**
   * True when the text of a private space's message cannot be shown (yet): this client does not
   * hold the epoch key it was sealed with, or it does not open (`text` is then '').
   */
  locked: boolean
}

/** Ops a message view needs besides the message itself: sealed edits and reactions, by op id. */
export type RelatedOps = Map<string, Op>

/** Short form of an id for people (first 8 characters). */
export function shortId (id: string): string {
  return id.slice(0, 8)
}

/**
 * How a user is named in a space: its label, unique in the space (core/labels.ts): the display name
 * of its latest profile.set, with `~` and the start of its user id when another user holds the same
 * name, else `user-` and a short form of its id.
 */
export function displayName (state: SpaceState | undefined, userId: string): string {
  return labelOf(state, userId)
}

/**
 * The view of a `message.post` op, with its edits and deletion in `state`; sealed bodies are opened
 * with the state's key ring (`related`: the sealed edit and reaction ops it names, see
 * `relatedOps`).
 */
export function messageView (op: Op<'message.post'>, state: SpaceState | undefined, related: RelatedOps = new Map()): MessageView {
  // An edit its author signed after being removed (ignoring the removal) is not shown, like a message.
  const latest = state?.edits.get(op.id)
  const edit = latest != null && state?.visible(op.author, latest.key) === true ? latest : undefined
  const editText = edit == null ? undefined : edit.op == null ? edit.text : (state?.openBody(related.get(edit.op) as Op<'message.edit'>) ?? undefined)?.text
  const body = state == null ? (isSealed(op.payload) ? null : op.payload as { text: string }) : state.openBody(op)
  const deleted = state?.deleted.has(op.id) === true
  const text = editText ?? body?.text
  return {
    id: op.id,
    position: orderKey(op.hlc, op.id),
    spaceId: op.spaceId,
    channelId: idToString(op.payload.channel),
    author: { userId: op.author, name: displayName(state, op.author) },
    text: deleted || text == null ? '' : sanitizeText(text, true),
    ts: op.hlc.wall,
    edited: editText != null && !deleted,
    deleted,
    replyTo: op.payload.reply == null ? null : idToString(op.payload.reply),
    reactions: deleted || state == null ? [] : state.reactionsOf(op.id, related).map(r => ({ emoji: sanitizeText(r.emoji), count: r.users.length, users: r.users })),
    locked: !deleted && text == null
  }
}

/** Ids of the sealed edit and reaction ops the views of these messages need. */
export function relatedOpIds (state: SpaceState, messageIds: string[]): string[] {
  const out: string[] = []
  for (const id of messageIds) {
    const e = state.edits.get(id)
    if (e?.op != null) out.push(e.op)
    for (const r of state.sealedReactions.get(id) ?? []) out.push(r.op)
  }
  return out
}

/** A member as `members` shows it. */
export interface MemberView { userId: string, name: string, role: 'owner' | 'admin' | 'moderator' | 'member', online: boolean }

/** What a private space whose name cannot be opened (yet) is called. */
export const LOCKED_NAME = '(private space)'

/** `{spaceId, name}` of a space, sanitized. */
export function spaceView (state: SpaceState): { spaceId: string, name: string } {
  const name = state.name
  return { spaceId: state.info.spaceId, name: name === '' ? LOCKED_NAME : sanitizeText(name) }
}

/** Normalizes a channel name as typed: trimmed, lowercase, inner spaces as dashes. */
export function normalizeChannelName (name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '-')
}
