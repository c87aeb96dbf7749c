/**
 * What membership ops write (`effectsOf`, `touchesOf`) and the membership state held in maps
 * (`MembershipState`): the other half of the rules of auth.ts, which decides whether an op is
 * allowed at all.
 */
import { checkMembership, rank, roleIn, usableKey, userOf, type InviteInfo, type MembershipReader, type MessageLookup, type Rejection, type Removal, type RemovalReason, type Role, type UserEntry } from './auth.js'
import { idToString } from './ids.js'
import { isSealed, type AssignableRole, type Op } from './op.js'

/** The space's constants, set by `space.create`. */
export interface SpaceConstants { spaceId: string, owner: string, isPublic: boolean, legacy: boolean, sealed: boolean }

/**
 * One write of an effective membership op: a user's or an invite's new record, the space's
 * constants, or one use of an invite (counted by the fold itself).
 */
export type Effect =
  | { kind: 'user', id: string, value: UserEntry }
  | { kind: 'invite', id: string, value: InviteInfo }
  | { kind: 'space', value: SpaceConstants }
  | { kind: 'use', id: string }

/**
 * What membership op `op` (order key `key`), allowed in state `r`, writes. Pure. Callers check
 * `checkMembership` first.
 */
export function effectsOf (r: MembershipReader, op: Op, key: string): Effect[] {
  const userEntry = (id: string): UserEntry => r.user(id) ?? { role: null, removal: null, banned: false, since: null, enc: null }
  const remove = (u: string, reason: RemovalReason, ban: boolean): Effect => {
    const prev = userEntry(u)
    const wasMember = roleIn(r, u) != null
    const removal = wasMember || prev.removal == null ? { reason, by: op.author, key } : { ...prev.removal, reason }
    return { kind: 'user', id: u, value: { role: null, removal, banned: prev.banned || ban, since: null, enc: prev.enc } }
  }
  switch (op.type) {
    case 'space.create': {
      const p = op.payload as Record<string, unknown>
      const sealed = isSealed(p)
      return [
        { kind: 'space', value: { spaceId: op.id, owner: op.author, isPublic: p.public !== false, legacy: p.public === undefined, sealed } },
        { kind: 'user', id: op.author, value: { role: 'owner', removal: null, banned: false, since: op.id, enc: sealed && usableKey((p as unknown as { enc: Uint8Array }).enc) ? (p as unknown as { enc: Uint8Array }).enc : null } }
      ]
    }
    case 'invite.create': {
      const p = op.payload as Op<'invite.create'>['payload']
      return [{ kind: 'invite', id: op.id, value: { inviteId: op.id, key: p.key, createdBy: op.author, createdAt: op.hlc.wall, maxUses: p.maxUses, expiresAt: p.expiresAt, uses: 0, revoked: false } }]
    }
    case 'invite.revoke': {
      const id = idToString((op.payload as Op<'invite.revoke'>['payload']).invite)
      return [{ kind: 'invite', id, value: { ...(r.invite(id) as InviteInfo), revoked: true } }]
    }
    case 'member.join': {
      const { invite, enc } = op.payload as Op<'member.join'>['payload']
      const out: Effect[] = [{ kind: 'user', id: op.author, value: { role: 'member', removal: null, banned: userEntry(op.author).banned, since: op.id, enc: enc != null && usableKey(enc) ? enc : null } }]
      if (invite != null) out.push({ kind: 'use', id: idToString(invite) })
      return out
    }
    case 'member.leave': return [remove(op.author, 'leave', false)]
    case 'member.key': {
      const enc = (op.payload as Op<'member.key'>['payload']).enc
      return usableKey(enc) ? [{ kind: 'user', id: op.author, value: { ...userEntry(op.author), enc } }] : []
    }
    case 'member.kick': return [remove(userOf(op), 'kick', false)]
    case 'member.ban': return [remove(userOf(op), 'ban', true)]
    case 'member.unban': return [{ kind: 'user', id: userOf(op), value: { ...userEntry(userOf(op)), banned: false } }]
    case 'role.set': {
      const role = (op.payload as Op<'role.set'>['payload']).role as AssignableRole
      return [{ kind: 'user', id: userOf(op), value: { ...userEntry(userOf(op)), role, since: op.id } }]
    }
    default: return []
  }
}

/**
 * The entities (`u:<user id>`, `i:<invite id>`) a membership op reads or writes in the fold, so the
 * incremental fold knows which later ops to re-check when one of them changes.
 */
export function touchesOf (op: Op): string[] {
  switch (op.type) {
    case 'space.create':
    case 'member.leave':
    case 'member.key':
      return [`u:${op.author}`]
    case 'invite.create':
      return [`u:${op.author}`, `i:${op.id}`]
    case 'invite.revoke':
      return [`u:${op.author}`, `i:${idToString((op.payload as Op<'invite.revoke'>['payload']).invite)}`]
    case 'member.join': {
      const invite = (op.payload as Op<'member.join'>['payload']).invite
      return invite == null ? [`u:${op.author}`] : [`u:${op.author}`, `i:${idToString(invite)}`]
    }
    case 'member.kick':
    case 'member.ban':
    case 'member.unban':
    case 'role.set': {
      const target = userOf(op)
      return target === op.author ? [`u:${op.author}`] : [`u:${op.author}`, `u:${target}`]
    }
    default:
      return []
  }
}

/**
 * A membership state held in maps: the current state of a space (kept by the incremental fold), or
 * the state at some other point (a sequential replay, `step`). `roles`, `removed`, `banned` and
 * `invites` are read-only views for callers; `step` and `setUser`/`setInvite` change them.
 */
export class MembershipState implements MembershipReader {
  spaceId = ''
  owner = ''
  isPublic = false
  legacy = false
  sealed = false
  private readonly users = new Map<string, UserEntry>()
  /** Members and their roles. */
  readonly roles = new Map<string, Role>()
  /** Users removed since they last joined, with the removal. */
  readonly removed = new Map<string, Removal>()
  readonly banned = new Set<string>()
  readonly invites = new Map<string, InviteInfo>()

  /** A copy that can be stepped without changing this one. */
  clone (): MembershipState {
    const c = new MembershipState()
    c.setSpace(this)
    for (const [k, v] of this.users) c.setUser(k, v)
    for (const [k, v] of this.invites) c.invites.set(k, v)
    return c
  }

  user (userId: string): UserEntry | undefined {
    return this.users.get(userId)
  }

  invite (inviteId: string): InviteInfo | undefined {
    return this.invites.get(inviteId)
  }

  usesBefore (inviteId: string): number {
    return this.invites.get(inviteId)?.uses ?? 0
  }

  /** Sets the space's constants. */
  setSpace (s: SpaceConstants): void {
    this.spaceId = s.spaceId
    this.owner = s.owner
    this.isPublic = s.isPublic
    this.legacy = s.legacy
    this.sealed = s.sealed
  }

  /** Members with an X25519 key, in user-id order (the recipients a `key.rotate` here must have). */
  recipients (): Array<{ userId: string, enc: Uint8Array }> {
    const out: Array<{ userId: string, enc: Uint8Array }> = []
    for (const [userId, u] of this.users) if (u.enc != null && roleIn(this, userId) != null) out.push({ userId, enc: u.enc })
    return out.sort((a, b) => a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)
  }

  /** Sets (or with undefined, forgets) a user's record, keeping `roles`, `removed` and `banned` in step. */
  setUser (userId: string, entry: UserEntry | undefined): void {
    if (entry == null) this.users.delete(userId)
    else this.users.set(userId, entry)
    if (entry?.role != null) this.roles.set(userId, entry.role)
    else this.roles.delete(userId)
    if (entry?.removal != null) this.removed.set(userId, entry.removal)
    else this.removed.delete(userId)
    if (entry?.banned === true) this.banned.add(userId)
    else this.banned.delete(userId)
  }

  /** Sets (or forgets) an invite's record. */
  setInvite (inviteId: string, info: InviteInfo | undefined): void {
    if (info == null) this.invites.delete(inviteId)
    else this.invites.set(inviteId, info)
  }

  /** The role of `userId`, or null if it is not a member. */
  roleOf (userId: string): Role | null {
    return roleIn(this, userId)
  }

  /**
   * Checks whether `op` is allowed in this state. Pure; never throws.
   * @returns null if allowed, else a rejection with a stable reason
   */
  check (op: Op, messages?: MessageLookup): Rejection | null {
    return checkMembership(this, op, messages)
  }

  /**
   * One step of a sequential fold: applies membership op `op` (order key `key`) if `check` allows
   * it here.
   * @returns true if it took effect
   */
  step (op: Op, key: string): boolean {
    if (this.check(op) != null) return false
    for (const e of effectsOf(this, op, key)) {
      switch (e.kind) {
        case 'space': this.setSpace(e.value); break
        case 'user': this.setUser(e.id, e.value); break
        case 'invite': this.setInvite(e.id, e.value); break
        case 'use': {
          const info = this.invites.get(e.id) as InviteInfo
          this.invites.set(e.id, { ...info, uses: info.uses + 1 })
        }
      }
    }
    return true
  }

  /** Members with their roles, strongest role first, then by user id. */
  memberList (): Array<{ userId: string, role: Role }> {
    return [...this.roles].map(([userId, role]) => ({ userId, role }))
      .sort((a, b) => rank(b.role) - rank(a.role) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
  }
}
