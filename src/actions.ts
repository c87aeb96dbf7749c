/**
 * What each user command does, on a running App. Returns the `data` of the scripting contract
 * (docs/cli-json.md); throws SpacewayError subclasses with stable codes.
 */
import { logger } from '@libp2p/logger'
import { saveAccountName } from './account.js'
import type { App } from './app.js'
import { AmbiguousError, BadArgumentError, NoCurrentSpaceError, NotFoundError } from './errors.js'
import { authorIn } from './member-actions.js'
import { idFromString } from './core/ids.js'
import { MAX_MESSAGE_CHARS, MAX_NAME_CHARS, type HistoryMode, type Op, type Payloads } from './core/op.js'
import type { SpaceState } from './core/space-state.js'
import { Replica } from './replica.js'
import { orderKey } from './core/order.js'
import { KeyPendingError } from './key-manager.js'
import { dialAddress } from './net/dial.js'
import { META } from './store/layout.js'
import { type MessageView, messageView, normalizeChannelName, relatedOpIds, spaceView } from './views.js'
import { quoted, sanitizeText } from './core/sanitize.js'

const log = logger('spaceway:actions')

function checkName (name: string | undefined, what: string): string {
  const n = (name ?? '').trim()
  if (n === '') throw new BadArgumentError(`${what} is missing`)
  if (n.length > MAX_NAME_CHARS) throw new BadArgumentError(`${what} is longer than ${MAX_NAME_CHARS} characters`)
  return n
}

/**
 * A message's text as typed: verbatim, but for line breaks at its end.
 * @throws BadArgumentError if it is empty (or only whitespace) or longer than MAX_MESSAGE_CHARS
 */
export function checkMessage (text: string | undefined, usage: string): string {
  const body = (text ?? '').replace(/[\r\n]+$/, '')
  if (body.trim() === '') throw new BadArgumentError(`the message is empty; usage: ${usage}`)
  if (body.length > MAX_MESSAGE_CHARS) throw new BadArgumentError(`message is ${body.length} characters; the limit is ${MAX_MESSAGE_CHARS} (nothing was sent)`)
  return body
}

/**
 * The current space.
 * @throws NoCurrentSpaceError when there is none
 */
export function currentSpace (app: App): SpaceState {
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
  // then a unique start of a name (`space Test` for "Test Space"), then a unique start of an id
  const byNamePrefix = items.filter(t => shown(t).toLowerCase().startsWith(sanitizeText(q).toLowerCase()))
  const byPrefix = items.filter(t => idOf(t).startsWith(q.toLowerCase()))
  const matches = byName.length > 1 ? byName : byNamePrefix.length > 0 ? byNamePrefix : byPrefix
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
export async function ensureProfile (app: App, spaceId: string): Promise<void> {
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

/** Makes `state` the current space, in the channel last open there (default: #general). */
export async function enterSpace (app: App, state: SpaceState): Promise<{ spaceId: string, name: string }> {
  const spaceId = state.info.spaceId
  const last = await app.store.getMeta<string>(META.lastChannel(spaceId))
  const channelId = last != null && state.channel(last) != null && state.channel(last)?.deleted !== true ? last : spaceId
  await app.setContext({ spaceId, channelId })
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

  async spaceSwitch (app: App, query: string | undefined) {
    const state = pick(memberSpaces(app), query ?? '', s => s.info.spaceId, s => spaceView(s).name, 'space')
    return await enterSpace(app, state)
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
    return { channelId: c.channelId, name: sanitizeText(c.name) }
  },

  async channelSwitch (app: App, query: string | undefined) {
    const state = currentSpace(app)
    const q = (query ?? '').replace(/^#/, '')
    const c = pick(state.channelList(), q, c => c.channelId, c => c.name, 'channel')
    await app.setContext({ spaceId: state.info.spaceId, channelId: c.channelId })
    return { channelId: c.channelId, name: sanitizeText(c.name) }
  },

  /** Posts `text` verbatim (only a line break at its end is dropped). */
  async send (app: App, text: string | undefined) {
    const state = currentSpace(app)
    const body = checkMessage(text, 'send <text>')
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
