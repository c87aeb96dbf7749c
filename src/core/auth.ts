/**
 * Authorization: roles, the permission table, and the membership state of a space (members and
 * roles, removals, bans, invites) as a deterministic fold over membership ops.
 *
 * The rule every peer applies (docs/PROTOCOL.md, "Authorization"):
 *   1. An op is valid if its author has the needed permission in `fold(causal history of the op)`.
 *      The causal history is fixed by the op's deps (content-addressed), so validity is a property
 *      of the op itself: every peer decides the same, in any delivery order.
 *   2. `fold(S)` replays the membership ops of S in ascending (HLC, op id) order - a linear
 *      extension of causal order - and applies each only if its author is allowed to make it *at
 *      that point of the replay*. Concurrent ops are thus resolved by one total order: of two
 *      concurrent joins racing for an invite's last use, the earlier in (HLC, id) order wins; a
 *      moderator's kick concurrent with (and ordered after) that moderator's own removal has no
 *      effect.
 * This follows the approach of Kleppmann, "Making CRDTs Byzantine Fault Tolerant" (PaPoC 2022):
 * validity is a deterministic function of an op's causal predecessors, so correct replicas that
 * hold the same ops reach the same state; the re-check in the replay plays the role of Matrix's
 * state resolution (auth events re-authorized against the resolved state, in a total order).
 */
import { idToString } from './ids.js'
import { verifyInviteProof } from './invite.js'
import type { AssignableRole, Op, OpType } from './op.js'

/** Roles, strongest first. */
export const ROLES = ['owner', 'admin', 'moderator', 'member'] as const
export type Role = typeof ROLES[number]

/** Rank of a role: owner 4 > admin 3 > moderator 2 > member 1 (0: not a member). */
export function rank (role: Role | null): number {
  return role == null ? 0 : 4 - ROLES.indexOf(role)
}

/**
 * The permission table (README "Roles and permissions"): the least role an action needs. Acting on
 * another user (kick, ban, role) also needs a rank strictly above the target's, and a role can only
 * be assigned below one's own. The owner cannot be kicked, banned, demoted, and cannot leave.
 */
export const PERMISSIONS = {
  post: 'member',
  react: 'member',
  editOwn: 'member',
  deleteOwn: 'member',
  setProfile: 'member',
  leave: 'member',
  createInvite: 'moderator',
  revokeInvite: 'moderator',
  deleteOthers: 'moderator',
  kick: 'moderator',
  manageChannels: 'admin',
  ban: 'admin',
  unban: 'admin',
  assignRoles: 'admin'
} as const satisfies Record<string, Role>

/** What each action is called in messages to people. */
const ACTION_TEXT: Record<keyof typeof PERMISSIONS, string> = {
  post: 'posting',
  react: 'reacting',
  editOwn: 'editing',
  deleteOwn: 'deleting',
  setProfile: 'setting a name',
  leave: 'leaving',
  createInvite: 'creating invites',
  revokeInvite: 'revoking invites',
  deleteOthers: 'deleting others\' messages',
  kick: 'kicking',
  manageChannels: 'creating channels',
  ban: 'banning',
  unban: 'unbanning',
  assignRoles: 'assigning roles'
}

/** Why a member left the member list. */
export type RemovalReason = 'kick' | 'ban' | 'leave'

/** An invite as the membership state knows it. Times in ms since the epoch; 0 = never / unlimited. */
export interface InviteInfo {
  inviteId: string
  key: Uint8Array
  createdBy: string
  createdAt: number
  maxUses: number
  expiresAt: number
  uses: number
  revoked: boolean
}

/** A removal: who removed the user, why, and the order key of the op that did it. */
export interface Removal { reason: RemovalReason, by: string, key: string }

/** A rejection: `reason` is an `InvalidOpError` reason (see `REASON_CODES`). */
export interface Rejection { reason: string, message: string }

/** Error code shown to a user for each rejection reason. */
export const REASON_CODES: Record<string, string> = {
  forbidden: 'FORBIDDEN',
  not_member: 'FORBIDDEN',
  bad_invite: 'FORBIDDEN',
  already_member: 'BAD_ARGUMENT',
  banned: 'BANNED',
  invite_exhausted: 'INVITE_EXHAUSTED',
  invite_expired: 'INVITE_EXPIRED',
  invite_revoked: 'INVITE_REVOKED',
  not_found: 'NOT_FOUND'
}

/** Op types that change the membership state (everything else only needs a permission check). */
export const MEMBERSHIP_TYPES: ReadonlySet<OpType> = new Set<OpType>([
  'space.create', 'invite.create', 'invite.revoke', 'member.join', 'member.leave', 'member.kick', 'member.ban', 'member.unban', 'role.set'
])

/** What a permission check needs to know about messages (edit/delete/reply targets). */
export interface MessageLookup {
  /** Author of the `message.post` with this id, or undefined if it is not a message of the space. */
  messageAuthor: (id: string) => string | undefined
  /** True if `id` is a channel of the space (deleted or not). */
  isChannel: (id: string) => boolean
}

const NO_MESSAGES: MessageLookup = { messageAuthor: () => undefined, isChannel: () => false }

/**
 * Join ops whose invite proof verified, by op id. The op id covers the invite id, and the invite id
 * covers the invite key, so a result never changes; caching it keeps replays of the membership ops
 * (which re-check every join) free of signature checks. Bounded; cleared when full.
 */
const verifiedProofs = new Set<string>()
const VERIFIED_MAX = 100_000

function proofOk (info: InviteInfo, op: Op<'member.join'>, spaceId: string): boolean {
  if (verifiedProofs.has(op.id)) return true
  const proof = op.payload.proof
  if (proof == null || !verifyInviteProof(info.key, spaceId, op.authorKey, proof)) return false
  if (verifiedProofs.size >= VERIFIED_MAX) verifiedProofs.clear()
  verifiedProofs.add(op.id)
  return true
}

const no = (reason: string, message: string): Rejection => ({ reason, message })

/** Membership state of a space at some set of ops. Mutated only by `step` (on a fresh or cloned state). */
export class MembershipState {
  spaceId = ''
  owner = ''
  isPublic = false
  /** A space created before membership existed: every signer not removed counts as a member. */
  legacy = false
  readonly roles = new Map<string, Role>()
  readonly removed = new Map<string, Removal>()
  readonly banned = new Set<string>()
  readonly invites = new Map<string, InviteInfo>()

  /** A copy that can be stepped without changing this one. */
  clone (): MembershipState {
    const c = new MembershipState()
    c.spaceId = this.spaceId
    c.owner = this.owner
    c.isPublic = this.isPublic
    c.legacy = this.legacy
    for (const [k, v] of this.roles) c.roles.set(k, v)
    for (const [k, v] of this.removed) c.removed.set(k, v)
    for (const k of this.banned) c.banned.add(k)
    for (const [k, v] of this.invites) c.invites.set(k, v)
    return c
  }

  /** The role of `userId`, or null if it is not a member. */
  roleOf (userId: string): Role | null {
    const r = this.roles.get(userId)
    if (r != null) return r
    return this.legacy && !this.removed.has(userId) && !this.banned.has(userId) ? 'member' : null
  }

  /**
   * Checks whether `op` is allowed in this state. Pure; never throws.
   * @returns null if allowed, else a rejection with a stable reason
   */
  check (op: Op, messages: MessageLookup = NO_MESSAGES): Rejection | null {
    if (op.type === 'space.create') return null
    const author = op.author
    const role = this.roleOf(author)
    const needs = (action: keyof typeof PERMISSIONS): Rejection | null => rank(role) >= rank(PERMISSIONS[action])
      ? null
      : role == null
        ? no(this.banned.has(author) ? 'banned' : 'not_member', 'not a member of the space')
        : no('forbidden', `${ACTION_TEXT[action]} needs the ${PERMISSIONS[action]} role or higher; ${role} is not enough`)
    const overTarget = (target: string, action: string): Rejection | null => {
      if (target === this.owner) return no('forbidden', `the owner cannot be the target of ${action}`)
      return rank(role) > rank(this.roleOf(target)) ? null : no('forbidden', `${action} needs a role above the target's (${this.roleOf(target) ?? 'not a member'}); ${role ?? 'not a member'} is not enough`)
    }
    switch (op.type) {
      case 'message.post': {
        const p = op.payload as Op<'message.post'>['payload']
        if (p.reply != null && messages.messageAuthor(idToString(p.reply)) == null) return no('bad_payload', 'reply target is not a message')
        return needs('post')
      }
      case 'profile.set':
        return needs('setProfile')
      case 'message.edit': {
        const target = messages.messageAuthor(idToString((op.payload as Op<'message.edit'>['payload']).message))
        if (target == null) return no('bad_payload', 'edit target is not a message')
        if (target !== author) return no('forbidden', 'only the author of a message can edit it')
        return needs('editOwn')
      }
      case 'message.react':
        if (messages.messageAuthor(idToString((op.payload as Op<'message.react'>['payload']).message)) == null) return no('bad_payload', 'reaction target is not a message')
        return needs('react')
      case 'message.delete': {
        const target = messages.messageAuthor(idToString((op.payload as Op<'message.delete'>['payload']).message))
        if (target == null) return no('bad_payload', 'delete target is not a message')
        return needs(target === author ? 'deleteOwn' : 'deleteOthers')
      }
      case 'channel.create':
        return needs('manageChannels')
      case 'channel.rename':
      case 'channel.delete': {
        const channel = idToString((op.payload as Op<'channel.delete'>['payload']).channel)
        if (!messages.isChannel(channel)) return no('bad_payload', 'target is not a channel')
        if (op.type === 'channel.delete' && channel === this.spaceId) return no('forbidden', 'the default channel cannot be deleted')
        return needs('manageChannels')
      }
      case 'invite.create':
        return needs('createInvite')
      case 'invite.revoke':
        if (!this.invites.has(idToString((op.payload as Op<'invite.revoke'>['payload']).invite))) return no('not_found', 'no such invite')
        return needs('revokeInvite')
      case 'member.join':
        return this.checkJoin(op as Op<'member.join'>)
      case 'member.leave':
        if (author === this.owner) return no('forbidden', 'the owner cannot leave the space')
        return needs('leave')
      case 'member.kick': {
        const target = idToString((op.payload as Op<'member.kick'>['payload']).user)
        if (this.roleOf(target) == null) return no('not_found', `${target} is not a member`)
        return needs('kick') ?? overTarget(target, 'kick')
      }
      case 'member.ban':
        return needs('ban') ?? overTarget(idToString((op.payload as Op<'member.ban'>['payload']).user), 'ban')
      case 'member.unban': {
        const target = idToString((op.payload as Op<'member.unban'>['payload']).user)
        if (!this.banned.has(target)) return no('not_found', `${target} is not banned`)
        return needs('unban')
      }
      case 'role.set': {
        const p = op.payload as Op<'role.set'>['payload']
        const target = idToString(p.user)
        if (this.roleOf(target) == null) return no('not_found', `${target} is not a member`)
        return needs('assignRoles') ?? overTarget(target, 'role') ??
          (rank(role) > rank(p.role) ? null : no('forbidden', `roles can only be assigned below one's own (${role ?? 'not a member'})`))
      }
    }
    return null
  }

  private checkJoin (op: Op<'member.join'>): Rejection | null {
    const { invite, proof } = op.payload
    if (this.banned.has(op.author)) return no('banned', `${op.author} is banned from this space`)
    if (this.roleOf(op.author) != null) return no('already_member', 'already a member')
    if (invite == null) return this.isPublic ? null : no('forbidden', 'this space is invite-only')
    const info = this.invites.get(idToString(invite))
    if (info == null || proof == null || !proofOk(info, op, this.spaceId)) return no('bad_invite', 'the invite secret does not match')
    if (info.revoked) return no('invite_revoked', 'this invite was revoked')
    if (info.expiresAt !== 0 && op.hlc.wall >= info.expiresAt) return no('invite_expired', `this invite expired at ${new Date(info.expiresAt).toISOString()}`)
    if (info.maxUses !== 0 && info.uses >= info.maxUses) return no('invite_exhausted', `this invite was used ${info.uses} time(s) of ${info.maxUses}`)
    return null
  }

  /**
   * One step of the fold: applies membership op `op` (order key `key`) if `check` allows it here.
   * @returns true if it took effect
   */
  step (op: Op, key: string): boolean {
    if (this.check(op) != null) return false
    const user = (): string => idToString((op.payload as { user: Uint8Array }).user)
    const remove = (u: string, reason: RemovalReason): void => {
      const wasMember = this.roleOf(u) != null
      this.roles.delete(u)
      const prev = this.removed.get(u)
      this.removed.set(u, wasMember || prev == null ? { reason, by: op.author, key } : { ...prev, reason })
    }
    switch (op.type) {
      case 'space.create': {
        const p = op.payload as Op<'space.create'>['payload']
        this.spaceId = op.id
        this.owner = op.author
        this.isPublic = p.public !== false
        this.legacy = p.public === undefined
        this.roles.set(op.author, 'owner')
        break
      }
      case 'invite.create': {
        const p = op.payload as Op<'invite.create'>['payload']
        this.invites.set(op.id, { inviteId: op.id, key: p.key, createdBy: op.author, createdAt: op.hlc.wall, maxUses: p.maxUses, expiresAt: p.expiresAt, uses: 0, revoked: false })
        break
      }
      case 'invite.revoke': {
        const id = idToString((op.payload as Op<'invite.revoke'>['payload']).invite)
        this.invites.set(id, { ...(this.invites.get(id) as InviteInfo), revoked: true })
        break
      }
      case 'member.join': {
        const invite = (op.payload as Op<'member.join'>['payload']).invite
        this.roles.set(op.author, 'member')
        this.removed.delete(op.author)
        if (invite != null) {
          const info = this.invites.get(idToString(invite)) as InviteInfo
          this.invites.set(info.inviteId, { ...info, uses: info.uses + 1 })
        }
        break
      }
      case 'member.leave': remove(op.author, 'leave'); break
      case 'member.kick': remove(user(), 'kick'); break
      case 'member.ban': remove(user(), 'ban'); this.banned.add(user()); break
      case 'member.unban': this.banned.delete(user()); break
      case 'role.set': this.roles.set(user(), (op.payload as Op<'role.set'>['payload']).role as AssignableRole); break
      default: return false
    }
    return true
  }

  /** Members with their roles, strongest role first, then by user id. */
  memberList (): Array<{ userId: string, role: Role }> {
    return [...this.roles].map(([userId, role]) => ({ userId, role }))
      .sort((a, b) => rank(b.role) - rank(a.role) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
  }
}
