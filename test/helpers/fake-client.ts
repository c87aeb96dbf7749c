/**
 * The fake `SpaceClient` for command and UI unit tests: no libp2p, no store, no engine. It holds a
 * small in-memory world (this user `alice`, two spaces, a public one and a private one, with
 * channels, members, a few messages and invites) and records every call, queries and actions
 * alike, in `calls` (method name and arguments, in order) before doing anything else, so a test can
 * assert exactly what a command asked of the client.
 *
 * Actions answer with plausible typed results (the `data` of docs/cli-json.md) and update the
 * world where a UI test would look (switching space or channel, sending, creating, nick, leave),
 * then emit `change`. Names, ids and prefixes resolve as the engine's do (case-insensitive exact
 * name, else a unique start of the name or id; NOT_FOUND / AMBIGUOUS otherwise).
 *
 * `fail(method, error)` makes the next call of `method` throw `error` (a rejected promise for
 * actions and async queries, a synchronous throw for the synchronous queries). Time is fixed:
 * `now` starts at NOW and each new message or invite advances it by one second.
 */
import { EventEmitter } from 'node:events'
import { AmbiguousError, NoCurrentSpaceError, NotFoundError, type SpacewayError } from '../../src/errors.js'
import type {
  AwaySummary, ChannelRef, ChannelSummary, ClientEvents, ClientStatus, ContextView, DeliveryStatus, DirectSent,
  Identity, InviteCreated, InviteView, MemberView, MessageActed, MessageItem, MessagePage, MessageQuery,
  MessageSent, PeerView, Role, SpaceClient, SpaceCreated, SpaceEntered, SpaceSummary, UserActed
} from '../../src/client/space-client.js'

/** One recorded call. */
export interface Call { method: string, args: unknown[] }

/** The fixed clock of the fake (2023-11-14T22:13:20Z). */
export const NOW = 1_700_000_000_000

/** A 52-character id starting with `prefix` (ids are base32 Ed25519 keys or op hashes of that length). */
export function fakeId (prefix: string, fill = 'q'): string {
  return prefix.padEnd(52, fill)
}

/** Ids of the fixture, for assertions. */
export const IDS = {
  alice: fakeId('alice', 'a'),
  bob: fakeId('bobo', 'b'),
  carol: fakeId('carol', 'c'),
  testSpace: fakeId('tsp', 's'),
  bookClub: fakeId('bkc', 'k'),
  general: fakeId('gen', 'g'),
  random: fakeId('rnd', 'r'),
  bookGeneral: fakeId('bkg', 'g'),
  /** Messages in Test Space #general: `ab12...` by bob, `ab13...` by alice (own), `cd34...` by carol (a reply to ab12). */
  m1: fakeId('ab12cd34', 'e'),
  m2: fakeId('ab13ef56', 'f'),
  m3: fakeId('cd34ab12', 'h'),
  invite: fakeId('inv1', 'i')
}

/** A long invite token (longer than any terminal line), as `invite create` returns. */
export const INVITE_TOKEN = `sw1${'x7k2p9'.repeat(40)}`

interface FakeSpace { summary: SpaceSummary, channels: ChannelSummary[], members: MemberView[] }

const ref = (m: MemberView): { userId: string, name: string } => ({ userId: m.userId, name: m.name })

/** The fake. Every field is public so a test can shape the world before running a command. */
export class FakeClient extends EventEmitter<ClientEvents> implements SpaceClient {
  calls: Call[] = []
  /** Errors to throw at the next call of a method. */
  failures = new Map<string, Error>()
  now = NOW
  me: Identity = { userId: IDS.alice, name: 'alice', peerId: '12D3KooWAlicePeerIdAlicePeerIdAlicePeerIdAlice' }
  current: { spaceId: string | null, channelId: string | null } = { spaceId: IDS.testSpace, channelId: IDS.general }
  spaceList: FakeSpace[] = [
    {
      summary: { spaceId: IDS.testSpace, name: 'Test Space', role: 'owner', public: true, dm: false, unread: 3, mentions: 1 },
      channels: [
        { channelId: IDS.general, name: 'general', unread: 3, mentions: 1, lastRead: null },
        { channelId: IDS.random, name: 'random', unread: 0, mentions: 0, lastRead: null }
      ],
      members: [
        { userId: IDS.alice, name: 'alice', role: 'owner', online: true },
        { userId: IDS.carol, name: 'carol', role: 'moderator', online: false },
        { userId: IDS.bob, name: 'Bob O', role: 'member', online: true }
      ]
    },
    {
      summary: { spaceId: IDS.bookClub, name: 'Book club', role: 'member', public: false, dm: false, unread: 0, mentions: 0 },
      channels: [{ channelId: IDS.bookGeneral, name: 'general', unread: 0, mentions: 0, lastRead: null }],
      members: [
        { userId: IDS.carol, name: 'carol', role: 'owner', online: false },
        { userId: IDS.alice, name: 'alice', role: 'member', online: true }
      ]
    }
  ]

  items: MessageItem[] = [
    this.item(IDS.m1, IDS.bob, 'Bob O', 'hi alice', { role: 'member', mention: true }),
    this.item(IDS.m2, IDS.alice, 'alice', 'hello Bob', { role: 'owner', own: true }),
    this.item(IDS.m3, IDS.carol, 'carol', 'welcome!', { role: 'moderator', replyTo: IDS.m1, quote: { author: { userId: IDS.bob, name: 'Bob O' }, snippet: 'hi alice' } })
  ]

  inviteList: InviteView[] = [
    { inviteId: IDS.invite, createdBy: { userId: IDS.alice, name: 'alice' }, maxUses: 5, uses: 1, usesLeft: 4, expiresAt: null, status: 'active', invite: INVITE_TOKEN }
  ]

  peerList: PeerView[] = [
    { peerId: '12D3KooWBobPeer', addrs: ['/ip4/10.0.0.2/tcp/9001'], direction: 'outbound', relay: false, user: { userId: IDS.bob, name: 'Bob O' } },
    { peerId: '12D3KooWRelayPeer', addrs: ['/dns4/relay.example/tcp/4001'], direction: 'outbound', relay: true, user: null }
  ]

  blocked = new Set<string>()

  /** Makes the next call of `method` throw `error`. */
  fail (method: keyof SpaceClient & string, error: SpacewayError | Error): this {
    this.failures.set(method, error)
    return this
  }

  /** The argument lists of every call of `method`, in order. */
  callsOf (method: keyof SpaceClient & string): unknown[][] {
    return this.calls.filter(c => c.method === method).map(c => c.args)
  }

  /** Records a call; throws the error set by `fail` for it, once. */
  private record (method: string, args: unknown[]): void {
    this.calls.push({ method, args })
    const err = this.failures.get(method)
    if (err != null) {
      this.failures.delete(method)
      throw err
    }
  }

  private item (id: string, userId: string, name: string, text: string, more: Partial<MessageItem> = {}): MessageItem {
    this.now += 1000
    return {
      id,
      position: `${String(this.now).padStart(15, '0')}:${id}`,
      spaceId: IDS.testSpace,
      channelId: IDS.general,
      author: { userId, name },
      text,
      ts: this.now,
      edited: false,
      deleted: false,
      replyTo: null,
      reactions: [],
      locked: false,
      own: false,
      mention: false,
      action: false,
      role: null,
      quote: null,
      delivery: null,
      ...more
    }
  }

  /** The one of `list` that `query` names: exact name (case-insensitive), else a unique start of its name or id. */
  private pick<T> (list: T[], query: string, what: string, name: (t: T) => string, id: (t: T) => string): T {
    const q = query.trim().replace(/^#/, '').toLowerCase()
    const exact = list.filter(t => name(t).toLowerCase() === q || id(t) === q)
    if (exact.length === 1) return exact[0]
    const hits = list.filter(t => name(t).toLowerCase().startsWith(q) || id(t).startsWith(q))
    if (hits.length === 0 || q === '') throw new NotFoundError(`no ${what} ${JSON.stringify(query)}`)
    if (hits.length > 1) throw new AmbiguousError(`${JSON.stringify(query)} matches ${hits.length} ${what}s`)
    return hits[0]
  }

  private space (spaceId?: string): FakeSpace {
    const id = spaceId ?? this.current.spaceId
    const s = this.spaceList.find(s => s.summary.spaceId === id)
    if (s == null) throw spaceId == null ? new NoCurrentSpaceError() : new NotFoundError(`no space ${JSON.stringify(spaceId)}`)
    return s
  }

  private member (user: string): MemberView {
    return this.pick(this.space().members, user, 'member', m => m.name, m => m.userId)
  }

  private message (prefix: string): MessageItem {
    return this.pick(this.items, prefix, 'message', () => '\u0000', m => m.id)
  }

  private sent (text: string, replyTo?: string): MessageSent {
    const s = this.space()
    const id = fakeId(`own${this.items.length}`, 'n')
    const delivery: DeliveryStatus = { state: 'sent', peers: 1 }
    const me = s.members.find(m => m.userId === this.me.userId)
    const action = text.startsWith('/me ')
    const item = this.item(id, this.me.userId, this.me.name, action ? text.slice(4) : text, {
      spaceId: s.summary.spaceId, channelId: this.current.channelId ?? '', own: true, action, role: me?.role ?? null, replyTo: replyTo ?? null, delivery
    })
    this.items.push(item)
    this.emit('change')
    return { id, ts: item.ts, text, ...(replyTo != null ? { replyTo } : {}), delivery }
  }

  // --- queries ---

  identity (): Identity {
    this.record('identity', [])
    return { ...this.me }
  }

  context (): ContextView {
    this.record('context', [])
    const s = this.spaceList.find(s => s.summary.spaceId === this.current.spaceId)
    const c = s?.channels.find(c => c.channelId === this.current.channelId)
    return { spaceId: s?.summary.spaceId ?? null, channelId: c?.channelId ?? null, spaceName: s?.summary.name ?? null, channelName: c?.name ?? null }
  }

  spaces (): SpaceSummary[] {
    this.record('spaces', [])
    return this.spaceList.map(s => ({ ...s.summary }))
  }

  channels (spaceId?: string): ChannelSummary[] {
    this.record('channels', spaceId === undefined ? [] : [spaceId])
    return this.space(spaceId).channels.map(c => ({ ...c }))
  }

  async messages (query: MessageQuery): Promise<MessagePage> {
    this.record('messages', [query])
    const spaceId = query.spaceId ?? this.space().summary.spaceId
    const channelId = query.channelId ?? this.current.channelId ?? ''
    let list = this.items.filter(m => m.spaceId === spaceId && m.channelId === channelId)
    if (query.before != null) list = list.filter(m => m.position < (query.before as string))
    if (query.after != null) list = list.filter(m => m.position > (query.after as string))
    const messages = query.after != null ? list.slice(0, query.limit) : list.slice(-query.limit)
    return { spaceId, channelId, messages, more: query.after == null && list.length > messages.length }
  }

  members (spaceId?: string): MemberView[] {
    this.record('members', spaceId === undefined ? [] : [spaceId])
    return this.space(spaceId).members.map(m => ({ ...m }))
  }

  status (): ClientStatus {
    this.record('status', [])
    return { name: this.me.name, peers: this.peerList.length, relays: { known: 1, connected: 1 }, dht: 3, syncing: null, words: 'online, relay connected' }
  }

  away (): AwaySummary {
    this.record('away', [])
    const channels = this.spaceList.flatMap(s => s.channels.filter(c => c.unread > 0).map(c => ({
      spaceId: s.summary.spaceId, spaceName: s.summary.name, channelId: c.channelId, channelName: c.name, unread: c.unread, mentions: c.mentions
    })))
    return { channels: channels.sort((a, b) => b.unread - a.unread) }
  }

  delivery (messageId: string): DeliveryStatus | null {
    this.record('delivery', [messageId])
    return this.items.find(m => m.id === messageId)?.delivery ?? null
  }

  addresses (): string[] {
    this.record('addresses', [])
    return [`/ip4/127.0.0.1/tcp/9001/p2p/${this.me.peerId}`]
  }

  peers (): { peers: PeerView[] } {
    this.record('peers', [])
    return { peers: this.peerList.map(p => ({ ...p })) }
  }

  network (): Record<string, unknown> {
    this.record('network', [])
    const queries = { run: 4, succeeded: 3, notFound: 1, failed: 0, timedOut: 0, p50Ms: 120, p95Ms: 480 }
    return {
      peerId: this.me.peerId,
      userId: this.me.userId,
      addrs: ['/ip4/127.0.0.1/tcp/9001'],
      connections: [{ peerId: '12D3KooWBobPeer', addr: '/ip4/10.0.0.2/tcp/9001', direction: 'outbound', transport: 'tcp', rttMs: 12, status: 'open', limited: false, openedAt: NOW }],
      routingTable: { size: 3 },
      dhtMode: 'client',
      dht: { mode: 'client', routingTableSize: 3, queryTimeoutMs: 10_000, queries, lastBootstrap: null, failedBootstraps: 0, nextCheckAt: null, peerPool: 5 },
      announcements: [{ spaceId: IDS.testSpace, status: 'done', attempts: 1, providers: 2, lastError: null, doneAt: NOW, nextAttemptAt: null }],
      relays: [],
      spaces: [{ spaceId: IDS.testSpace, name: 'Test Space', ops: 42, heads: 1, meshPeers: 1, subscribers: 1 }],
      joining: [],
      heldOps: 0,
      evictedOps: 0,
      deferredOps: 0,
      rejectedOps: {},
      ignoredOps: {},
      peers: { blocked: [], opsRefused: 0, invalid: 0, timesBlocked: 0 },
      sync: { running: 0, initiated: 2, served: 1, failed: 0, refused: 0, bytesSent: 1000, bytesReceived: 2000 },
      memory: { rss: 150 * 1048576, heapUsed: 60 * 1048576, heapTotal: 80 * 1048576, external: 12 * 1048576, arrayBuffers: 4 * 1048576 },
      dataDir: '/tmp/spaceway-fake'
    }
  }

  dht (): Record<string, unknown> {
    this.record('dht', [])
    return {
      size: 2,
      buckets: [{ prefix: '', depth: 0, peers: [{ peerId: '12D3KooWBobPeer', lastPing: NOW }, { peerId: '12D3KooWRelayPeer', lastPing: null }] }],
      queries: { run: 4, succeeded: 3, notFound: 1, failed: 0, timedOut: 0, p50Ms: 120, p95Ms: 480 },
      lastBootstrap: null
    }
  }

  async invites (): Promise<{ invites: InviteView[] }> {
    this.record('invites', [])
    this.space()
    return { invites: this.inviteList.map(i => ({ ...i })) }
  }

  // --- actions ---

  async connect (multiaddr: string): Promise<{ peerId: string }> {
    this.record('connect', [multiaddr])
    return { peerId: /\/p2p\/([^/]+)$/.exec(multiaddr)?.[1] ?? '12D3KooWDialedPeer' }
  }

  async createSpace (name: string, options: { public: boolean, history: 'full' | 'since-join' }): Promise<SpaceCreated> {
    this.record('createSpace', [name, options])
    const spaceId = fakeId(`new${this.spaceList.length}`, 'w')
    const channelId = fakeId(`gen${this.spaceList.length}`, 'g')
    this.spaceList.push({
      summary: { spaceId, name, role: 'owner', public: options.public, dm: false, unread: 0, mentions: 0 },
      channels: [{ channelId, name: 'general', unread: 0, mentions: 0, lastRead: null }],
      members: [{ userId: this.me.userId, name: this.me.name, role: 'owner', online: true }]
    })
    this.current = { spaceId, channelId }
    this.emit('change')
    return { spaceId, name, public: options.public, ...(options.public ? {} : { history: options.history }) }
  }

  async switchSpace (query: string): Promise<SpaceEntered> {
    this.record('switchSpace', [query])
    const s = this.pick(this.spaceList, query, 'space', s => s.summary.name, s => s.summary.spaceId)
    this.current = { spaceId: s.summary.spaceId, channelId: s.channels[0]?.channelId ?? null }
    this.emit('change')
    return { spaceId: s.summary.spaceId, name: s.summary.name }
  }

  async join (inviteOrSpaceId: string): Promise<SpaceEntered> {
    this.record('join', [inviteOrSpaceId])
    const known = this.spaceList.find(s => s.summary.spaceId === inviteOrSpaceId.trim())
    if (known != null) return { spaceId: known.summary.spaceId, name: known.summary.name }
    return { spaceId: fakeId('joined', 'j'), name: 'Joined Space' }
  }

  async createInvite (options: { maxUses: number, ttlMs: number }): Promise<InviteCreated> {
    this.record('createInvite', [options])
    this.space()
    return {
      invite: INVITE_TOKEN,
      inviteId: fakeId(`inv${this.inviteList.length + 1}`, 'i'),
      maxUses: options.maxUses === 0 ? null : options.maxUses,
      expiresAt: options.ttlMs === 0 ? null : this.now + options.ttlMs
    }
  }

  async revokeInvite (inviteIdPrefix: string): Promise<{ inviteId: string }> {
    this.record('revokeInvite', [inviteIdPrefix])
    const i = this.pick(this.inviteList, inviteIdPrefix, 'invite', () => '\u0000', i => i.inviteId)
    i.status = 'revoked'
    return { inviteId: i.inviteId }
  }

  async setRole (user: string, role: string): Promise<UserActed> {
    this.record('setRole', [user, role])
    const m = this.member(user)
    m.role = role as Role
    return { userId: m.userId, name: m.name, role }
  }

  async removeUser (kind: 'kick' | 'ban' | 'unban', user: string): Promise<UserActed> {
    this.record('removeUser', [kind, user])
    const m = this.member(user)
    return { ...ref(m), ...(kind !== 'unban' && !this.space().summary.public ? { rekeyed: true } : {}) }
  }

  async leave (): Promise<{ spaceId: string }> {
    this.record('leave', [])
    const spaceId = this.space().summary.spaceId
    this.spaceList = this.spaceList.filter(s => s.summary.spaceId !== spaceId)
    this.current = { spaceId: null, channelId: null }
    this.emit('change')
    return { spaceId }
  }

  async createChannel (name: string): Promise<ChannelRef> {
    this.record('createChannel', [name])
    const s = this.space()
    const channelId = fakeId(`ch${s.channels.length}`, 'c')
    s.channels.push({ channelId, name, unread: 0, mentions: 0, lastRead: null })
    this.current = { spaceId: s.summary.spaceId, channelId }
    this.emit('change')
    return { channelId, name }
  }

  async renameChannel (channel: string, name: string): Promise<ChannelRef> {
    this.record('renameChannel', [channel, name])
    const c = this.pick(this.space().channels, channel, 'channel', c => c.name, c => c.channelId)
    c.name = name
    return { channelId: c.channelId, name }
  }

  async deleteChannel (channel: string): Promise<{ channelId: string, name: string }> {
    this.record('deleteChannel', [channel])
    const s = this.space()
    const c = this.pick(s.channels, channel, 'channel', c => c.name, c => c.channelId)
    s.channels = s.channels.filter(x => x !== c)
    return { channelId: c.channelId, name: c.name }
  }

  async switchChannel (query: string): Promise<ChannelRef> {
    this.record('switchChannel', [query])
    const s = this.space()
    const c = this.pick(s.channels, query, 'channel', c => c.name, c => c.channelId)
    this.current = { spaceId: s.summary.spaceId, channelId: c.channelId }
    this.emit('change')
    return { channelId: c.channelId, name: c.name }
  }

  async send (text: string): Promise<MessageSent> {
    this.record('send', [text])
    return this.sent(text)
  }

  async reply (messageIdPrefix: string, text: string): Promise<MessageSent> {
    this.record('reply', [messageIdPrefix, text])
    return this.sent(text, this.message(messageIdPrefix).id)
  }

  async edit (messageIdPrefix: string, text: string): Promise<MessageActed> {
    this.record('edit', [messageIdPrefix, text])
    const m = this.message(messageIdPrefix)
    m.text = text
    m.edited = true
    return { messageId: m.id, text }
  }

  async deleteMessage (messageIdPrefix: string): Promise<MessageActed> {
    this.record('deleteMessage', [messageIdPrefix])
    const m = this.message(messageIdPrefix)
    m.deleted = true
    m.text = ''
    return { messageId: m.id }
  }

  async react (messageIdPrefix: string, emoji: string): Promise<MessageActed> {
    this.record('react', [messageIdPrefix, emoji])
    const m = this.message(messageIdPrefix)
    const r = m.reactions.find(r => r.emoji === emoji)
    const on = r == null || !r.users.includes(this.me.userId)
    if (on) {
      if (r == null) m.reactions.push({ emoji, count: 1, users: [this.me.userId] })
      else { r.users.push(this.me.userId); r.count++ }
    } else if (r != null) {
      r.users = r.users.filter(u => u !== this.me.userId)
      r.count--
      if (r.count === 0) m.reactions = m.reactions.filter(x => x !== r)
    }
    return { messageId: m.id, emoji, on }
  }

  async dm (user: string): Promise<UserActed> {
    this.record('dm', [user])
    const m = this.member(user)
    return { ...ref(m), spaceId: fakeId(`dm${m.userId.slice(0, 4)}`, 'd') }
  }

  async msg (user: string, text: string): Promise<DirectSent> {
    this.record('msg', [user, text])
    const m = this.member(user)
    this.now += 1000
    return { spaceId: fakeId(`dm${m.userId.slice(0, 4)}`, 'd'), userId: m.userId, name: m.name, id: fakeId('dmsg', 'z'), ts: this.now }
  }

  async block (user: string): Promise<UserActed> {
    this.record('block', [user])
    const m = this.member(user)
    this.blocked.add(m.userId)
    return ref(m)
  }

  async unblock (user: string): Promise<UserActed> {
    this.record('unblock', [user])
    const m = this.member(user)
    this.blocked.delete(m.userId)
    return ref(m)
  }

  async nick (name: string): Promise<{ name: string }> {
    this.record('nick', [name])
    this.me = { ...this.me, name }
    for (const s of this.spaceList) for (const m of s.members) if (m.userId === this.me.userId) m.name = name
    this.emit('change')
    return { name }
  }

  async markRead (spaceId: string, channelId: string, position: string): Promise<void> {
    this.record('markRead', [spaceId, channelId, position])
    const c = this.space(spaceId).channels.find(c => c.channelId === channelId)
    if (c != null && (c.lastRead == null || position > c.lastRead)) {
      c.lastRead = position
      c.unread = 0
      c.mentions = 0
      this.emit('change')
    }
  }
}
