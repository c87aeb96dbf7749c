/**
 * Membership commands: invites, members, roles, kick, ban, unban, leave, and message edits,
 * deletions and replies. Each authors one op through `Replica.author`, which applies the same
 * permission check as every peer (core/auth.ts), so a refused command stores and sends nothing
 * and fails with FORBIDDEN, BANNED, INVITE_* or NOT_FOUND.
 */
import { randomBytes } from 'node:crypto'
import { META } from './store/layout.js'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { App } from './app.js'
import { KeyManager } from './key-manager.js'
import { AmbiguousError, BadArgumentError, NotFoundError, PermissionError } from './errors.js'
import { ASSIGNABLE_ROLES, MAX_INVITE_USES, MAX_REACTION_CHARS, decodeOp, type AssignableRole, type Op, type OpType, type Payloads } from './core/op.js'
import { idFromString } from './core/ids.js'
import { encodeToken } from './core/invite.js'
import { Signer } from './core/signing.js'
import type { SpaceState } from './core/space-state.js'
import { displayName } from './views.js'
import { checkMessage, currentSpace } from './actions.js'
import { quoted, sanitizeText } from './core/sanitize.js'

/** Default lifetime of an invite, ms (7 days, as Discord's default). */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600_000

const space = (app: App): SpaceState => currentSpace(app)

/**
 * Authors an op in a space; a refusal because this user is no longer a member says so plainly.
 * @throws PermissionError and the errors of `Replica.author`
 */
export async function authorIn<T extends OpType> (app: App, state: SpaceState, type: T, payload: Payloads[T]): Promise<Op<T>> {
  try {
    return await app.author(type, state.info.spaceId, payload)
  } catch (err) {
    const removal = state.members.removed.get(app.account.userId)
    if (err instanceof PermissionError && err.reason === 'not_member' && removal != null) {
      throw new PermissionError(removal.reason === 'ban' ? 'BANNED' : 'FORBIDDEN', 'not_member',
        removal.reason === 'leave' ? 'you left this space; ask a member for an invite to rejoin' : `you were removed from this space by ${displayName(state, removal.by)} (${removal.reason})`)
    }
    throw err
  }
}

/** Every user the space knows of: members, removed and banned users, and anyone with a profile. */
function knownUsers (state: SpaceState): string[] {
  const m = state.members
  return [...new Set([...m.roles.keys(), ...m.removed.keys(), ...m.banned, ...state.profiles.keys()])]
}

/**
 * Resolves `<user>`: a full user id, a unique prefix of 8+ characters, or a unique display name.
 * @throws NotFoundError, AmbiguousError, BadArgumentError
 */
export function pickUser (state: SpaceState, query: string | undefined): string {
  const q = (query ?? '').trim()
  if (q === '') throw new BadArgumentError('the user is missing: give a user id, 8+ characters of one, or a display name')
  const users = knownUsers(state)
  if (users.includes(q.toLowerCase())) return q.toLowerCase()
  const byName = users.filter(u => state.nameOf(u) != null && displayName(state, u).toLowerCase() === sanitizeText(q).toLowerCase())
  if (byName.length === 1) return byName[0]
  if (byName.length > 1) throw new AmbiguousError(`${byName.length} users are called ${quoted(q)}; give 8+ characters of the user id (see \`members\`)`)
  if (q.length >= 8) {
    const byPrefix = users.filter(u => u.startsWith(q.toLowerCase()))
    if (byPrefix.length === 1) return byPrefix[0]
    if (byPrefix.length > 1) throw new AmbiguousError(`${quoted(q)} matches ${byPrefix.length} users; give more of the id`)
  }
  throw new NotFoundError(`no user in this space matches ${quoted(q)}`)
}

/** Finds a message of the space by id prefix (4+ characters). */
function pickMessage (state: SpaceState, query: string | undefined): string {
  const q = (query ?? '').trim().toLowerCase()
  if (q.length < 4) throw new BadArgumentError('give at least 4 characters of the message id (shown after each message)')
  const ids = [...state.messageAuthors.keys()].filter(id => id.startsWith(q))
  if (ids.length === 1) return ids[0]
  if (ids.length > 1) throw new AmbiguousError(`${quoted(q)} matches ${ids.length} messages; give more of the id`)
  throw new NotFoundError(`no message in this space has an id starting with ${quoted(q)}`)
}


/** Addresses a token carries: two direct ones, one relay circuit, and a connected relay. */
function tokenAddrs (app: App): string[] {
  const mine = app.addresses()
  const direct = mine.filter(a => !a.includes('/p2p-circuit'))
  const circuit = mine.filter(a => a.includes('/p2p-circuit'))
  const relays = app.relays.list().filter(r => r.connected).map(r => r.addr)
  return [...direct.slice(0, 2), ...circuit.slice(0, 1), ...relays.slice(0, 1)]
}

/** PeerId string of a user id (the same Ed25519 key), for `online`. */
export function peerIdOf (userId: string): string {
  return peerIdFromPublicKey(publicKeyFromRaw(idFromString(userId))).toString()
}

/**
 * Creates an invite of `state` (`maxUses` 0 = unlimited; `ttlMs` 0 = never expires) and keeps its
 * token. Returns the `invite create` result.
 */
export async function createInvite (app: App, state: SpaceState, maxUses: number, ttlMs: number): Promise<{ invite: string, inviteId: string, maxUses: number | null, expiresAt: number | null }> {
  const seed = new Uint8Array(randomBytes(32))
  const expiresAt = ttlMs === 0 ? 0 : Date.now() + ttlMs
  const op = await authorIn(app, state, 'invite.create', { key: Signer.fromSeed(seed).publicKey, maxUses, expiresAt })
  const invite = encodeToken({ spaceId: state.info.spaceId, inviteId: op.id, seed, addrs: tokenAddrs(app) })
  await app.store.setMeta(META.invite(op.id), invite)
  return { invite, inviteId: op.id, maxUses: maxUses === 0 ? null : maxUses, expiresAt: expiresAt === 0 ? null : expiresAt }
}

export const memberActions = {
  /**
   * `invite create`: an invite of the current space (`maxUses` 0 = unlimited, the default; `ttlMs`
   * 0 = never expires, default DEFAULT_INVITE_TTL_MS).
   * @throws BadArgumentError for maxUses outside 0..MAX_INVITE_USES
   */
  async inviteCreate (app: App, options: { maxUses?: number, ttlMs?: number } = {}) {
    const state = space(app)
    const maxUses = options.maxUses ?? 0
    if (!Number.isInteger(maxUses) || maxUses < 0 || maxUses > MAX_INVITE_USES) throw new BadArgumentError(`--max-uses must be a whole number from 1 to ${MAX_INVITE_USES}`)
    return await createInvite(app, state, maxUses, options.ttlMs ?? DEFAULT_INVITE_TTL_MS)
  },

  /** `invites`: every invite of the current space, with uses left. */
  async invites (app: App) {
    const state = space(app)
    const now = Date.now()
    const list = await Promise.all([...state.members.invites.values()].sort((a, b) => a.createdAt - b.createdAt).map(async i => ({
      inviteId: i.inviteId,
      createdBy: { userId: i.createdBy, name: displayName(state, i.createdBy) },
      maxUses: i.maxUses === 0 ? null : i.maxUses,
      uses: i.uses,
      usesLeft: i.maxUses === 0 ? null : Math.max(0, i.maxUses - i.uses),
      expiresAt: i.expiresAt === 0 ? null : i.expiresAt,
      status: i.revoked ? 'revoked' : i.expiresAt !== 0 && now >= i.expiresAt ? 'expired' : i.maxUses !== 0 && i.uses >= i.maxUses ? 'used up' : 'active',
      invite: await app.store.getMeta<string>(META.invite(i.inviteId)) ?? null
    })))
    return { invites: list }
  },

  /** `invite revoke <id prefix>` */
  async inviteRevoke (app: App, query: string | undefined) {
    const state = space(app)
    const q = (query ?? '').trim().toLowerCase()
    if (q === '') throw new BadArgumentError('usage: invite revoke <invite id>')
    const ids = [...state.members.invites.keys()].filter(id => id.startsWith(q))
    if (ids.length === 0) throw new NotFoundError(`no invite of this space has an id starting with ${quoted(q)}`)
    if (ids.length > 1) throw new AmbiguousError(`${quoted(q)} matches ${ids.length} invites; give more of the id`)
    await authorIn(app, state, 'invite.revoke', { invite: idFromString(ids[0]) })
    return { inviteId: ids[0] }
  },

  /** `role <user> <role>` */
  async role (app: App, args: string[]) {
    const state = space(app)
    if (args.length !== 2) throw new BadArgumentError(`usage: role <user> <${ASSIGNABLE_ROLES.join('|')}>`)
    const role = args[1].toLowerCase()
    if (role === 'owner') throw new BadArgumentError('ownership cannot be given away; the owner is the space\'s creator')
    if (!(ASSIGNABLE_ROLES as readonly string[]).includes(role)) throw new BadArgumentError(`unknown role ${quoted(args[1])}; roles: ${ASSIGNABLE_ROLES.join(', ')}`)
    const userId = pickUser(state, args[0])
    await authorIn(app, state, 'role.set', { user: idFromString(userId), role: role as AssignableRole })
    return { userId, name: displayName(state, userId), role }
  },

  /** `kick <user>`, `ban <user>`, `unban <user>` */
  async removeUser (app: App, type: 'member.kick' | 'member.ban' | 'member.unban', query: string | undefined) {
    const state = space(app)
    const userId = pickUser(state, query)
    if (userId === app.account.userId && type !== 'member.unban') throw new BadArgumentError('to leave a space use `leave`')
    await authorIn(app, state, type, { user: idFromString(userId) })
    // a private space re-keys with the removal: what is said from now on is sealed to the members left
    const rekeyed = type !== 'member.unban' && KeyManager.seals(state) && state.members.roleOf(userId) == null
    if (rekeyed) await app.keys.rotate(state)
    return { userId, name: displayName(state, userId), ...(rekeyed ? { rekeyed: true } : {}) }
  },

  /** `leave`: leaves the current space (its data stays; an invite lets you back in). */
  async leave (app: App) {
    const state = space(app)
    await authorIn(app, state, 'member.leave', {})
    await app.setContext({ spaceId: null, channelId: null })
    return { spaceId: state.info.spaceId }
  },

  /** `edit <message id prefix> <text>` */
  async edit (app: App, args: string[]) {
    const state = space(app)
    const messageId = pickMessage(state, args[0])
    const text = checkMessage(args.slice(1).join(' '), 'edit <message id> <text>')
    if (state.deleted.has(messageId)) throw new BadArgumentError('that message was deleted')
    await authorIn(app, state, 'message.edit', { message: idFromString(messageId), text })
    return { messageId, text: sanitizeText(text, true) }
  },

  /** `react <message id prefix> <emoji>`: adds the reaction, or takes it back if it is there. */
  async react (app: App, args: string[]) {
    const state = space(app)
    if (args.length !== 2) throw new BadArgumentError('usage: react <message id> <emoji>, e.g. react 3fq2 👍')
    const messageId = pickMessage(state, args[0])
    const emoji = args[1]
    if (emoji.length > MAX_REACTION_CHARS) throw new BadArgumentError(`a reaction is at most ${MAX_REACTION_CHARS} characters`)
    if (state.deleted.has(messageId)) throw new BadArgumentError('that message was deleted')
    const on = state.reactions.get(messageId)?.get(`${app.account.userId}!${emoji}`)?.on !== true
    await authorIn(app, state, 'message.react', { message: idFromString(messageId), emoji, on })
    return { messageId, emoji: sanitizeText(emoji), on }
  },

  /** `delete <message id prefix>` */
  async delete (app: App, query: string | undefined) {
    const state = space(app)
    const messageId = pickMessage(state, query)
    await authorIn(app, state, 'message.delete', { message: idFromString(messageId) })
    return { messageId }
  },

  /** `reply <message id prefix> <text>`: posts to the replied message's channel. */
  async reply (app: App, args: string[]) {
    const state = space(app)
    const messageId = pickMessage(state, args[0])
    const text = checkMessage(args.slice(1).join(' '), 'reply <message id> <text>')
    const bytes = await app.store.getBytes(messageId)
    if (bytes == null) throw new NotFoundError('that message is not stored here')
    const target = decodeOp(bytes, { verify: false }) as Op<'message.post'>
    const op = await authorIn(app, state, 'message.post', { channel: target.payload.channel, text, reply: idFromString(messageId) })
    return { id: op.id, ts: op.hlc.wall, text: sanitizeText(text, true), replyTo: messageId }
  }
}
