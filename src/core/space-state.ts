/**
 * The materialized state of one space: its name, channels, display names (profiles), heads and the
 * sorted list of its ops' order keys (what sync reconciles). A pure function of the set of ops
 * applied in any causal order: `apply` is deterministic and idempotent per op.
 *
 * `apply` also returns the LevelDB index rows that persist the same change, so the store writes the
 * op and its views in one atomic batch.
 */
import { compareHlc, type Hlc } from './hlc.js'
import { idToString } from './ids.js'
import type { Op } from './op.js'
import { orderKey } from './order.js'

/** A channel as the UI sees it. `createdAt`: ms since the epoch (HLC wall time). */
export interface ChannelView { channelId: string, name: string, createdAt: number, key: string }
/** A display name with the order key of the `profile.set` that set it (last writer wins). */
export interface ProfileView { name: string, key: string }
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
  profile: (s: string, u: string) => `prof!${s}!${u}`
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

export class SpaceState {
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

  constructor (info: SpaceInfo) {
    this.info = info
  }

  /** Number of ops applied. */
  get size (): number {
    return this.items.length
  }

  /**
   * Applies an op whose deps are all applied already (the caller guarantees causal order).
   * Returns the index rows to persist. Applying an op twice returns no rows the second time.
   */
  apply (op: Op): IndexRow[] {
    const s = this.info.spaceId
    const key = orderKey(op.hlc, op.id)
    if (this.byId.has(op.id) || !insertSorted(this.items, key)) return []
    this.byId.set(op.id, key)
    this.bytes += op.bytes.length
    const rows: IndexRow[] = [[keys.item(s, key), op.bytes.length]]
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
      case 'message.post': {
        const p = op.payload as Op<'message.post'>['payload']
        rows.push([keys.message(s, idToString(p.channel), key), 1])
        break
      }
      case 'profile.set': {
        const p = op.payload as Op<'profile.set'>['payload']
        const current = this.profiles.get(op.author)
        if (current == null || current.key < key) {
          const view = { name: p.name, key }
          this.profiles.set(op.author, view)
          rows.push([keys.profile(s, op.author), view])
        }
        break
      }
    }
    return rows
  }

  private addChannel (view: ChannelView): IndexRow[] {
    this.channels.set(view.channelId, view)
    return [[keys.channel(this.info.spaceId, view.channelId), view]]
  }

  /** Channels sorted by creation order (the default channel first). */
  channelList (): ChannelView[] {
    return [...this.channels.values()].sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }

  /** Display name of `userId` in this space, or null if it never set one. */
  nameOf (userId: string): string | null {
    return this.profiles.get(userId)?.name ?? null
  }
}
