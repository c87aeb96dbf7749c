/**
 * The materialized state of one space: its name, channels, display names (profiles), membership
 * (auth-graph.ts), message edits and deletions, heads and the sorted list of its ops' order keys
 * (what sync reconciles). A pure function of the set of ops applied in any causal order: `apply` is
 * deterministic and idempotent per op, and `authorize` decides validity from an op's deps alone.
 *
 * `apply` also returns the LevelDB index rows that persist the same change, so the store writes the
 * op and its views in one atomic batch.
 */
import { AuthGraph } from './auth-graph.js'
import { MEMBERSHIP_TYPES, type MembershipState, type MessageLookup, type Rejection } from './auth.js'
import { compareHlc, hlcKey as hlcKeyOf, type Hlc } from './hlc.js'
import { idToString } from './ids.js'
import type { Op } from './op.js'
import { orderKey } from './order.js'

/**
 * A channel as the UI sees it. `createdAt`: ms since the epoch (HLC wall time); `key`: order key of
 * its creation; `nameKey`: of the op that set `name` (last writer wins); `deleted`: set once deleted.
 */
export interface ChannelView { channelId: string, name: string, createdAt: number, key: string, nameKey?: string, deleted?: boolean }
/** A display name with the order key of the `profile.set` that set it (last writer wins). */
export interface ProfileView { name: string, key: string }
/** The latest edit of a message (`key`: order key of the edit op). */
export interface EditView { text: string, key: string }
/** One user's latest reaction op for one (message, emoji): on or off, and its order key. */
export interface ReactionView { on: boolean, key: string }
/** A deletion: who deleted the message, and the order key of the delete op. */
export interface DeleteView { by: string, key: string }
/** Value of a `t!` index row: op size in bytes and the op's membership heads key (auth-graph.ts). */
export type ItemRow = [size: number, headsKey: string]
/** A space's summary. `createdAt`: ms since the epoch. */
export interface SpaceInfo { spaceId: string, name: string, creator: string, createdAt: number }

/** One row of the index sublevel: `null` value means delete. */
export type IndexRow = [key: string, value: unknown]

/** Name of the channel every space starts with; its id is the space id. */
export const DEFAULT_CHANNEL = 'general'

/** Index key helpers (documented in docs/STORAGE.md). */
export const keys = {
  space: (s: string) => `space!${s}`,
  head: (s: string, id: string) => `head!${s}!${id}`,
  item: (s: string, k: string) => `t!${s}!${k}`,
  channel: (s: string, c: string) => `ch!${s}!${c}`,
  message: (s: string, c: string, k: string) => `msg!${s}!${c}!${k}`,
  profile: (s: string, u: string) => `prof!${s}!${u}`,
  membership: (s: string, k: string) => `auth!${s}!${k}`,
  edit: (s: string, m: string) => `edit!${s}!${m}`,
  deleted: (s: string, m: string) => `del!${s}!${m}`,
  reaction: (s: string, m: string, u: string, e: string) => `react!${s}!${m}!${u}!${e}`
}

/** Inserts `key` into the sorted array `arr` (binary search); no-op if present. Returns true if inserted. */
export function insertSorted (arr: string[], key: string): boolean {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (arr[mid] < key) lo = mid + 1
    else hi = mid
  }
  if (arr[lo] === key) return false
  arr.splice(lo, 0, key)
  return true
}

/**
 * A register decided by order key: stores `view` under `id` if `map` holds nothing there, or (`wins`)
 * the held view is older ('latest' wins) or newer ('earliest' wins). Returns the index row to write.
 */
function setByKey<V extends { key: string }> (map: Map<string, V>, id: string, view: V, row: string, wins: 'latest' | 'earliest'): IndexRow[] {
  const current = map.get(id)
  if (current != null && (wins === 'latest' ? current.key >= view.key : current.key <= view.key)) return []
  map.set(id, view)
  return [[row, view]]
}

export class SpaceState implements MessageLookup {
  info: SpaceInfo
  readonly channels = new Map<string, ChannelView>()
  readonly profiles = new Map<string, ProfileView>()
  readonly heads = new Set<string>()
  /** Order keys (HLC key + op id) of every op of the space, ascending. */
  readonly items: string[] = []
  /** Op id -> order key, for every op applied (dep checks and causality checks read it). */
  readonly byId = new Map<string, string>()
  /** Total encoded size of the ops applied, bytes (relay limits read it). */
  bytes = 0
  /** Largest HLC of any op applied. */
  maxHlc: Hlc = { wall: 0, counter: 0 }
  /** Membership heads of every op, and the membership state at any of them. */
  readonly auth = new AuthGraph()
  /** Author of every `message.post`, by message id. */
  readonly messageAuthors = new Map<string, string>()
  /** Latest edit of each edited message, by message id. */
  readonly edits = new Map<string, EditView>()
  /** Deleted messages, by message id. */
  readonly deleted = new Map<string, DeleteView>()
  /** Reactions: message id -> `${userId}!${emoji}` -> latest reaction op (last writer wins). */
  readonly reactions = new Map<string, Map<string, ReactionView>>()

  constructor (info: SpaceInfo) {
    this.info = info
  }

  /** Number of ops applied. */
  get size (): number {
    return this.items.length
  }

  /** The membership state of everything applied (members, roles, bans, invites). */
  get members (): MembershipState {
    return this.auth.current
  }

  /**
   * The largest HLC of an op of this space whose wall time is at most `wall` (ms), or undefined if
   * there is none (the space's clock starts there, so a stored op from the far future cannot push it).
   */
  maxHlcUpTo (wall: number): Hlc | undefined {
    const limit = hlcKeyOf({ wall, counter: 0xffff_ffff }) + '\uffff'
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.items[mid] < limit) lo = mid + 1
      else hi = mid
    }
    if (lo === 0) return undefined
    const k = this.items[lo - 1]
    return { wall: parseInt(k.slice(0, 12), 16), counter: parseInt(k.slice(12, 20), 16) }
  }

  /** The space's heads, newest first in (HLC, id) order. */
  newestHeads (): string[] {
    return [...this.heads].map(id => [this.byId.get(id) ?? '', id]).sort((a, b) => a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0).map(x => x[1])
  }

  /** True if `id` is a channel of this space (deleted or not). */
  isChannel (id: string): boolean {
    return this.channels.has(id)
  }

  /** Author of the message `id`, or undefined if it is not a message of this space. */
  messageAuthor (id: string): string | undefined {
    return this.messageAuthors.get(id)
  }

  /**
   * Decides whether `op` (deps all applied) is allowed: its author needs the permission in the
   * membership state of the op's causal history (core/auth.ts). Pure; never throws.
   * @returns null if allowed, else the rejection
   */
  authorize (op: Op): Rejection | null {
    if (op.type === 'space.create') return null
    return this.auth.stateAt(this.auth.headsKeyFor(op.deps)).check(op, this)
  }

  /**
   * True if a message by `author` with order key `key` is shown: its author is a member now, or was
   * removed by an op ordered after the message. So what a removed member's client sends after its
   * removal (even ops that ignore the removal in their deps) is shown by nobody.
   */
  visible (author: string, key: string): boolean {
    const m = this.auth.current
    if (m.roleOf(author) != null) return true
    const removal = m.removed.get(author)
    return removal != null && key < removal.key
  }

  /**
   * Applies an op whose deps are all applied already and that `authorize` allowed (the caller
   * guarantees both). Returns the index rows to persist. Applying an op twice returns no rows the
   * second time.
   */
  apply (op: Op): IndexRow[] {
    const s = this.info.spaceId
    const key = orderKey(op.hlc, op.id)
    if (this.byId.has(op.id) || !insertSorted(this.items, key)) return []
    this.byId.set(op.id, key)
    this.bytes += op.bytes.length
    const headsKey = op.type === 'space.create' ? '' : this.auth.headsKeyFor(op.deps)
    this.auth.add(op, key, headsKey)
    const item: ItemRow = [op.bytes.length, headsKey]
    const rows: IndexRow[] = [[keys.item(s, key), item]]
    if (MEMBERSHIP_TYPES.has(op.type)) rows.push([keys.membership(s, key), op.id])
    if (compareHlc(op.hlc, this.maxHlc) > 0) this.maxHlc = op.hlc
    for (const d of op.deps) {
      if (this.heads.delete(d)) rows.push([keys.head(s, d), null])
    }
    this.heads.add(op.id)
    rows.push([keys.head(s, op.id), 1])
    switch (op.type) {
      case 'space.create': {
        const p = op.payload as Op<'space.create'>['payload']
        this.info = { spaceId: s, name: p.name, creator: op.author, createdAt: op.hlc.wall }
        rows.push([keys.space(s), this.info])
        rows.push(...this.addChannel({ channelId: s, name: DEFAULT_CHANNEL, createdAt: op.hlc.wall, key }))
        break
      }
      case 'channel.create': {
        const p = op.payload as Op<'channel.create'>['payload']
        rows.push(...this.addChannel({ channelId: op.id, name: p.name, createdAt: op.hlc.wall, key }))
        break
      }
      case 'channel.rename': {
        const p = op.payload as Op<'channel.rename'>['payload']
        const c = this.channels.get(idToString(p.channel))
        if (c != null && (c.nameKey ?? c.key) < key) rows.push(...this.addChannel({ ...c, name: p.name, nameKey: key }))
        break
      }
      case 'channel.delete': {
        const c = this.channels.get(idToString((op.payload as Op<'channel.delete'>['payload']).channel))
        if (c != null && c.deleted !== true) rows.push(...this.addChannel({ ...c, deleted: true }))
        break
      }
      case 'message.post': {
        const p = op.payload as Op<'message.post'>['payload']
        this.messageAuthors.set(op.id, op.author)
        rows.push([keys.message(s, idToString(p.channel), key), op.author])
        break
      }
      case 'message.edit': {
        const p = op.payload as Op<'message.edit'>['payload']
        const target = idToString(p.message)
        rows.push(...setByKey(this.edits, target, { text: p.text, key }, keys.edit(s, target), 'latest'))
        break
      }
      case 'message.react': {
        const p = op.payload as Op<'message.react'>['payload']
        const target = idToString(p.message)
        const view = { on: p.on, key }
        if (this.setReaction(target, op.author, p.emoji, view)) rows.push([keys.reaction(s, target, op.author, p.emoji), view])
        break
      }
      case 'message.delete': {
        const target = idToString((op.payload as Op<'message.delete'>['payload']).message)
        rows.push(...setByKey(this.deleted, target, { by: op.author, key }, keys.deleted(s, target), 'earliest'))
        break
      }
      case 'profile.set': {
        const p = op.payload as Op<'profile.set'>['payload']
        rows.push(...setByKey(this.profiles, op.author, { name: p.name, key }, keys.profile(s, op.author), 'latest'))
        break
      }
    }
    return rows
  }

  private addChannel (view: ChannelView): IndexRow[] {
    this.channels.set(view.channelId, view)
    return [[keys.channel(this.info.spaceId, view.channelId), view]]
  }

  /** Records a reaction if it is newer than the one held for (message, user, emoji); true if it was. */
  setReaction (messageId: string, userId: string, emoji: string, view: ReactionView): boolean {
    let m = this.reactions.get(messageId)
    if (m == null) { m = new Map(); this.reactions.set(messageId, m) }
    const current = m.get(`${userId}!${emoji}`)
    if (current != null && current.key >= view.key) return false
    m.set(`${userId}!${emoji}`, view)
    return true
  }

  /**
   * Reactions shown on a message: emoji -> the users whose latest reaction is on (and shown by the
   * same rule as messages, `visible`), in first-reaction order.
   */
  reactionsOf (messageId: string): Array<{ emoji: string, users: string[] }> {
    const out = new Map<string, Array<{ user: string, key: string }>>()
    for (const [k, v] of this.reactions.get(messageId) ?? []) {
      const cut = k.indexOf('!')
      const user = k.slice(0, cut)
      const emoji = k.slice(cut + 1)
      if (!v.on || !this.visible(user, v.key)) continue
      const list = out.get(emoji) ?? []
      list.push({ user, key: v.key })
      out.set(emoji, list)
    }
    return [...out].map(([emoji, l]) => ({ emoji, users: l.sort((a, b) => a.key < b.key ? -1 : 1).map(x => x.user), first: l[0].key }))
      .sort((a, b) => a.first < b.first ? -1 : 1).map(({ emoji, users }) => ({ emoji, users }))
  }

  /** Channels not deleted, sorted by creation order (the default channel first). */
  channelList (): ChannelView[] {
    return [...this.channels.values()].filter(c => c.deleted !== true).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }

  /** Display name of `userId` in this space, or null if it never set one. */
  nameOf (userId: string): string | null {
    return this.profiles.get(userId)?.name ?? null
  }
}
