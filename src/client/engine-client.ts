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
import { actions, currentSpace, memberSpaces } from '../actions.js'
import { memberActions, peerIdOf } from '../member-actions.js'
import { dmActions } from '../dm-actions.js'
import { joinSpace } from '../net/join-service.js'
import { dhtTable, networkInfo, routingTableSize } from '../network-info.js'
import { ReadMarkers } from '../read-markers.js'
import { Deliveries } from './delivery.js'
import { Announcements } from './announcements.js'
import { NoCurrentSpaceError } from '../errors.js'
import { invalidateLabels } from '../core/labels.js'
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

export class EngineClient extends EventEmitter<ClientEvents> implements SpaceClient {
  private readonly reads: ReadMarkers
  private readonly syncing = new Map<string, number>()
  private readonly deliveries: Deliveries
  private readonly announcements: Announcements

  private constructor (readonly app: App) {
    super()
    this.reads = new ReadMarkers(app.store, app.account.userId, async (state, ids) => await this.countMentions(state, ids))
    this.deliveries = new Deliveries(app, this)
    this.announcements = new Announcements(app, this)
  }

  /** Wraps a started App: loads read markers and unread counts, then forwards its events. */
  static async create (app: App): Promise<EngineClient> {
    const client = new EngineClient(app)
    await client.reads.load(memberSpaces(app))
    for (const state of app.store.spaces.values()) client.announcements.snapshot(state)
    client.wire()
    return client
  }

  private get self (): string { return this.app.account.userId }

  private wire (): void {
    const app = this.app
    const pass = <K extends keyof ClientEvents & string>(name: K): void => {
      (app as unknown as EventEmitter).on(name, (...data: unknown[]) => { (this.emit as (n: string, ...d: unknown[]) => boolean)(name, ...data) })
    }
    app.on('member:join', (data) => { this.announcements.joined(data) })
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
      this.announcements.snapshot(state)
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
    app.on('applied', (op, local) => { this.announcements.applied(op, local) })
    app.on('published', (op, recipients) => { this.deliveries.onPublished(op, recipients) })
    app.sync.on('synced', (peer, stats) => { this.deliveries.onSynced(peer, stats) })
  }

  private current (): SpaceState {
    return currentSpace(this.app)
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
        delivery: this.deliveries.get(v.id)
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
    return this.deliveries.get(messageId)
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

  /** Our new message, with its delivery so far. */
  private sent (spaceId: string, r: { id: string, ts: number, text: string, replyTo?: string }): MessageSent {
    return { ...r, delivery: this.deliveries.wrote(spaceId, r.id) }
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
    this.deliveries.stop()
    this.announcements.stop()
  }
}
