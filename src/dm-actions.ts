/**
 * Direct messages: a private space of two (`dm: true`, full history), made by one member of a
 * common space for another. Its invite travels in the common space as a `dm.invite` op: an HPKE box
 * to the other member's X25519 key there, so only they can open it (key-manager.ts). Their client
 * joins at once and says so (`dm` event). `block <user>` refuses their invites from then on and
 * leaves (or, for the one who made it, hides) the direct-message spaces with them.
 *
 * Meta rows: `dm!<user id>` -> space id of our direct messages with that user; `block!<user id>`;
 * `hidden!<space id>` (a space we made and cannot leave, hidden from `spaces`).
 */
import { joinSpace } from './net/join-service.js'
import { logger } from '@libp2p/logger'
import { META } from './store/layout.js'
import type { App } from './app.js'
import { actions, checkMessage, memberSpaces } from './actions.js'
import { BadArgumentError, NoCurrentSpaceError } from './errors.js'
import { idFromString } from './core/ids.js'
import { encodeToken, type InviteToken } from './core/invite.js'
import type { SpaceState } from './core/space-state.js'
import { authorIn, createInvite, peerIdOf, pickUser } from './member-actions.js'
import { displayName } from './views.js'

const log = logger('spaceway:dm')

/** How long a direct-message invite stays valid, ms (7 days). */
export const DM_INVITE_TTL_MS = 7 * 24 * 3600_000

function common (app: App): SpaceState {
  const id = app.context.spaceId
  const state = id == null ? undefined : app.store.spaces.get(id)
  if (state == null) throw new NoCurrentSpaceError('no current space: direct messages start from a space you share with the other user')
  return state
}

/** Our direct-message space with `userId`, if we hold it and are still in it. */
async function existing (app: App, userId: string): Promise<SpaceState | undefined> {
  const spaceId = await app.store.getMeta<string>(META.dm(userId))
  const state = spaceId == null ? undefined : app.store.spaces.get(spaceId)
  return state != null && state.members.roleOf(app.account.userId) != null ? state : undefined
}

/**
 * Our direct-message space with member `userId` of `shared`: the one we have, or a new one whose
 * invite is boxed to them in `shared`.
 */
async function dmSpaceWith (app: App, shared: SpaceState, userId: string): Promise<SpaceState> {
  const have = await existing(app, userId)
  if (have != null) return have
  if (userId === app.account.userId) throw new BadArgumentError('that is you')
  if (shared.members.roleOf(userId) == null) throw new BadArgumentError(`${displayName(shared, userId)} is not a member of this space`)
  if (shared.members.user(userId)?.enc == null) throw new BadArgumentError(`${displayName(shared, userId)} has no encryption key in this space yet (their client publishes one when it next runs)`)
  const name = `${app.account.name} & ${displayName(shared, userId)}`.slice(0, 64)
  const { spaceId } = await actions.spaceCreate(app, name, false, 'full', { dm: true, enter: false })
  const state = app.store.spaces.get(spaceId) as SpaceState
  const { invite } = await createInvite(app, state, 1, DM_INVITE_TTL_MS)
  await app.keys.sendDmInvite(shared, userId, invite)
  await app.store.setMeta(META.dm(userId), spaceId)
  return state
}

export const dmActions = {
  /** `dm <user>`: switches to the direct messages with a member of the current space (made if needed). */
  async dm (app: App, query: string | undefined) {
    const shared = common(app)
    const userId = pickUser(shared, query)
    const state = await dmSpaceWith(app, shared, userId)
    await app.setContext({ spaceId: state.info.spaceId, channelId: state.info.spaceId })
    return { spaceId: state.info.spaceId, userId, name: displayName(shared, userId) }
  },

  /** `msg <user> <text>`: sends a direct message without leaving the current channel. */
  async msg (app: App, args: string[]) {
    const shared = common(app)
    if (args.length < 2) throw new BadArgumentError('usage: msg <user> <text>')
    const userId = pickUser(shared, args[0])
    const text = checkMessage(args.slice(1).join(' '), 'msg <user> <text>')
    const state = await dmSpaceWith(app, shared, userId)
    const op = await authorIn(app, state, 'message.post', { channel: idFromString(state.info.spaceId), text })
    return { spaceId: state.info.spaceId, userId, name: displayName(shared, userId), id: op.id, ts: op.hlc.wall }
  },

  /** `block <user>`: no more direct messages from a user (their invites are ignored; ours with them closed). */
  async block (app: App, query: string | undefined) {
    const shared = common(app)
    const userId = pickUser(shared, query)
    if (userId === app.account.userId) throw new BadArgumentError('that is you')
    await app.store.setMeta(META.block(userId), true)
    const dm = await existing(app, userId)
    if (dm != null) {
      if (dm.members.owner === app.account.userId) {
        app.hidden.add(dm.info.spaceId)
        await app.store.setMeta(META.hidden(dm.info.spaceId), true)
      } else {
        await authorIn(app, dm, 'member.leave', {})
      }
      if (app.context.spaceId === dm.info.spaceId) await app.setContext({ spaceId: shared.info.spaceId, channelId: shared.info.spaceId })
    }
    await app.store.setMeta(META.dm(userId), undefined)
    return { userId, name: displayName(shared, userId) }
  },

  /** `unblock <user>` */
  async unblock (app: App, query: string | undefined) {
    const shared = common(app)
    const userId = pickUser(shared, query)
    await app.store.setMeta(META.block(userId), undefined)
    return { userId, name: displayName(shared, userId) }
  }
}

/**
 * Joins direct-message spaces others open with us, as their invites arrive (unless we blocked the
 * sender, or are in it already), and announces each with the App's `dm` event.
 */
export function acceptDmInvites (app: App): void {
  app.keys.on('dm:invite', ({ spaceId, from, token }) => {
    void acceptDmInvite(app, spaceId, from, token).catch(err => { log('joining the direct messages from %s failed: %s', from, (err as Error).message) })
  })
}

/**
 * Joins the direct-message space of `token`, boxed to us by `from` in space `via`: unless we blocked
 * `from` or are in it already. Only `from`'s own addresses in the token are dialed, and the space
 * must be a direct-message space made by `from` with nobody else in it.
 * @throws PermissionError (FORBIDDEN) if it is not; whatever `join` throws
 */
export async function acceptDmInvite (app: App, via: string, from: string, token: InviteToken): Promise<void> {
  if (await app.store.getMeta(META.block(from)) === true) return
  const held = app.store.spaces.get(token.spaceId)
  if (held?.members.roleOf(app.account.userId) != null) return
  const context = app.context
  // the token's addresses come from the sender: dial only the sender's own (direct or through a relay)
  const sender = peerIdOf(from)
  const addrs = token.addrs.filter(a => a.endsWith(`/p2p/${sender}`))
  const joined = await joinSpace(app, encodeToken({ ...token, addrs }), {
    // a direct-message space made by the sender, with nobody else in it
    accept: (state) => {
      if (state.info.dm !== true) return 'that invite is not for direct messages'
      if (state.info.creator !== from) return 'those direct messages were not made by the member who sent the invite'
      if ([...state.members.roles.keys()].some(u => u !== from && u !== app.account.userId)) return 'those direct messages have other members'
      return null
    }
  })
  // joining switches to it; a direct message arriving must not move the user away from where they are
  if (context.spaceId != null) await app.setContext(context)
  await app.store.setMeta(META.dm(from), joined.spaceId)
  app.emit('dm', { spaceId: joined.spaceId, via, from: { userId: from, name: displayName(app.store.spaces.get(via), from) } })
  log('joined the direct messages %s from %s', joined.spaceId, from)
}

/** Direct-message spaces we are in, for listings. */
export function dmSpaces (app: App): SpaceState[] {
  return memberSpaces(app).filter(s => s.info.dm === true)
}
