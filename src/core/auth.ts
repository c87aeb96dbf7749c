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
 *
 * The state is kept per *entity*: one record per user (`UserEntry`) and one per invite
 * (`InviteInfo`); a membership op reads the entities of its author, its target and its invite, and
 * writes some of them. `checkMembership` here and `effectsOf` (membership.ts) are pure functions of
 * a `MembershipReader`, so the same rules run on a materialized state (`MembershipState`, a
 * sequential replay) and on the incremental fold of auth-fold.ts, which reads entity values at a
 * position of the total order.
 */
import { BoundedMap } from './bounded.js'
import { isUsableEncryptionKey, keyFingerprint } from './crypto.js'
import { compareBytes, idToString, toHex } from './ids.js'
import { verifyInviteProof } from './invite.js'
import { isSealed, SEALABLE_TYPES, type KeyBox, type Op, type OpType } from './op.js'

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
  merge: 'member',
  keys: 'member',
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
  merge: 'merging heads',
  keys: 'handling keys',
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
  /** Joins that used it (at most `maxUses` when limited). */
  uses: number
  revoked: boolean
}

/** A removal: who removed the user, why, and the order key of the op that did it. */
export interface Removal { reason: RemovalReason, by: string, key: string }

/**
 * Everything the fold knows about one user. `role`: null when not a member; `removal`: the last
 * removal since the user last joined; `since`: id of the op that gave the user its current role
 * (its own fold gives the user that role, so an op depending on it is authorized as this user);
 * `enc`: the user's X25519 public key in this space (private spaces), null if none was published.
 */
export interface UserEntry { role: Role | null, removal: Removal | null, banned: boolean, since: string | null, enc: Uint8Array | null }

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

/**
 * Op types that are nodes of the membership graph (auth-graph.ts): those that change the membership
 * state, and `heads.merge`, which changes nothing but collapses many concurrent membership heads
 * into one.
 */
export const MEMBERSHIP_TYPES: ReadonlySet<OpType> = new Set<OpType>([
  'space.create', 'invite.create', 'invite.revoke', 'member.join', 'member.leave', 'member.kick', 'member.ban', 'member.unban', 'role.set', 'heads.merge',
  'member.key'
])

/** What a permission check needs to know about messages (edit/delete/reply targets). */
export interface MessageLookup {
  /** Author of the `message.post` with this id, or undefined if it is not a message of the space. */
  messageAuthor: (id: string) => string | undefined
  /** True if `id` is a channel of the space (deleted or not). */
  isChannel: (id: string) => boolean
  /** True if `id` is a `key.rotate` of the space. */
  isRotate?: (id: string) => boolean
}

const NO_MESSAGES: MessageLookup = { messageAuthor: () => undefined, isChannel: () => false }

/**
 * Membership state as the rules read it: the space's constants and the entity records, as they
 * stand at some point of the fold.
 */
export interface MembershipReader {
  readonly spaceId: string
  readonly owner: string
  readonly isPublic: boolean
  /** A space created before membership existed: every signer not removed counts as a member. */
  readonly legacy: boolean
  /** A private space created sealed: content must be sealed, members publish X25519 keys. */
  readonly sealed: boolean
  user: (userId: string) => UserEntry | undefined
  invite: (inviteId: string) => InviteInfo | undefined
  /** Joins that used `inviteId` before this point of the fold. */
  usesBefore: (inviteId: string) => number
  /**
   * The members with an X25519 key, in user-id order: who a `key.rotate` here must box the epoch
   * secret to. Only materialized states answer it (rotates are not nodes of the incremental fold).
   */
  recipients?: () => Array<{ userId: string, enc: Uint8Array }>
}

/** The role of `userId` in `r`, or null if it is not a member. */
export function roleIn (r: MembershipReader, userId: string): Role | null {
  const u = r.user(userId)
  if (u?.role != null) return u.role
  return r.legacy && u?.removal == null && u?.banned !== true ? 'member' : null
}

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

const LOW_ORDER = 'enc is a low-order X25519 point: nothing sealed to it would stay secret'
const usable = new BoundedMap<string, boolean>(4096)

/**
 * True if `enc` is an X25519 key a box can be sealed to (crypto.ts `isUsableEncryptionKey`; a
 * function of the bytes alone, so replicas agree). A key that is not never becomes a member's key,
 * even from an op stored before this rule.
 */
export function usableKey (enc: Uint8Array): boolean {
  const k = toHex(enc)
  let ok = usable.get(k)
  if (ok == null) { ok = isUsableEncryptionKey(enc); usable.set(k, ok) }
  return ok
}

const no = (reason: string, message: string): Rejection => ({ reason, message })

/** The user a kick, ban, unban or role change names. */
export const userOf = (op: Op): string => idToString((op.payload as { user: Uint8Array }).user)

/**
 * The checks of a `member.join` other than the invite's uses: not banned, not already a member,
 * invite-only spaces need an invite that exists, whose proof verifies, not revoked, not expired.
 */
export function checkJoinExceptUses (r: MembershipReader, op: Op<'member.join'>): Rejection | null {
  const { invite, proof } = op.payload
  if (r.sealed && op.payload.enc == null) return no('bad_payload', 'a join of a private space must publish an X25519 key')
  if (op.payload.enc != null && !usableKey(op.payload.enc)) return no('bad_payload', LOW_ORDER)
  if (r.user(op.author)?.banned === true) return no('banned', `${op.author} is banned from this space`)
  if (roleIn(r, op.author) != null) return no('already_member', 'already a member')
  if (invite == null) return r.isPublic ? null : no('forbidden', 'this space is invite-only')
  const info = r.invite(idToString(invite))
  if (info == null || proof == null || !proofOk(info, op, r.spaceId)) return no('bad_invite', 'the invite secret does not match')
  if (info.revoked) return no('invite_revoked', 'this invite was revoked')
  if (info.expiresAt !== 0 && op.hlc.wall >= info.expiresAt) return no('invite_expired', `this invite expired at ${new Date(info.expiresAt).toISOString()}`)
  return null
}

/**
 * Checks whether `op` is allowed in the state `r`. Pure; never throws.
 * @returns null if allowed, else a rejection with a stable reason
 */
export function checkMembership (r: MembershipReader, op: Op, messages: MessageLookup = NO_MESSAGES): Rejection | null {
  if (op.type === 'space.create') return null
  const denied = checkPermission(r, op, messages)
  // A space created sealed never carries plaintext content (a buggy or hostile client cannot leak it).
  if (denied == null && r.sealed && SEALABLE_TYPES.has(op.type) && !isSealed(op.payload)) return no('bad_payload', `${op.type} of a private space must be sealed`)
  return denied
}

/**
 * Epoch keys belong to private spaces: in a public (or legacy open) space anyone may join, so a
 * rotate there would let anyone pick the key everyone else must send with.
 */
function onlyPrivate (r: MembershipReader): Rejection | null {
  return r.isPublic || r.legacy ? no('forbidden', 'epoch keys are for private (invite-only) spaces') : null
}

function checkPermission (r: MembershipReader, op: Op, messages: MessageLookup): Rejection | null {
  const author = op.author
  const role = roleIn(r, author)
  const needs = (action: keyof typeof PERMISSIONS): Rejection | null => rank(role) >= rank(PERMISSIONS[action])
    ? null
    : role == null
      ? no(r.user(author)?.banned === true ? 'banned' : 'not_member', 'not a member of the space')
      : no('forbidden', `${ACTION_TEXT[action]} needs the ${PERMISSIONS[action]} role or higher; ${role} is not enough`)
  const overTarget = (target: string, action: string): Rejection | null => {
    if (target === r.owner) return no('forbidden', `the owner cannot be the target of ${action}`)
    const targetRole = roleIn(r, target)
    return rank(role) > rank(targetRole) ? null : no('forbidden', `${action} needs a role above the target's (${targetRole ?? 'not a member'}); ${role ?? 'not a member'} is not enough`)
  }
  switch (op.type) {
    case 'message.post': {
      const p = op.payload as Op<'message.post'>['payload']
      if (p.reply != null && messages.messageAuthor(idToString(p.reply)) == null) return no('bad_payload', 'reply target is not a message')
      return needs('post')
    }
    case 'profile.set':
      return needs('setProfile')
    case 'heads.merge':
      return needs('merge')
    case 'member.key':
      if (!usableKey((op.payload as Op<'member.key'>['payload']).enc)) return no('bad_payload', LOW_ORDER)
      return needs('keys')
    case 'key.rotate': {
      const denied = needs('keys') ?? onlyPrivate(r)
      if (denied != null || r.recipients == null) return denied
      // its author knows the secret: it must be one of the members it is boxed to (so a removal of
      // the author makes the epoch unusable, as for any other holder)
      if (r.user(author)?.enc == null) return no('bad_recipients', 'the author of a rotate must have published a key in the space')
      // a history bundle names epochs of the space (their rotates are deps: of its causal past)
      for (const id of (op.payload as Op<'key.rotate'>['payload']).history?.rotates ?? []) {
        if (messages.isRotate?.(idToString(id)) !== true) return no('bad_payload', 'a history bundle names only key.rotate ops of the space')
      }
      const boxes = (op.payload as Op<'key.rotate'>['payload']).boxes
      const want = r.recipients()
      if (boxes.length !== want.length) return no('bad_recipients', `a rotate must box the secret to the ${want.length} member(s) with a key; it has ${boxes.length} box(es)`)
      for (let i = 0; i < want.length; i++) {
        if (compareBytes(boxes[i][0], keyFingerprint(want[i].enc)) !== 0) return no('bad_recipients', `box ${i} is not for the current key of member ${want[i].userId}`)
      }
      return null
    }
    case 'key.share':
    case 'dm.invite': {
      const p = op.payload as { to: Uint8Array, box: KeyBox, rotate?: Uint8Array }
      if (op.type === 'key.share') {
        const denied = onlyPrivate(r)
        if (denied != null) return denied
        if (messages.isRotate?.(idToString(p.rotate as Uint8Array)) !== true) return no('bad_payload', 'a share names a key.rotate of the space')
      }
      const to = r.user(idToString(p.to))
      if (roleIn(r, idToString(p.to)) == null || to?.enc == null) return no('bad_recipients', 'the recipient is not a member with a key')
      if (compareBytes(p.box[0], keyFingerprint(to.enc)) !== 0) return no('bad_recipients', 'the box is not for the recipient\'s current key')
      return needs('keys')
    }
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
      if (op.type === 'channel.delete' && channel === r.spaceId) return no('forbidden', 'the default channel cannot be deleted')
      return needs('manageChannels')
    }
    case 'invite.create':
      return needs('createInvite')
    case 'invite.revoke':
      if (r.invite(idToString((op.payload as Op<'invite.revoke'>['payload']).invite)) == null) return no('not_found', 'no such invite')
      return needs('revokeInvite')
    case 'member.join': {
      const j = op as Op<'member.join'>
      const other = checkJoinExceptUses(r, j)
      if (other != null || j.payload.invite == null) return other
      const info = r.invite(idToString(j.payload.invite)) as InviteInfo
      const uses = r.usesBefore(info.inviteId)
      if (info.maxUses !== 0 && uses >= info.maxUses) return no('invite_exhausted', `this invite was used ${uses} time(s) of ${info.maxUses}`)
      return null
    }
    case 'member.leave':
      if (author === r.owner) return no('forbidden', 'the owner cannot leave the space')
      return needs('leave')
    case 'member.kick': {
      const target = userOf(op)
      if (roleIn(r, target) == null) return no('not_found', `${target} is not a member`)
      return needs('kick') ?? overTarget(target, 'kick')
    }
    case 'member.ban':
      return needs('ban') ?? overTarget(userOf(op), 'ban')
    case 'member.unban': {
      const target = userOf(op)
      if (r.user(target)?.banned !== true) return no('not_found', `${target} is not banned`)
      return needs('unban')
    }
    case 'role.set': {
      const p = op.payload as Op<'role.set'>['payload']
      const target = idToString(p.user)
      if (roleIn(r, target) == null) return no('not_found', `${target} is not a member`)
      return needs('assignRoles') ?? overTarget(target, 'role') ??
        (rank(role) > rank(p.role) ? null : no('forbidden', `roles can only be assigned below one's own (${role ?? 'not a member'})`))
    }
  }
  return null
}
