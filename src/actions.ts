/**
 * What each user command does, on a running App. Returns the `data` of the scripting contract
 * (docs/cli-json.md); throws SpacewayError subclasses with stable codes.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { saveAccountName } from './account.js'
import type { App } from './app.js'
import { AmbiguousError, BadArgumentError, NoCurrentSpaceError, NotFoundError, PermissionError, SpacewayError } from './errors.js'
import { decodeToken, inviteProof, isToken, type InviteToken } from './core/invite.js'
import { authorIn } from './member-actions.js'
import { isIdString, idFromString } from './core/ids.js'
import { MAX_MESSAGE_CHARS, MAX_NAME_CHARS, type HistoryMode, type Op, type Payloads } from './core/op.js'
import type { SpaceState } from './core/space-state.js'
import { Replica } from './replica.js'
import { orderKey } from './core/order.js'
import { KeyPendingError } from './key-manager.js'
import { dialAddress } from './net/dial.js'
import { fetchSpace, type FetchDeps } from './net/dht-join.js'
import type { SyncProgress } from './net/sync-service.js'
import { type MessageView, messageView, normalizeChannelName, relatedOpIds, spaceView } from './views.js'
import { quoted, sanitizeText } from './core/sanitize.js'

const log = logger('spaceway:actions')

/** How long `join` waits at most for relays still connecting (first attempt after start-up), ms. */
export const RELAY_WAIT_MS = 3000

/** How long `join` waits for the key of a private space it just joined before returning, ms. */
export const JOIN_KEY_WAIT_MS = 3000
/**
 * After a join, our sync sessions keep proving the invite this long, ms: until the members and relays
 * we push our `member.join` to hold it, they see us as a joiner, not a member (members-only sync).
 */
export const JOIN_AUTH_KEEP_MS = 60_000

/** Our sync sessions for `spaceId` prove `auth` until `release` (or, with `keep`, JOIN_AUTH_KEEP_MS later). */
function proveInvite (app: App, spaceId: string, token: InviteToken | null): (keep: boolean) => void {
  if (token == null) return () => {}
  const auth = { invite: idFromString(token.inviteId), proof: inviteProof(token.seed, spaceId, idFromString(app.account.userId)) }
  app.joinAuth.set(spaceId, auth)
  const drop = (): void => { if (app.joinAuth.get(spaceId) === auth) app.joinAuth.delete(spaceId) }
  return (keep) => {
    if (!keep) { drop(); return }
    const t = setTimeout(drop, JOIN_AUTH_KEEP_MS)
    t.unref()
  }
}

/** How long `join` waits for connected peers to hand over a space, ms. */
export const JOIN_TIMEOUT_MS = 10_000

function checkName (name: string | undefined, what: string): string {
  const n = (name ?? '').trim()
  if (n === '') throw new BadArgumentError(`${what} is missing`)
  if (n.length > MAX_NAME_CHARS) throw new BadArgumentError(`${what} is longer than ${MAX_NAME_CHARS} characters`)
  return n
}

function currentSpace (app: App): SpaceState {
  const id = app.context.spaceId
  const state = id == null ? undefined : app.store.spaces.get(id)
  if (state == null) throw new NoCurrentSpaceError()
  return state
}

/**
 * Picks one item by exact id, exact name (case-insensitive, compared as shown: sanitised), or unique
 * id prefix. Names in the error messages are sanitised: they are chosen by peers.
 * @throws BadArgumentError (empty query), AmbiguousError (several match), NotFoundError (none)
 */
function pick<T> (items: T[], query: string, idOf: (t: T) => string, nameOf: (t: T) => string, what: string): T {
  const q = query.trim()
  if (q === '') throw new BadArgumentError(`${what} name or id is missing`)
  const exact = items.filter(t => idOf(t) === q)
  if (exact.length === 1) return exact[0]
  const shown = (t: T): string => sanitizeText(nameOf(t))
  const byName = items.filter(t => shown(t).toLowerCase() === sanitizeText(q).toLowerCase())
  if (byName.length === 1) return byName[0]
  const byPrefix = items.filter(t => idOf(t).startsWith(q.toLowerCase()))
  const matches = byName.length > 1 ? byName : byPrefix
  if (matches.length === 1) return matches[0]
  if (matches.length > 1) {
    throw new AmbiguousError(`${quoted(q)} matches ${matches.length} ${what}s: ${matches.slice(0, 5).map(t => `${quoted(shown(t), 60)} (${idOf(t).slice(0, 12)})`).join(', ')}; give more of the id`)
  }
  throw new NotFoundError(`no ${what} matches ${quoted(q)}`)
}

/**
 * Authors a `profile.set` in a space we are a member of, if our name there differs from the
 * account's. In a private space whose key has not reached us yet (just joined), it is set when the
 * key arrives.
 */
async function ensureProfile (app: App, spaceId: string): Promise<void> {
  const state = app.store.spaces.get(spaceId)
  if (state == null || state.members.roleOf(app.account.userId) == null || state.nameOf(app.account.userId) === app.account.name) return
  try {
    await app.author('profile.set', spaceId, { name: app.account.name }, { keyWaitMs: 0 })
  } catch (err) {
    if (!(err instanceof KeyPendingError)) throw err
    const retry = (s: string): void => {
      if (s !== spaceId) return
      app.keys.off('key', retry)
      ensureProfile(app, spaceId).catch(e => { log('setting our name in %s failed: %s', spaceId, (e as Error).message) })
    }
    app.keys.on('key', retry)
  }
}

/** Spaces this user is a member of (left and removed ones stay stored but are not listed; nor are hidden ones). */
export function memberSpaces (app: App): SpaceState[] {
  return [...app.store.spaces.values()].filter(s => s.members.roleOf(app.account.userId) != null && !app.hidden.has(s.info.spaceId))
}

/**
 * Becomes a member of a space held here: with the invite of `token`, or (public space) without.
 * Already a member: nothing to do.
 * @throws PermissionError (FORBIDDEN for an invite-only space without an invite, BANNED, INVITE_*)
 * @throws NotFoundError if the token's invite has not arrived
 */
async function becomeMember (app: App, state: SpaceState, token: InviteToken | null): Promise<void> {
  const self = app.account.userId
  if (state.members.roleOf(self) != null) return
  if (token == null) {
    if (!state.members.isPublic) throw new PermissionError('FORBIDDEN', 'forbidden', `"${spaceView(state).name}" is invite-only: ask a member for an invite (\`invite create\`) and \`join <invite>\``)
    await app.replica.author('member.join', state.info.spaceId, { invite: null, proof: null })
    return
  }
  if (!state.byId.has(token.inviteId)) throw new NotFoundError('the peers reached do not know this invite yet (it may be newer than what they hold); try again in a moment')
  const proof = inviteProof(token.seed, state.info.spaceId, idFromString(self))
  // a private space's members publish their X25519 key with the join (the space's keys are boxed to it)
  try {
    await app.replica.author('member.join', state.info.spaceId, { invite: idFromString(token.inviteId), proof, enc: app.keys.enc.publicKey })
  } catch (err) {
    if (err instanceof PermissionError && err.reason === 'banned') throw new PermissionError('BANNED', 'banned', `you are banned from "${spaceView(state).name}" (an admin can \`unban\` you)`)
    throw err
  }
}

/** How long `join` spends bringing a space it holds up to date before judging it, ms. */
export const JOIN_REFRESH_MS = 3000

/**
 * Reconciles `spaceId` with the token's peers (dialed), every connected peer and our relays, for at
 * most JOIN_REFRESH_MS; failures are ignored (what we hold is then what we judge).
 */
async function refreshSpace (app: App, spaceId: string, addrs: string[], signal: AbortSignal): Promise<void> {
  const limit = AbortSignal.any([signal, AbortSignal.timeout(JOIN_REFRESH_MS)])
  await Promise.allSettled(addrs.map(async a => await dialAddress(app.node, a, limit)))
  await Promise.allSettled(app.connectedPeers().map(async p => await app.sync.syncWith(p, spaceId, { signal: limit })))
}

/** The error to show when the holders of a private space keep it from us, for the reasons they gave. */
function refusalError (reasons: string[]): PermissionError | null {
  const order: Array<[string, string, string]> = [
    ['invite_revoked', 'INVITE_REVOKED', 'this invite was revoked'],
    ['invite_expired', 'INVITE_EXPIRED', 'this invite has expired'],
    ['invite_exhausted', 'INVITE_EXHAUSTED', 'this invite has no uses left'],
    ['banned', 'BANNED', 'you are banned from this space'],
    ['bad_invite', 'FORBIDDEN', 'the invite secret does not match'],
    ['invite_only', 'FORBIDDEN', 'this space is private (invite-only): ask a member for an invite (`invite create`) and `join <invite>`']
  ]
  for (const [reason, code, message] of order) if (reasons.includes(reason)) return new PermissionError(code, reason, message)
  return null
}

/**
 * What fetching a space (net/dht-join.ts) needs from the App. `arrived`: the space is here, and so
 * is the token's invite if there is one (a peer with an older copy does not end the search).
 */
function fetchDeps (app: App, spaceId: string, token: InviteToken | null): FetchDeps {
  return {
    dht: app.dht,
    node: app.node,
    syncWith: async (peer, id, options) => await app.sync.syncWith(peer, id, options),
    onAnswer: (id, listener) => {
      const onProgress = (p: SyncProgress): void => { if (p.spaceId === id && p.phase === 'started') listener(p.peerId) }
      app.sync.on('progress', onProgress)
      return () => { app.sync.off('progress', onProgress) }
    },
    arrived: () => {
      const state = app.store.spaces.get(spaceId)
      return state != null && (token == null || state.byId.has(token.inviteId))
    }
  }
}

/**
 * After a join: announce, set our name, hand our new ops to relays and to the peers the space came
 * from (in the background: a `member.join` gossiped before those peers learnt of our subscription
 * would otherwise wait for anti-entropy), and switch to the space.
 */
async function enterJoined (app: App, state: SpaceState, peers: string[]): Promise<{ spaceId: string, name: string }> {
  const spaceId = state.info.spaceId
  app.announcer.announce(spaceId)
  app.syncRelays(spaceId)
  for (const p of peers.filter(p => !app.relays.connectedRelays().includes(p))) {
    app.sync.syncWith(p, spaceId).catch(err => { log('push of %s to %s after join failed: %s', spaceId, p, (err as Error).message) })
  }
  // A private space: the inviter (or another member) hands us its key on seeing our join; give it
  // a moment, so the space's name and history read at once. Later is fine too (a `key` event).
  await app.keys.waitForKey(state, JOIN_KEY_WAIT_MS)
  await ensureProfile(app, spaceId)
  return await enterSpace(app, state)
}

async function enterSpace (app: App, state: SpaceState): Promise<{ spaceId: string, name: string }> {
  await app.setContext({ spaceId: state.info.spaceId, channelId: state.info.spaceId })
  return spaceView(state)
}

export const actions = {
  whoami (app: App) {
    return { userId: app.account.userId, name: app.account.name, peerId: app.account.peerId }
  },

  async connect (app: App, addr: string | undefined) {
    if (addr == null || addr.trim() === '') throw new BadArgumentError('usage: connect <multiaddr>')
    const peerId = await dialAddress(app.node, addr.trim())
    // The user asked for this peer: reconcile now, even if the connection already existed.
    app.syncPeer(peerId)
    return { peerId }
  },

  peers (app: App) {
    const peers = app.node.getPeers().map(p => {
      const conns = app.node.getConnections(p)
      return { peerId: p.toString(), addrs: conns.map(c => c.remoteAddr.toString()), direction: conns[0]?.direction ?? null }
    })
    return { peers }
  },

  /**
   * `space create <name> [--public] [--history full|since-join]`: invite-only unless `isPublic`
   * (joined by id then). An invite-only space is private: its name and content are sealed, its first
   * epoch key is boxed to us (KeyManager); `history` says whether members who join later read what
   * was said before (`full`, the default) or not.
   */
  async spaceCreate (app: App, name: string | undefined, isPublic = false, history: HistoryMode = 'full', extra: { dm?: boolean, enter?: boolean } = {}) {
    const n = checkName(name, 'space name')
    let op: Op<'space.create'>
    if (isPublic) {
      op = await app.replica.author('space.create', null, { name: n, nonce: Replica.nonce(), public: true })
    } else {
      const secret = app.keys.newSecret()
      const plain = { nonce: Replica.nonce(), public: false as const, history, enc: app.keys.enc.publicKey, ...(extra.dm === true ? { dm: true } : {}) }
      const seal = await app.keys.sealer(null, 'space.create', plain, { name: n }, secret)
      op = await app.replica.author('space.create', null, plain as unknown as Payloads['space.create'], { seal })
      await app.keys.keep(op.spaceId, secret)
      await app.keys.rotate(app.store.spaces.get(op.spaceId) as SpaceState, secret)
    }
    app.topics.subscribe(op.spaceId)
    const state = app.store.spaces.get(op.spaceId) as SpaceState
    app.announcer.announce(op.spaceId)
    app.syncRelays(op.spaceId)
    await ensureProfile(app, op.spaceId)
    const view = extra.enter === false ? spaceView(state) : await enterSpace(app, state)
    return { ...view, public: isPublic, ...(isPublic ? {} : { history }) }
  },

  spaces (app: App) {
    return {
      spaces: memberSpaces(app).sort((a, b) => a.info.createdAt - b.info.createdAt)
        .map(s => ({ ...spaceView(s), role: s.members.roleOf(app.account.userId), public: s.members.isPublic, dm: s.info.dm === true }))
    }
  },

  async spaceSwitch (app: App, query: string | undefined) {
    const state = pick(memberSpaces(app), query ?? '', s => s.info.spaceId, s => spaceView(s).name, 'space')
    return await enterSpace(app, state)
  },

  /**
   * Joins a space by invite token or (public space) by id: dials the token's addresses, asks every
   * connected peer and the space's providers in the DHT for the space (sync; net/dht-join.ts: the
   * first that hands it over wins), waits up to JOIN_TIMEOUT_MS, then authors the `member.join`
   * every peer validates.
   * @throws NotFoundError if no peer holds it; PermissionError if the space's rules refuse the join
   */
  /**
   * `join <invite or space id>`. `options.accept`, if given, sees the fetched space before we join
   * it and returns why not (we then do not join, and stop following it), or null.
   */
  async join (app: App, arg: string | undefined, options: { accept?: (state: SpaceState) => string | null } = {}) {
    const text = (arg ?? '').trim()
    if (text === '') throw new BadArgumentError('usage: join <invite or space id>')
    const token = isToken(text) ? decodeToken(text) : null
    const spaceId = token?.spaceId ?? text.toLowerCase()
    if (token == null && !isIdString(spaceId)) {
      const held = memberSpaces(app).filter(s => s.info.spaceId.startsWith(spaceId))
      if (held.length === 1) return await enterSpace(app, held[0])
      throw new BadArgumentError(`${quoted(text, 60)} is neither an invite (sw1z...) nor a space id (52 characters, a-z and 2-7)`)
    }
    const signal = AbortSignal.timeout(JOIN_TIMEOUT_MS)
    const existing = app.store.spaces.get(spaceId)
    const accept = async (state: SpaceState): Promise<void> => {
      const refused = options.accept?.(state) ?? null
      if (refused == null) return
      if (state.members.roleOf(app.account.userId) == null) { await app.replica.unmarkJoining(state.info.spaceId); app.topics.unsubscribe(state.info.spaceId) }
      throw new PermissionError('FORBIDDEN', 'forbidden', refused)
    }
    // A private space is served only to members, and to a joiner proving it holds an invite.
    const release = proveInvite(app, spaceId, token)
    if (existing != null && (existing.members.roleOf(app.account.userId) != null || token == null || existing.byId.has(token.inviteId))) {
      try {
        // held but not ours: what we hold may be stale (an unban, a revoked invite): catch up first
        if (existing.members.roleOf(app.account.userId) == null) await refreshSpace(app, spaceId, token?.addrs ?? [], signal)
        await accept(existing)
        await becomeMember(app, existing, token)
      } catch (err) { release(false); throw err }
      release(true)
      return await enterJoined(app, existing, app.connectedPeers())
    }
    // Want the space and start pulling it from every connected peer in the same tick, so a peer that
    // pushes it to us meanwhile finds our session running and leaves the transfer to it.
    void app.replica.want(spaceId)
    app.topics.subscribe(spaceId)
    // Right after start-up the relays may still be connecting: give them a moment (they hold spaces).
    await app.relays.settled(AbortSignal.any([signal, AbortSignal.timeout(RELAY_WAIT_MS)]))
    const dialed = await Promise.allSettled((token?.addrs ?? []).map(async a => await dialAddress(app.node, a, signal)))
    const peers = [...new Set([...app.connectedPeers(), ...dialed.flatMap(d => d.status === 'fulfilled' ? [d.value] : [])])]
    // Every connected peer at once, and the space's providers in the DHT as the lookup finds them,
    // each with a short deadline to answer: the first that hands the space over wins (a silent peer
    // costs PROVIDER_ANSWER_MS, concurrently with the others, not the whole join).
    let fetchError: unknown
    const refusals = new Set<string>()
    const onRefused = (_peer: string, s: string, reason: string): void => { if (s === spaceId) refusals.add(reason) }
    app.sync.on('refused', onRefused)
    await fetchSpace(fetchDeps(app, spaceId, token), spaceId, { peers: peers.map(p => ({ id: peerIdFromString(p), multiaddrs: [] })), signal })
      .catch(err => { fetchError = err })
      .finally(() => { app.sync.off('refused', onRefused) })
    const state = app.store.spaces.get(spaceId)
    if (state == null) {
      release(false)
      await app.replica.unmarkJoining(spaceId)
      app.topics.unsubscribe(spaceId)
      // holders of a private space said why they keep it from us: an invite that is used up...
      const refusal = refusalError([...refusals])
      if (refusal != null) throw refusal
      if (fetchError instanceof SpacewayError && fetchError.code === 'TIMEOUT') throw fetchError
      const why = fetchError instanceof Error ? sanitizeText(fetchError.message) : 'no member answered'
      throw new NotFoundError(`space ${spaceId} not found: ${why}`)
    }
    // A refused join keeps what was fetched and stays subscribed: an invite may let us in later, and
    // leaving the topic would put this peer under GossipSub's prune backoff (60 s) on a retry.
    try {
      await accept(state)
      await becomeMember(app, state, token)
    } catch (err) { release(false); throw err }
    // (kept a while: the pushes of our join to members and relays prove the invite too)
    release(true)
    return await enterJoined(app, state, app.connectedPeers())
  },

  async channelCreate (app: App, name: string | undefined) {
    const state = currentSpace(app)
    const n = normalizeChannelName(checkName(name, 'channel name'))
    if (state.channelList().some(c => c.name === n)) throw new BadArgumentError(`channel #${n} already exists in this space`)
    const op = await authorIn(app, state, 'channel.create', { name: n })
    await app.setContext({ spaceId: state.info.spaceId, channelId: op.id })
    return { channelId: op.id, name: n }
  },

  /** `channel rename <channel> <new name>` (admins). */
  async channelRename (app: App, args: string[]) {
    const state = currentSpace(app)
    if (args.length < 2) throw new BadArgumentError('usage: channel rename <channel> <new name>')
    const c = pick(state.channelList(), args[0].replace(/^#/, ''), c => c.channelId, c => c.name, 'channel')
    const n = normalizeChannelName(checkName(args.slice(1).join(' '), 'channel name'))
    if (state.channelList().some(x => x.name === n && x.channelId !== c.channelId)) throw new BadArgumentError(`channel #${n} already exists in this space`)
    await authorIn(app, state, 'channel.rename', { channel: idFromString(c.channelId), name: n })
    return { channelId: c.channelId, name: n }
  },

  /** `channel delete <channel>` (admins; not `general`). Its messages stay stored but are not listed. */
  async channelDelete (app: App, query: string | undefined) {
    const state = currentSpace(app)
    const c = pick(state.channelList(), (query ?? '').replace(/^#/, ''), c => c.channelId, c => c.name, 'channel')
    await authorIn(app, state, 'channel.delete', { channel: idFromString(c.channelId) })
    if (app.context.channelId === c.channelId) await app.setContext({ spaceId: state.info.spaceId, channelId: state.info.spaceId })
    return { channelId: c.channelId }
  },

  channels (app: App) {
    const state = currentSpace(app)
    return { channels: state.channelList().map(c => ({ channelId: c.channelId, name: sanitizeText(c.name) })) }
  },

  async channelSwitch (app: App, query: string | undefined) {
    const state = currentSpace(app)
    const q = (query ?? '').replace(/^#/, '')
    const c = pick(state.channelList(), q, c => c.channelId, c => c.name, 'channel')
    await app.setContext({ spaceId: state.info.spaceId, channelId: c.channelId })
    return { channelId: c.channelId, name: sanitizeText(c.name) }
  },

  async send (app: App, text: string | undefined) {
    const state = currentSpace(app)
    const body = (text ?? '').trim()
    if (body === '') throw new BadArgumentError('usage: send <text>')
    if (body.length > MAX_MESSAGE_CHARS) throw new BadArgumentError(`message is ${body.length} characters; the limit is ${MAX_MESSAGE_CHARS}`)
    const channelId = app.context.channelId ?? state.info.spaceId
    if (state.channel(channelId)?.deleted === true) throw new BadArgumentError('this channel was deleted; switch with `channel general` (see `channels`)')
    const op = await authorIn(app, state, 'message.post', { channel: idFromString(channelId), text: body })
    return { id: op.id, ts: op.hlc.wall, text: sanitizeText(body, true) }
  },

  async messages (app: App, n: string | undefined): Promise<{ messages: MessageView[] }> {
    const state = currentSpace(app)
    const limit = n == null ? 50 : Number(n)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new BadArgumentError('usage: messages [n], n from 1 to 10000')
    const channelId = app.context.channelId ?? state.info.spaceId
    // removed from the space: what was said after our removal is not ours to see (it is sealed
    // to the members left anyway)
    const self = app.account.userId
    const removal = state.members.roleOf(self) == null ? state.members.removed.get(self) : undefined
    const ops = (await app.store.messages(state.info.spaceId, channelId, limit)).filter(op => removal == null || orderKey(op.hlc, op.id) < removal.key)
    const related = await app.store.getOps(relatedOpIds(state, ops.map(o => o.id)))
    return { messages: ops.map(op => messageView(op, state, related)) }
  },

  context (app: App) {
    const state = app.context.spaceId == null ? undefined : app.store.spaces.get(app.context.spaceId)
    const channel = state?.channel(app.context.channelId ?? '')
    return {
      spaceId: app.context.spaceId,
      channelId: app.context.channelId,
      spaceName: state == null ? null : spaceView(state).name,
      channelName: channel == null ? null : sanitizeText(channel.name)
    }
  },

  async nick (app: App, name: string | undefined) {
    const n = checkName(name, 'name')
    await saveAccountName(app.account, n)
    for (const spaceId of app.store.spaces.keys()) await ensureProfile(app, spaceId)
    app.emit('change')
    return { name: n }
  }
}
