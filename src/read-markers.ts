/**
 * Unread messages and mentions per channel. Each channel has a last-read position (an order key,
 * persisted in the meta sublevel: store/layout.ts META.read) that only moves forward; messages of
 * others after it are unread (counted up to UNREAD_CAP), and those that mention us are counted
 * apart. A channel seen for the first time is read up to its newest message (nothing it held
 * before counts as news).
 */
import { logger } from '@libp2p/logger'
import type { OpStore } from './store/op-store.js'
import type { SpaceState } from './core/space-state.js'
import { META } from './store/layout.js'
import { UNREAD_CAP, type Counts } from './client/space-client.js'

const log = logger('spaceway:unread')

/** The channel key of the maps below. */
const ck = (spaceId: string, channelId: string): string => `${spaceId}!${channelId}`

export class ReadMarkers {
  private readonly markers = new Map<string, string>()
  private readonly counts = new Map<string, Counts>()

  /**
   * @param isMention whether stored message `opId` of a space mentions us (opens its body)
   */
  constructor (
    private readonly store: OpStore,
    private readonly self: string,
    private readonly isMention: (state: SpaceState, opIds: string[]) => Promise<number>
  ) {}

  /** Loads the markers and counts every channel of `spaces`. */
  async load (spaces: SpaceState[]): Promise<void> {
    for (const [k, v] of await this.store.metaRange<string>(META.readPrefix)) this.markers.set(k, v)
    for (const s of spaces) await this.track(s)
  }

  /** Counts the channels of `state` not counted yet (a space just joined or created, a new channel). */
  async track (state: SpaceState): Promise<void> {
    const spaceId = state.info.spaceId
    for (const c of state.channelList()) {
      const key = ck(spaceId, c.channelId)
      if (this.counts.has(key)) continue
      this.counts.set(key, { unread: 0, mentions: 0 })
      const marker = this.markers.get(key)
      if (marker == null) {
        // what it holds now is not news; an empty channel is read up to its start ('' sorts first)
        await this.save(spaceId, c.channelId, await this.store.lastPosition(spaceId, c.channelId) ?? '')
        continue
      }
      await this.recount(state, c.channelId)
    }
  }

  private async recount (state: SpaceState, channelId: string): Promise<void> {
    const spaceId = state.info.spaceId
    const ids = await this.store.countAfter(spaceId, channelId, this.markers.get(ck(spaceId, channelId)) ?? null, this.self, UNREAD_CAP)
    this.counts.set(ck(spaceId, channelId), { unread: ids.length, mentions: ids.length === 0 ? 0 : await this.isMention(state, ids) })
  }

  /** Unread counts of a channel. */
  of (spaceId: string, channelId: string): Counts {
    return this.counts.get(ck(spaceId, channelId)) ?? { unread: 0, mentions: 0 }
  }

  /** The last-read position of a channel, or null. */
  marker (spaceId: string, channelId: string): string | null {
    return this.markers.get(ck(spaceId, channelId)) ?? null
  }

  /** A message of another author arrived at `position`: counted if after the marker. */
  arrived (spaceId: string, channelId: string, position: string, mention: boolean): void {
    const key = ck(spaceId, channelId)
    const marker = this.markers.get(key)
    if (marker != null && position <= marker) return
    const c = this.counts.get(key) ?? { unread: 0, mentions: 0 }
    this.counts.set(key, { unread: Math.min(UNREAD_CAP, c.unread + 1), mentions: c.mentions + (mention ? 1 : 0) })
  }

  /** Marks a channel read up to `position` (never back); what is left after it is counted again. */
  async mark (state: SpaceState, channelId: string, position: string): Promise<boolean> {
    const spaceId = state.info.spaceId
    const marker = this.markers.get(ck(spaceId, channelId))
    if (marker != null && position <= marker) return false
    await this.save(spaceId, channelId, position)
    await this.recount(state, channelId)
    return true
  }

  private async save (spaceId: string, channelId: string, position: string): Promise<void> {
    this.markers.set(ck(spaceId, channelId), position)
    await this.store.setMeta(META.read(spaceId, channelId), position).catch(err => { log.error('cannot save the read marker of %s: %s', spaceId, (err as Error).message) })
  }
}
