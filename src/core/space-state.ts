/**
 * The materialized state of one space: its name, channels, display names (profiles), membership
 * (auth-graph.ts), message edits and deletions, the epochs of a private space (rotates and shares),
 * heads, and a compact table of every op (store/op-index.ts: order key, size, membership heads,
 * a message's author and channel; what dep checks, authorization and sync read). A pure function of the
 * set of ops applied in any causal order: `apply` is deterministic and idempotent per op, and
 * `authorize` decides validity from an op's deps alone.
 *
 * Sealed bodies (private spaces) are kept sealed: the state records *which op* holds a name, an
 * edit or a reaction, and opens it when asked, with the epoch secrets of `keys` (none on a relay).
 * So the index never holds plaintext, and a key that arrives after the ops opens them at once.
 *
 * `apply` also returns the LevelDB index rows that persist the same change, so the store writes the
 * op and its views in one atomic batch.
 */
import { IDX } from '../store/layout.js'
import { AuthGraph } from './auth-graph.js'
import { MEMBERSHIP_TYPES, type MessageLookup, type Rejection } from './auth.js'
import type { MembershipState } from './membership.js'
import { WeightedMap } from './bounded.js'
import { bodyKeyOf, openPayload, type Bodies, type SealableType } from './envelope.js'
import { compareHlc, hlcKey as hlcKeyOf, type Hlc } from './hlc.js'
import { idToString, toHex } from './ids.js'
import { isSealed, type Op, type SealedBody } from './op.js'
import { orderKey } from './order.js'
import { OpIndex, type IdLookup } from '../store/op-index.js'

/**
 * A channel as stored. `createdAt`: ms since the epoch (HLC wall time); `key`: order key of its
 * creation; `nameKey`: of the op that set `name` (last writer wins); `nameOp`: id of that op when
 * its name is sealed (`name` is then ''); `deleted`: set once deleted.
 */
export interface ChannelView { channelId: string, name: string, createdAt: number, key: string, nameKey?: string, nameOp?: string, deleted?: boolean }
/** A display name with the order key of the `profile.set` that set it; `nameOp` when sealed. */
export interface ProfileView { name: string, key: string, nameOp?: string }
/** The latest edit of a message (`key`: order key of the edit op; `op`: its id when sealed). */
export interface EditView { text: string, key: string, op?: string }
/** One user's latest reaction op for one (message, emoji): on or off, and its order key. */
export interface ReactionView { on: boolean, key: string }
/** A sealed reaction op (its emoji is known only to members): who, which op, its order key. */
export interface SealedReaction { user: string, op: string, key: string }
/** A deletion: who deleted the message, and the order key of the delete op. */
export interface DeleteView { by: string, key: string }
/**
 * A space's summary. `createdAt`: ms since the epoch; `sealed`: a private space whose name is
 * sealed in its `space.create` (`name` is then ''); `history`: what later members may read; `dm`: a
 * direct-message space.
 */
export interface SpaceInfo { spaceId: string, name: string, creator: string, createdAt: number, sealed?: boolean, history?: 'full' | 'since-join', dm?: boolean }
/**
 * An epoch of a private space: its `key.rotate` id, key id (hex), order key, author, the members it
 * was boxed to (user-id order), the members it was shared with since (user id -> `key.share` id),
 * and the key ids (hex) of the earlier secrets its history bundle holds.
 */
/**
 * An epoch of a private space: the `key.rotate` that made it (`rotate`, its order key `key`, its
 * `author`), the key id (hex) of its secret, the members it was boxed to (`recipients`, user-id
 * order, and as a set), the members it was shared with since (user id -> `key.share` id), and the
 * key ids its history bundle lists (`bundle`: earlier secrets sealed under this one).
 */
export interface Epoch { rotate: string, keyId: string, key: string, author: string, recipients: string[], recipientSet: ReadonlySet<string>, shares: Map<string, string>, bundle: string[] }

/** One row of the index sublevel: `null` value means delete. */
export type IndexRow = [key: string, value: unknown]

/** Epoch secrets this replica holds, by key id (hex). */
export interface KeyLookup { get: (keyIdHex: string) => Uint8Array | undefined }

/** Name of the channel every space starts with; its id is the space id. */
export const DEFAULT_CHANNEL = 'general'

/** Keys of the idx sublevel (the layout is in store/layout.ts). */
export const keys = IDX


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


/** Most characters of opened bodies kept per space (about 4 MiB of text; the rest is opened again). */
const OPENED_CACHE_CHARS = 2_000_000

function bodyChars (b: Bodies[SealableType] | null): number {
  if (b == null) return 0
  const t = (b as { text?: string, name?: string, emoji?: string })
  return (t.text ?? t.name ?? t.emoji ?? '').length
}

export class SpaceState implements MessageLookup {
  info: SpaceInfo
  readonly channels = new Map<string, ChannelView>()
  readonly profiles = new Map<string, ProfileView>()
  readonly heads = new Set<string>()
  /** Every op applied: order key, size, membership heads key, a message's author and channel. */
  readonly ops = new OpIndex()
  /** Op id -> order key, for every op applied (dep checks and causality checks read it). */
  readonly byId: IdLookup<string> = this.ops.view(id => this.ops.keyOf(id), () => this.ops.ids(), () => this.ops.count)
  /** Largest HLC of any op applied. */
  maxHlc: Hlc = { wall: 0, counter: 0 }
  /** The membership state at any op's heads (the heads key of each op is kept in `ops`). */
  readonly auth = new AuthGraph(id => this.ops.headsKeyOf(id))
  /** Author of every `message.post`, by message id. */
  readonly messageAuthors: IdLookup<string> = this.ops.view(id => this.ops.authorOf(id), () => this.ops.messageIds(), () => this.ops.messageCount())
  /** Channel of every `message.post`, by message id. */
  readonly messageChannels: IdLookup<string> = this.ops.view(id => this.ops.channelOf(id), () => this.ops.messageIds(), () => this.ops.messageCount())
  /** Latest edit of each edited message, by message id. */
  readonly edits = new Map<string, EditView>()
  /** Deleted messages, by message id. */
  readonly deleted = new Map<string, DeleteView>()
  /** Reactions: message id -> `${userId}!${emoji}` -> latest reaction op (last writer wins). */
  readonly reactions = new Map<string, Map<string, ReactionView>>()
  /** Sealed reactions, by message id (folded with `reactions` once opened). */
  readonly sealedReactions = new Map<string, SealedReaction[]>()
  /** Epochs (private spaces), by `key.rotate` id; and key id (hex) -> rotate id. */
  readonly epochs = new Map<string, Epoch>()
  readonly epochByKeyId = new Map<string, string>()
  /** Ops whose sealed bodies hold names (space, channels, profiles), by id. */
  readonly sealedNameOps = new Map<string, Op>()
  /** Epoch secrets held here (a client's key ring; a relay has none). */
  keys: KeyLookup | null = null
  /** Bumped whenever what decides which epochs are usable changes (an epoch, a share, a membership op). */
  private keyVersion = 0
  /** Bumped whenever a display name changes (labels are recomputed then: core/labels.ts). */
  profileVersion = 0
  private usable: { version: number, list: Epoch[] } | null = null
  /** Opened bodies by op id (null: cannot be opened with the key it names). */
  private readonly opened = new WeightedMap<string, Bodies[SealableType] | null>(OPENED_CACHE_CHARS, 20_000, b => 64 + bodyChars(b))

  constructor (info: SpaceInfo) {
    this.info = info
  }

  /** Number of ops applied. */
  get size (): number {
    return this.ops.count
  }

  /** Total encoded size of the ops applied, bytes (relay limits read it). */
  get bytes (): number {
    return this.ops.bytes
  }

  /**
   * Order keys (HLC key + op id) of every op of the space, ascending (what sync reconciles). Built
   * on first use, then kept up to date. Do not mutate.
   */
  get items (): readonly string[] {
    return this.ops.sorted()
  }

  /** The membership state of everything applied (members, roles, bans, invites). */
  get members (): MembershipState {
    return this.auth.current
  }

  /** True if `id` is a channel of this space (deleted or not). */
  isChannel (id: string): boolean {
    return this.channels.has(id)
  }

  /** True if `id` is a `key.rotate` of this space. */
  isRotate (id: string): boolean {
    return this.epochs.has(id)
  }

  /**
   * The largest HLC of an op of this space whose wall time is at most `wall` (ms), or undefined if
   * there is none (the space's clock starts there, so a stored op from the far future cannot push it).
   */
  maxHlcUpTo (wall: number): Hlc | undefined {
    const k = this.ops.lastKeyBelow(hlcKeyOf({ wall, counter: 0xffff_ffff }) + '\uffff')
    if (k == null) return undefined
    return { wall: parseInt(k.slice(0, 12), 16), counter: parseInt(k.slice(12, 20), 16) }
  }

  /** The space's heads, newest first in (HLC, id) order. */
  newestHeads (): string[] {
    return [...this.heads].map(id => [this.ops.keyOf(id) ?? '', id]).sort((a, b) => a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0).map(x => x[1])
  }

  /** Author of the message `id`, or undefined if it is not a message of this space. */
  messageAuthor (id: string): string | undefined {
    return this.ops.authorOf(id)
  }

  /**
   * Opens the sealed body of `op` with the key ring: the body, `undefined` when the epoch secret is
   * not held (yet), or null when it cannot be opened with it (altered, moved, re-signed). Plaintext
   * ops give their own fields.
   */
  openBody<T extends SealableType> (op: Op<T>): Bodies[T] | null | undefined {
    if (!isSealed(op.payload)) return op.payload as unknown as Bodies[T]
    const cached = this.opened.get(op.id)
    if (cached !== undefined) return cached as Bodies[T] | null
    const sealed = (op.payload as { sealed: SealedBody }).sealed
    const secret = this.keys?.get(toHex(sealed.key))
    if (secret == null) return undefined
    const which = bodyKeyOf(op, id => this.ops.channelOf(id))
    let body: Bodies[T] | null = null
    if (which != null) {
      try { body = openPayload(op, secret, which) } catch { body = null }
    }
    this.opened.set(op.id, body)
    return body
  }

  /** The space's name: plaintext, or opened from its sealed `space.create` ('' while the key is missing). */
  get name (): string {
    if (this.info.sealed !== true) return this.info.name
    const op = this.sealedNameOps.get(this.info.spaceId) as Op<'space.create'> | undefined
    return op == null ? '' : (this.openBody(op)?.name ?? '')
  }

  private sealedName (opId: string | undefined, plain: string): string {
    if (opId == null) return plain
    const op = this.sealedNameOps.get(opId) as Op<'channel.create'> | undefined
    return op == null ? '' : (this.openBody(op)?.name ?? '')
  }

  /** The channel `id` with its name opened (undefined if no such channel). */
  channel (id: string): ChannelView | undefined {
    const c = this.channels.get(id)
    return c == null ? undefined : { ...c, name: this.sealedName(c.nameOp, c.name) }
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
    if (this.ops.has(op.id)) return []
    const headsKey = op.type === 'space.create' ? '' : this.auth.headsKeyFor(op.deps)
    const p = op.payload as Record<string, unknown>
    const post = op.type === 'message.post' ? idToString(p.channel as Uint8Array) : undefined
    const { interned } = this.ops.add(key, op.bytes.length, headsKey, post == null ? undefined : op.author, post)
    this.auth.add(op, key, headsKey)
    const rows: IndexRow[] = interned.map(([n, str]) => [keys.interned(s, n), str])
    if (MEMBERSHIP_TYPES.has(op.type)) { rows.push([keys.membership(s, key), op.id]); this.keyVersion++ }
    if (compareHlc(op.hlc, this.maxHlc) > 0) this.maxHlc = op.hlc
    for (const d of op.deps) {
      if (this.heads.delete(d)) rows.push([keys.head(s, d), null])
    }
    this.heads.add(op.id)
    rows.push([keys.head(s, op.id), 1])
    const sealed = isSealed(op.payload)
    if (sealed && (op.type === 'space.create' || op.type === 'channel.create' || op.type === 'channel.rename' || op.type === 'profile.set')) {
      this.sealedNameOps.set(op.id, op)
      rows.push([keys.sealedName(s, op.id), 1])
    }
    switch (op.type) {
      case 'space.create': {
        this.info = sealed
          ? { spaceId: s, name: '', creator: op.author, createdAt: op.hlc.wall, sealed: true, history: p.history as 'full' | 'since-join', ...(p.dm === true ? { dm: true } : {}) }
          : { spaceId: s, name: p.name as string, creator: op.author, createdAt: op.hlc.wall }
        rows.push([keys.space(s), this.info])
        rows.push(...this.addChannel({ channelId: s, name: DEFAULT_CHANNEL, createdAt: op.hlc.wall, key }))
        break
      }
      case 'channel.create':
        rows.push(...this.addChannel({ channelId: op.id, name: sealed ? '' : p.name as string, createdAt: op.hlc.wall, key, ...(sealed ? { nameOp: op.id } : {}) }))
        break
      case 'channel.rename': {
        const c = this.channels.get(idToString(p.channel as Uint8Array))
        if (c != null && (c.nameKey ?? c.key) < key) {
          const { nameOp: _, ...rest } = c
          rows.push(...this.addChannel({ ...rest, name: sealed ? '' : p.name as string, nameKey: key, ...(sealed ? { nameOp: op.id } : {}) }))
        }
        break
      }
      case 'channel.delete': {
        const c = this.channels.get(idToString(p.channel as Uint8Array))
        if (c != null && c.deleted !== true) rows.push(...this.addChannel({ ...c, deleted: true }))
        break
      }
      case 'message.post':
        rows.push([keys.message(s, post as string, key), op.author])
        break
      case 'message.edit': {
        const target = idToString(p.message as Uint8Array)
        rows.push(...setByKey(this.edits, target, sealed ? { text: '', key, op: op.id } : { text: p.text as string, key }, keys.edit(s, target), 'latest'))
        break
      }
      case 'message.react': {
        const target = idToString(p.message as Uint8Array)
        if (sealed) {
          const r = { user: op.author, op: op.id, key }
          this.addSealedReaction(target, r)
          rows.push([keys.sealedReaction(s, target, op.author, op.id), r])
        } else {
          const view = { on: p.on as boolean, key }
          if (this.setReaction(target, op.author, p.emoji as string, view)) rows.push([keys.reaction(s, target, op.author, p.emoji as string), view])
        }
        break
      }
      case 'message.delete': {
        const target = idToString(p.message as Uint8Array)
        rows.push(...setByKey(this.deleted, target, { by: op.author, key }, keys.deleted(s, target), 'earliest'))
        break
      }
      case 'profile.set':
        this.profileVersion++
        rows.push(...setByKey(this.profiles, op.author, sealed ? { name: '', key, nameOp: op.id } : { name: p.name as string, key }, keys.profile(s, op.author), 'latest'))
        break
      case 'key.rotate':
        this.addEpoch(op as Op<'key.rotate'>, key, headsKey)
        rows.push([keys.rotate(s, key), op.id])
        break
      case 'key.share': {
        const rotate = idToString(p.rotate as Uint8Array)
        const to = idToString(p.to as Uint8Array)
        this.addShare(rotate, to, op.id)
        rows.push([keys.share(s, rotate, to), op.id])
        break
      }
    }
    return rows
  }

  /**
   * Records an epoch: its recipients are the members with a key in the membership state of the
   * rotate's causal history (what `authorize` checked its boxes against), in user-id order.
   */
  addEpoch (op: Op<'key.rotate'>, key: string, headsKey: string): void {
    const recipients = (this.auth.stateAt(headsKey).recipients()).map(r => r.userId)
    const keyId = toHex(op.payload.key)
    // (the rotates a bundle names are deps of this one: applied already, here and at load)
    const bundle = (op.payload.history?.rotates ?? []).map(r => this.epochs.get(idToString(r))?.keyId).filter((k): k is string => k != null)
    this.epochs.set(op.id, { rotate: op.id, keyId, key, author: op.author, recipients, recipientSet: new Set(recipients), shares: this.epochs.get(op.id)?.shares ?? new Map(), bundle })
    const prev = this.epochByKeyId.get(keyId)
    if (prev == null || (this.epochs.get(prev)?.key ?? '') > key) this.epochByKeyId.set(keyId, op.id)
    this.keyVersion++
  }

  /** Records that epoch `rotate` was shared with `userId` by `key.share` `shareId`. */
  addShare (rotate: string, userId: string, shareId: string): void {
    const e = this.epochs.get(rotate)
    if (e == null) return
    e.shares.set(userId, shareId)
    this.keyVersion++
  }

  /**
   * The epochs a message may be sealed with, newest first by the rotate's (HLC, id): those whose
   * every possible reader is still a member. The readers of a secret are everyone who was given it -
   * the author and recipients of every rotate with its key id, the members it was shared with - and,
   * transitively, the readers of every epoch whose history bundle lists it (they open it from there).
   * So once anyone who could read a secret is removed, that secret and every one bundled under it
   * with it are retired for good: a removed member never reads what is sealed after its removal.
   * Cached until an epoch, a share or a membership op is applied.
   */
  usableEpochs (): Epoch[] {
    if (this.usable?.version === this.keyVersion) return this.usable.list
    const m = this.auth.current
    const listed = new Map<string, string[]>() // key id -> key ids its epochs' bundles list
    const retired = new Set<string>()
    for (const e of this.epochs.values()) {
      if (e.bundle.length > 0) listed.set(e.keyId, [...(listed.get(e.keyId) ?? []), ...e.bundle])
      if (retired.has(e.keyId)) continue
      if (m.roleOf(e.author) == null) { retired.add(e.keyId); continue }
      for (const u of e.recipients) if (m.roleOf(u) == null) { retired.add(e.keyId); break }
      if (!retired.has(e.keyId)) for (const u of e.shares.keys()) if (m.roleOf(u) == null) { retired.add(e.keyId); break }
    }
    // whoever could read a retired secret reads what its bundles list: retire those too
    const todo = [...retired]
    while (todo.length > 0) {
      for (const k of listed.get(todo.pop() as string) ?? []) if (!retired.has(k)) { retired.add(k); todo.push(k) }
    }
    const list = [...this.epochs.values()].filter(e => !retired.has(e.keyId)).sort((a, b) => a.key < b.key ? 1 : a.key > b.key ? -1 : 0)
    this.usable = { version: this.keyVersion, list }
    return list
  }

  /**
   * The key ids (hex) of the epochs `userId` can open: those boxed or shared to it, and, through
   * their history bundles, every earlier secret those bundles hold (and theirs in turn).
   */
  readableBy (userId: string): Set<string> {
    const out = new Set<string>()
    const todo: string[] = []
    for (const e of this.epochs.values()) if (this.holds(e, userId)) todo.push(e.keyId)
    while (todo.length > 0) {
      const k = todo.pop() as string
      if (out.has(k)) continue
      out.add(k)
      const e = this.epochs.get(this.epochByKeyId.get(k) ?? '')
      if (e != null) todo.push(...e.bundle)
    }
    return out
  }

  /** True if `userId` was given epoch `e` (boxed or shared). */
  holds (e: Epoch, userId: string): boolean {
    return e.recipientSet.has(userId) || e.shares.has(userId)
  }

  /** The current key: the usable epoch with the highest (HLC, id); null if none is usable. */
  currentEpoch (): Epoch | null {
    return this.usableEpochs()[0] ?? null
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

  /** Records a sealed reaction op (opened when reactions are shown). */
  addSealedReaction (messageId: string, r: SealedReaction): void {
    const list = this.sealedReactions.get(messageId) ?? []
    if (!list.some(x => x.op === r.op)) list.push(r)
    this.sealedReactions.set(messageId, list)
  }

  /**
   * Reactions shown on a message: emoji -> the users whose latest reaction is on (and shown by the
   * same rule as messages, `visible`), in first-reaction order. `sealedOps` are the message's sealed
   * reaction ops (by id), opened here with the key ring.
   */
  reactionsOf (messageId: string, sealedOps: Map<string, Op> = new Map()): Array<{ emoji: string, users: string[] }> {
    const latest = new Map<string, ReactionView>(this.reactions.get(messageId) ?? [])
    for (const r of this.sealedReactions.get(messageId) ?? []) {
      const op = sealedOps.get(r.op) as Op<'message.react'> | undefined
      const body = op == null ? undefined : this.openBody(op)
      if (body == null) continue
      const k = `${r.user}!${body.emoji}`
      const cur = latest.get(k)
      if (cur == null || cur.key < r.key) latest.set(k, { on: body.on, key: r.key })
    }
    const out = new Map<string, Array<{ user: string, key: string }>>()
    for (const [k, v] of latest) {
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

  /** Channels not deleted, sorted by creation order (the default channel first), names opened. */
  channelList (): ChannelView[] {
    return [...this.channels.values()].filter(c => c.deleted !== true).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0).map(c => this.channel(c.channelId) as ChannelView)
  }

  /** Display name of `userId` in this space, or null if it never set one (or it cannot be opened yet). */
  nameOf (userId: string): string | null {
    const p = this.profiles.get(userId)
    if (p == null) return null
    const name = this.sealedName(p.nameOp, p.name)
    return name === '' ? null : name
  }
}
