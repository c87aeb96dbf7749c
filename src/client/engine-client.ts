/**
 * `EngineClient`: the engine's side of the SpaceClient seam (space-client.ts). It wraps the running
 * App (account, store, replica, node) and gives the UI and the commands typed, sanitised queries,
 * actions and events: messages with their place (`position`), whether they mention us, who wrote
 * them (a label unique in the space) and, for our own, how far they got (delivery); unread counts
 * kept by read markers (read-markers.ts); channel and nick changes announced by name.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import type { App } from '../app.js'
import { actions, memberSpaces } from '../actions.js'
import { memberActions, peerIdOf } from '../member-actions.js'
import { dmActions } from '../dm-actions.js'
import { joinSpace } from '../net/join-service.js'
import { dhtTable, networkInfo, routingTableSize } from '../network-info.js'
import { ReadMarkers } from '../read-markers.js'
import { NoCurrentSpaceError } from '../errors.js'
import { idToString } from '../core/ids.js'
import { invalidateLabels, labelsOf } from '../core/labels.js'
import { orderKey } from '../core/order.js'
import { sanitizeText } from '../core/sanitize.js'
import type { Op } from '../core/op.js'
import type { SpaceState } from '../core/space-state.js'
import { displayName, messageView, relatedOpIds, spaceView, type MessageView } from '../views.js'
import type {
  AwaySummary, ChannelSummary, ClientEvents, ClientStatus, DeliveryStatus, MemberView, MessageItem, MessagePage,
  MessageQuery, MessageSent, PeerView, Role, SpaceClient, SpaceSummary
} from './space-client.js'
import { BadArgumentError } from '../errors.js'

const log = logger('spaceway:client')

/** Own messages whose delivery is remembered (the newest ones). */
export const DELIVERY_REMEMBERED = 1000
/** After we write a message, our relays are asked to reconcile the space this soon (so `stored` shows; at most one such sync per space in this time: a burst costs the relay one session), ms. */
export const RELAY_ACK_DELAY_MS = 2000
/** How long a join waits for the joiner's name before it is announced without it, ms. */
export const JOIN_NAME_WAIT_MS = 5000
/** Characters of a replied message shown in the quote. */
export const QUOTE_CHARS = 60

/** The text of an action message (`/me waves`): what follows `/me `, or null for an ordinary message. */
export function actionText (text: string): string | null {
  return text.startsWith('/me ') ? text.slice(4) : null
}

/** True if `text` names `name` as `@name` (case-insensitive, not followed by a letter, digit, `_` or `~`). */
export function mentions (text: string, name: string): boolean {
  if (name === '') return false
  const lower = text.toLowerCase()
  const needle = `@${name.toLowerCase()}`
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, i + 1)) {
    const next = lower[i + needle.length]
    if (next == null || !/[\p{L}\p{N}_~-]/u.test(next)) return true
  }
  return false
}

interface Delivery { spaceId: string, at: number, status: DeliveryStatus }

export class EngineClient extends EventEmitter<ClientEvents> implements SpaceClient {
  private readonly reads: ReadMarkers
  private readonly deliveries = new Map<string, Delivery>()
  private readonly syncing = new Map<string, number>()
  /** Per space: channel names and user labels as last announced (to say what a change changed from). */
  private readonly channelNames = new Map<string, Map<string, string>>()
  private readonly labels = new Map<string, Map<string, string>>()
  private readonly relayAck = new Map<string, NodeJS.Timeout>()
  /** Recipients of our ops published before `send` returned (the publish can finish first). */
  private readonly published = new Map<string, number>()
  /** Joins of users whose name has not arrived yet: announced when it does (or after JOIN_NAME_WAIT_MS). */
  private readonly pendingJoins = new Map<string, { data: ClientEvents['member:join'][0], timer: NodeJS.Timeout }>()

  private constructor (readonly app: App) {
    super()
    this.reads = new ReadMarkers(app.store, app.account.userId, async (state, ids) => await this.countMentions(state, ids))
  }

  /** Wraps a started App: loads read markers and unread counts, then forwards its events. */
  static async create (app: App): Promise<EngineClient> {
    const client = new EngineClient(app)
    await client.reads.load(memberSpaces(app))
    for (const state of app.store.spaces.values()) client.snapshot(state)
    client.wire()
    return client
  }

  private get self (): string { return this.app.account.userId }

  private wire (): void {
    const app = this.app
    const pass = <K extends keyof ClientEvents & string>(name: K): void => {
      (app as unknown as EventEmitter).on(name, (...data: unknown[]) => { (this.emit as (n: string, ...d: unknown[]) => boolean)(name, ...data) })
    }
    app.on('member:join', (data) => {
      const state = app.store.spaces.get(data.spaceId)
      // a join comes before the joiner's name: announce it with the name, when it arrives
      if (data.you || state == null || state.nameOf(data.user.userId) != null) { this.emit('member:join', data); return }
      const key = `${data.spaceId}/${data.user.userId}`
      const timer = setTimeout(() => { this.flushJoin(key) }, JOIN_NAME_WAIT_MS)
      timer.unref()
      this.pendingJoins.set(key, { data, timer })
    })
    for (const name of ['message:edit', 'message:delete', 'message:react', 'member:leave', 'member:role', 'op:rejected', 'peer:connect', 'peer:disconnect', 'dm', 'key:forged', 'relay:refused'] as const) pass(name)
    app.on('message', (view) => {
      const state = app.store.spaces.get(view.spaceId)
      if (state == null) return
      this.items(state, [view]).then(([item]) => {
        this.reads.arrived(item.spaceId, item.channelId, item.position, item.mention)
        this.emit('message', item)
      }).catch(err => { log.error('message %s: %s', view.id, (err as Error).message) })
    })
    app.on('key', ({ spaceId }) => {
      invalidateLabels()
      const state = app.store.spaces.get(spaceId)
      if (state == null) return
      this.snapshot(state)
      this.emit('key', { spaceId, name: spaceView(state).name })
    })
    app.on('sync', (p) => {
      const key = `${p.peerId}/${p.spaceId}`
      if (p.phase === 'done') this.syncing.delete(key)
      else this.syncing.set(key, p.received)
      this.emit('sync', { peerId: p.peerId, spaceId: p.spaceId, phase: p.phase, received: p.received, ms: p.ms, ...(p.sent != null ? { sent: p.sent } : {}) })
    })
    app.on('change', () => {
      // a space joined or created, or a new channel: count it
      void Promise.all(memberSpaces(app).map(async s => { await this.reads.track(s) })).then(() => this.emit('change'))
    })
    app.on('applied', (op, local) => { this.onApplied(op, local) })
    app.on('published', (op, recipients) => {
      if (op.type !== 'message.post') return
      const d = this.deliveries.get(op.id)
      if (d == null) {
        this.published.set(op.id, recipients)
        if (this.published.size > 64) this.published.delete(this.published.keys().next().value as string)
        return
      }
      if (d.status.state === 'stored') return
      this.setDelivery(op.id, recipients > 0 ? { state: 'sent', peers: recipients } : { state: 'pending', peers: 0 })
    })
    app.sync.on('synced', (peer, stats) => {
      if (stats.outcome !== 'done') return
      const relay = app.relays.isRelay(peer)
      for (const [id, d] of this.deliveries) {
        if (d.spaceId !== stats.spaceId || d.at >= stats.startedAt || d.status.state === 'stored') continue
        if (relay) this.setDelivery(id, { state: 'stored', peers: d.status.peers })
        else if (d.status.state === 'pending') this.setDelivery(id, { state: 'sent', peers: 1 })
      }
    })
  }

  /** Announces a join held for the joiner's name (with the name it has now). */
  private flushJoin (key: string): void {
    const pending = this.pendingJoins.get(key)
    if (pending == null) return
    clearTimeout(pending.timer)
    this.pendingJoins.delete(key)
    const { data } = pending
    this.emit('member:join', { ...data, user: { userId: data.user.userId, name: displayName(this.app.store.spaces.get(data.spaceId), data.user.userId) } })
  }

  private setDelivery (messageId: string, status: DeliveryStatus): void {
    const d = this.deliveries.get(messageId)
    if (d == null) return
    d.status = status
    this.emit('delivery', { spaceId: d.spaceId, messageId, status })
  }

  /** Remembers the channel names and labels of a space as they are now. */
  private snapshot (state: SpaceState): void {
    const spaceId = state.info.spaceId
    this.channelNames.set(spaceId, new Map(state.channelList().map(c => [c.channelId, sanitizeText(c.name)])))
    this.labels.set(spaceId, new Map(labelsOf(state)))
  }

  /** Announces channel and name changes by others, by name (`channel:*`, `member:name`). */
  private onApplied (op: Op, local: boolean): void {
    const state = this.app.store.spaces.get(op.spaceId)
    if (state == null || !op.type.startsWith('channel.') && op.type !== 'profile.set') return
    const spaceId = op.spaceId
    if (op.type === 'profile.set' && state.nameOf(op.author) != null) this.flushJoin(`${spaceId}/${op.author}`)
    const before = { channels: this.channelNames.get(spaceId) ?? new Map<string, string>(), labels: this.labels.get(spaceId) ?? new Map<string, string>() }
    this.snapshot(state)
    if (local || state.members.roleOf(this.self) == null) return
    const by = { userId: op.author, name: displayName(state, op.author) }
    const channelId = op.type === 'channel.create' ? op.id : idToString((op.payload as { channel?: Uint8Array }).channel ?? new Uint8Array(32))
    const name = sanitizeText(state.channel(channelId)?.name ?? '')
    switch (op.type) {
      case 'channel.create':
        if (name !== '') this.emit('channel:create', { spaceId, channelId, name, by })
        break
      case 'channel.rename': {
        const from = before.channels.get(channelId) ?? ''
        if (from !== name && name !== '') this.emit('channel:rename', { spaceId, channelId, from, name, by })
        break
      }
      case 'channel.delete':
        this.emit('channel:delete', { spaceId, channelId, name: before.channels.get(channelId) ?? name, by })
        break
      case 'profile.set': {
        const from = before.labels.get(op.author)
        if (from != null && from !== by.name) this.emit('member:name', { spaceId, user: by, from })
        break
      }
    }
  }

  private current (): SpaceState {
    const id = this.app.context.spaceId
    const state = id == null ? undefined : this.app.store.spaces.get(id)
    if (state == null) throw new NoCurrentSpaceError()
    return state
  }

  private space (spaceId?: string): SpaceState {
    if (spaceId == null) return this.current()
    const state = this.app.store.spaces.get(spaceId)
    if (state == null) throw new NoCurrentSpaceError(`no space ${spaceId.slice(0, 8)} here`)
    return state
  }

  /** How many of the stored messages `ids` of `state` mention us. */
  private async countMentions (state: SpaceState, ids: string[]): Promise<number> {
    const ops = await this.app.store.getOps(ids)
    const related = await this.app.store.getOps(relatedOpIds(state, ids))
    let n = 0
    for (const op of ops.values()) if (this.mentionsUs(state, messageView(op as Op<'message.post'>, state, related))) n++
    return n
  }

  private mentionsUs (state: SpaceState, view: MessageView): boolean {
    if (view.author.userId === this.self) return false
    if (view.replyTo != null && state.messageAuthors.get(view.replyTo) === this.self) return true
    const label = displayName(state, this.self)
    return mentions(view.text, label) || mentions(view.text, sanitizeText(this.app.account.name))
  }

  /** The MessageItems of views of one space (quotes of replied messages read from the store). */
  private async items (state: SpaceState, views: MessageView[]): Promise<MessageItem[]> {
    const replied = [...new Set(views.flatMap(v => v.replyTo == null ? [] : [v.replyTo]))]
    const quoted = new Map<string, MessageView>()
    if (replied.length > 0) {
      const ops = await this.app.store.getOps(replied)
      const related = await this.app.store.getOps(relatedOpIds(state, [...ops.keys()]))
      for (const [id, op] of ops) if (op.spaceId === state.info.spaceId && op.type === 'message.post') quoted.set(id, messageView(op as Op<'message.post'>, state, related))
    }
    return views.map(v => {
      const action = actionText(v.text)
      const q = v.replyTo == null ? undefined : quoted.get(v.replyTo)
      const snippet = q == null ? '' : q.deleted ? '(deleted)' : q.locked ? '(locked)' : (actionText(q.text) ?? q.text).replace(/\s+/g, ' ').slice(0, QUOTE_CHARS)
      return {
        ...v,
        text: action ?? v.text,
        own: v.author.userId === this.self,
        mention: this.mentionsUs(state, v),
        action: action != null,
        role: (state.members.roleOf(v.author.userId) ?? null) as Role | null,
        quote: q == null ? null : { author: q.author, snippet },
        delivery: this.deliveries.get(v.id)?.status ?? null
      }
    })
  }

  // --- queries ---

  identity (): { userId: string, name: string, peerId: string } {
    return actions.whoami(this.app)
  }

  context (): ReturnType<SpaceClient['context']> {
    return actions.context(this.app)
  }

  spaces (): SpaceSummary[] {
    return memberSpaces(this.app).sort((a, b) => a.info.createdAt - b.info.createdAt).map(s => {
      const counts = s.channelList().reduce((acc, c) => {
        const n = this.reads.of(s.info.spaceId, c.channelId)
        return { unread: acc.unread + n.unread, mentions: acc.mentions + n.mentions }
      }, { unread: 0, mentions: 0 })
      return { ...spaceView(s), role: s.members.roleOf(this.self) as Role, public: s.members.isPublic, dm: s.info.dm === true, ...counts }
    })
  }

  channels (spaceId?: string): ChannelSummary[] {
    const state = this.space(spaceId)
    return state.channelList().map(c => ({ channelId: c.channelId, name: sanitizeText(c.name), ...this.reads.of(state.info.spaceId, c.channelId), lastRead: this.reads.marker(state.info.spaceId, c.channelId) }))
  }

  async messages (query: MessageQuery): Promise<MessagePage> {
    const state = this.space(query.spaceId)
    const spaceId = state.info.spaceId
    const channelId = query.channelId ?? (query.spaceId == null ? this.app.context.channelId : null) ?? spaceId
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 10_000) throw new BadArgumentError('a page holds 1 to 10000 messages')
    // removed from the space: what was said after our removal is not ours to see
    const removal = state.members.roleOf(this.self) == null ? state.members.removed.get(this.self) : undefined
    const ops = (await this.app.store.messages(spaceId, channelId, query.limit + 1, { before: query.before, after: query.after }))
      .filter(op => removal == null || orderKey(op.hlc, op.id) < removal.key)
    const forward = query.after != null && query.before == null
    const extra = ops.length > query.limit
    const page = extra ? (forward ? ops.slice(0, query.limit) : ops.slice(1)) : ops
    const related = await this.app.store.getOps(relatedOpIds(state, page.map(o => o.id)))
    const messages = await this.items(state, page.map(op => messageView(op, state, related)))
    return { spaceId, channelId, messages, more: forward ? true : extra }
  }

  members (spaceId?: string): MemberView[] {
    const state = this.space(spaceId)
    const online = new Set(this.app.connectedPeers())
    const list = state.members.memberList()
    if (state.members.legacy) {
      for (const u of state.profiles.keys()) if (!list.some(m => m.userId === u) && state.members.roleOf(u) != null) list.push({ userId: u, role: 'member' })
    }
    const rank: Record<string, number> = { owner: 0, admin: 1, moderator: 2, member: 3 }
    return list.map(m => ({ userId: m.userId, name: displayName(state, m.userId), role: m.role as Role, online: m.userId === this.self || online.has(peerIdOf(m.userId)) }))
      .sort((a, b) => rank[a.role] - rank[b.role] || a.name.localeCompare(b.name))
  }

  status (): ClientStatus {
    const peers = this.app.connectedPeers().length
    const relays = this.app.relays.list()
    const connected = relays.filter(r => r.connected).length
    const dht = routingTableSize(this.app)
    const running = [...this.syncing.values()]
    const words: string[] = []
    if (peers === 0) words.push('offline: no peers')
    else words.push(`online: ${peers} peer${peers === 1 ? '' : 's'}`)
    if (relays.length > 0) words.push(connected > 0 ? 'relay connected' : 'relay down')
    if (peers > 0 && dht === 0) words.push('no DHT peers')
    return {
      name: sanitizeText(this.app.account.name),
      peers,
      relays: { known: relays.length, connected },
      dht,
      syncing: running.length === 0 ? null : { spaces: running.length, ops: running.reduce((a, b) => a + b, 0) },
      words: words.join(', ')
    }
  }

  away (): AwaySummary {
    const channels: AwaySummary['channels'] = []
    for (const s of memberSpaces(this.app)) {
      for (const c of s.channelList()) {
        const n = this.reads.of(s.info.spaceId, c.channelId)
        if (n.unread > 0) channels.push({ spaceId: s.info.spaceId, spaceName: spaceView(s).name, channelId: c.channelId, channelName: sanitizeText(c.name), ...n })
      }
    }
    return { channels: channels.sort((a, b) => b.mentions - a.mentions || b.unread - a.unread) }
  }

  delivery (messageId: string): DeliveryStatus | null {
    return this.deliveries.get(messageId)?.status ?? null
  }

  addresses (): string[] {
    return this.app.addresses()
  }

  peers (): { peers: PeerView[] } {
    const users = new Map<string, { userId: string, name: string }>()
    for (const s of memberSpaces(this.app)) {
      for (const m of s.members.memberList()) {
        const p = peerIdOf(m.userId)
        if (!users.has(p)) users.set(p, { userId: m.userId, name: displayName(s, m.userId) })
      }
    }
    return {
      peers: actions.peers(this.app).peers.map(p => ({ ...p, relay: this.app.relays.isRelay(p.peerId), user: users.get(p.peerId) ?? null }))
    }
  }

  network (): Record<string, unknown> {
    return networkInfo(this.app)
  }

  dht (): Record<string, unknown> {
    return { ...dhtTable(this.app), queries: this.app.dht.stats.summary(), lastBootstrap: this.app.bootstrapper.last }
  }

  async invites (): ReturnType<SpaceClient['invites']> {
    return await memberActions.invites(this.app) as Awaited<ReturnType<SpaceClient['invites']>>
  }

  // --- actions ---

  async connect (multiaddr: string): Promise<{ peerId: string }> {
    return await actions.connect(this.app, multiaddr)
  }

  async createSpace (name: string, options: { public: boolean, history: 'full' | 'since-join' }): ReturnType<SpaceClient['createSpace']> {
    const r = await actions.spaceCreate(this.app, name, options.public, options.history)
    await this.reads.track(this.space(r.spaceId))
    return r
  }

  async switchSpace (query: string): ReturnType<SpaceClient['switchSpace']> {
    return await actions.spaceSwitch(this.app, query)
  }

  async join (inviteOrSpaceId: string): ReturnType<SpaceClient['join']> {
    const text = inviteOrSpaceId.trim()
    // a token copied from a wrapped line may hold line breaks or spaces: none belongs to it
    const r = await joinSpace(this.app, /^sw1/i.test(text) ? text.replace(/\s+/g, '') : text)
    await this.reads.track(this.space(r.spaceId))
    return r
  }

  async createInvite (options: { maxUses: number, ttlMs: number }): ReturnType<SpaceClient['createInvite']> {
    return await memberActions.inviteCreate(this.app, options)
  }

  async revokeInvite (inviteIdPrefix: string): ReturnType<SpaceClient['revokeInvite']> {
    return await memberActions.inviteRevoke(this.app, inviteIdPrefix)
  }

  async setRole (user: string, role: string): ReturnType<SpaceClient['setRole']> {
    return await memberActions.role(this.app, [user, role])
  }

  async removeUser (kind: 'kick' | 'ban' | 'unban', user: string): ReturnType<SpaceClient['removeUser']> {
    return await memberActions.removeUser(this.app, `member.${kind}`, user)
  }

  async leave (): ReturnType<SpaceClient['leave']> {
    return await memberActions.leave(this.app)
  }

  async createChannel (name: string): ReturnType<SpaceClient['createChannel']> {
    const r = await actions.channelCreate(this.app, name)
    await this.reads.track(this.current())
    return r
  }

  async renameChannel (channel: string, name: string): ReturnType<SpaceClient['renameChannel']> {
    return await actions.channelRename(this.app, [channel, name])
  }

  async deleteChannel (channel: string): ReturnType<SpaceClient['deleteChannel']> {
    return await actions.channelDelete(this.app, channel)
  }

  async switchChannel (query: string): ReturnType<SpaceClient['switchChannel']> {
    return await actions.channelSwitch(this.app, query)
  }

  /** Remembers our new message for delivery, and asks our relays to reconcile the space soon (their `stored`). */
  private sent (spaceId: string, r: { id: string, ts: number, text: string, replyTo?: string }): MessageSent {
    const recipients = this.published.get(r.id) ?? 0
    this.published.delete(r.id)
    this.deliveries.set(r.id, { spaceId, at: Date.now(), status: this.deliveries.get(r.id)?.status ?? (recipients > 0 ? { state: 'sent', peers: recipients } : { state: 'pending', peers: 0 }) })
    while (this.deliveries.size > DELIVERY_REMEMBERED) this.deliveries.delete(this.deliveries.keys().next().value as string)
    if (!this.relayAck.has(spaceId) && this.app.relays.connectedRelays().length > 0) {
      const t = setTimeout(() => { this.relayAck.delete(spaceId); this.app.syncRelays(spaceId) }, RELAY_ACK_DELAY_MS)
      t.unref()
      this.relayAck.set(spaceId, t)
    }
    return { ...r, delivery: (this.deliveries.get(r.id) as Delivery).status }
  }

  async send (text: string): Promise<MessageSent> {
    const spaceId = this.current().info.spaceId
    return this.sent(spaceId, await actions.send(this.app, text))
  }

  async reply (messageIdPrefix: string, text: string): Promise<MessageSent> {
    const spaceId = this.current().info.spaceId
    return this.sent(spaceId, await memberActions.reply(this.app, [messageIdPrefix, text]))
  }

  async edit (messageIdPrefix: string, text: string): ReturnType<SpaceClient['edit']> {
    return await memberActions.edit(this.app, [messageIdPrefix, text])
  }

  async deleteMessage (messageIdPrefix: string): ReturnType<SpaceClient['deleteMessage']> {
    return await memberActions.delete(this.app, messageIdPrefix)
  }

  async react (messageIdPrefix: string, emoji: string): ReturnType<SpaceClient['react']> {
    return await memberActions.react(this.app, [messageIdPrefix, emoji])
  }

  async dm (user: string): ReturnType<SpaceClient['dm']> {
    return await dmActions.dm(this.app, user)
  }

  async msg (user: string, text: string): ReturnType<SpaceClient['msg']> {
    return await dmActions.msg(this.app, [user, text])
  }

  async block (user: string): ReturnType<SpaceClient['block']> {
    return await dmActions.block(this.app, user)
  }

  async unblock (user: string): ReturnType<SpaceClient['unblock']> {
    return await dmActions.unblock(this.app, user)
  }

  async nick (name: string): ReturnType<SpaceClient['nick']> {
    return await actions.nick(this.app, name)
  }

  async markRead (spaceId: string, channelId: string, position: string): Promise<void> {
    const state = this.app.store.spaces.get(spaceId)
    if (state == null) return
    if (await this.reads.mark(state, channelId, position)) this.emit('change')
  }

  /** Stops timers; the App is stopped by its owner. */
  stop (): void {
    for (const t of this.relayAck.values()) clearTimeout(t)
    this.relayAck.clear()
    for (const key of [...this.pendingJoins.keys()]) this.flushJoin(key)
  }
}
