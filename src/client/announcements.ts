/**
 * Changes by others announced by name: channels created, renamed and deleted (`channel:*`), a
 * member's new name (`member:name`, from the label before), and joins (`member:join`) held until the
 * joiner's name arrives (at most JOIN_NAME_WAIT_MS), so a join reads "bob joined", not "user-...".
 * It keeps, per space, the channel names and labels last announced, to say what a change changed from.
 */
import type { EventEmitter } from 'node:events'
import type { App } from '../app.js'
import { idToString } from '../core/ids.js'
import { labelsOf } from '../core/labels.js'
import type { Op } from '../core/op.js'
import { sanitizeText } from '../core/sanitize.js'
import type { SpaceState } from '../core/space-state.js'
import { displayName } from '../views.js'
import type { ClientEvents } from './space-client.js'

/** How long a join waits for the joiner's name before it is announced without it, ms. */
export const JOIN_NAME_WAIT_MS = 5000

type JoinData = ClientEvents['member:join'][0]

export class Announcements {
  private readonly channelNames = new Map<string, Map<string, string>>()
  private readonly labels = new Map<string, Map<string, string>>()
  private readonly pendingJoins = new Map<string, { data: JoinData, timer: NodeJS.Timeout }>()

  /** @param events where the announcements go */
  constructor (private readonly app: App, private readonly events: EventEmitter<ClientEvents>) {}

  /** Remembers the channel names and labels of a space as they are now (at start, after a key arrived). */
  snapshot (state: SpaceState): void {
    const spaceId = state.info.spaceId
    this.channelNames.set(spaceId, new Map(state.channelList().map(c => [c.channelId, sanitizeText(c.name)])))
    this.labels.set(spaceId, new Map(labelsOf(state)))
  }

  /** A join took effect: announced now if the joiner has a name, else when it arrives. */
  joined (data: JoinData): void {
    const state = this.app.store.spaces.get(data.spaceId)
    if (data.you || state == null || state.nameOf(data.user.userId) != null) { this.events.emit('member:join', data); return }
    const key = `${data.spaceId}/${data.user.userId}`
    const timer = setTimeout(() => { this.flushJoin(key) }, JOIN_NAME_WAIT_MS)
    timer.unref()
    this.pendingJoins.set(key, { data, timer })
  }

  /** Announces a join held for the joiner's name (with the name it has now). */
  private flushJoin (key: string): void {
    const pending = this.pendingJoins.get(key)
    if (pending == null) return
    clearTimeout(pending.timer)
    this.pendingJoins.delete(key)
    const { data } = pending
    this.events.emit('member:join', { ...data, user: { userId: data.user.userId, name: displayName(this.app.store.spaces.get(data.spaceId), data.user.userId) } })
  }

  /** An op was applied (`local`: ours): announces channel and name changes by others. */
  applied (op: Op, local: boolean): void {
    const state = this.app.store.spaces.get(op.spaceId)
    if (state == null || (!op.type.startsWith('channel.') && op.type !== 'profile.set')) return
    const spaceId = op.spaceId
    if (op.type === 'profile.set' && state.nameOf(op.author) != null) this.flushJoin(`${spaceId}/${op.author}`)
    const before = { channels: this.channelNames.get(spaceId) ?? new Map<string, string>(), labels: this.labels.get(spaceId) ?? new Map<string, string>() }
    this.snapshot(state)
    if (local || state.members.roleOf(this.app.account.userId) == null) return
    const by = { userId: op.author, name: displayName(state, op.author) }
    const channelId = op.type === 'channel.create' ? op.id : idToString((op.payload as { channel?: Uint8Array }).channel ?? new Uint8Array(32))
    const name = sanitizeText(state.channel(channelId)?.name ?? '')
    switch (op.type) {
      case 'channel.create':
        if (name !== '') this.events.emit('channel:create', { spaceId, channelId, name, by })
        break
      case 'channel.rename': {
        const from = before.channels.get(channelId) ?? ''
        if (from !== name && name !== '') this.events.emit('channel:rename', { spaceId, channelId, from, name, by })
        break
      }
      case 'channel.delete':
        this.events.emit('channel:delete', { spaceId, channelId, name: before.channels.get(channelId) ?? name, by })
        break
      case 'profile.set': {
        const from = before.labels.get(op.author)
        if (from != null && from !== by.name) this.events.emit('member:name', { spaceId, user: by, from })
        break
      }
    }
  }

  /** Announces the joins still held. */
  stop (): void {
    for (const key of [...this.pendingJoins.keys()]) this.flushJoin(key)
  }
}
