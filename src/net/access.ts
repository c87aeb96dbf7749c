/**
 * Members-only sync (docs/PROTOCOL.md "Private spaces"): who may reconcile a space with us. A public
 * (or legacy open) space: anyone. A private space: a peer whose identity is a current member (a
 * PeerId and a user id are the same Ed25519 key), a peer we trust with our ciphertext (our relays),
 * or a joiner that proves it holds a live invite of the space (the proof a `member.join` carries, made
 * for its own key: nobody else can replay it). Removed users get nothing from sync, not even
 * ciphertext, unless they prove a live invite again (a kicked user may rejoin; a banned one may not).
 * Live gossip is another matter: GossipSub forwards to whoever subscribes to the space's topic, and
 * a removed member knows its name - it gets ciphertext it cannot open (docs/PROTOCOL.md "Limits").
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { BoundedMap } from '../core/bounded.js'
import { idFromString, idToString } from '../core/ids.js'
import { verifyInviteProof } from '../core/invite.js'
import type { Replica } from '../replica.js'
import type { SpaceAccess } from './sync-service.js'

/** The user id of a peer (its Ed25519 public key), or null for a peer with another kind of key. */
export function userIdOfPeer (peer: string): string | null {
  try {
    const raw = peerIdFromString(peer).publicKey?.raw
    return raw?.length === 32 ? idToString(raw) : null
  } catch {
    return null
  }
}

/**
 * The access rule of a replica's spaces. `trusted(peer, spaceId)`: peers that may hold the space's
 * ciphertext (a client's relays, net/relay-learning.ts; a relay's configured peer relays). Returns null when `peer` may have the
 * space, else why not: `invite_only` (no credential), `banned`, `bad_invite`, `invite_revoked`,
 * `invite_expired`, `invite_exhausted` (the joiner is told, so `join` can say so).
 */
export function spaceAccess (replica: Replica, trusted: (peer: string, spaceId: string) => boolean, now: () => number = Date.now): SpaceAccess {
  const users = new BoundedMap<string, string | null>(10_000)
  const userOf = (peer: string): string | null => {
    if (!users.has(peer)) users.set(peer, userIdOfPeer(peer))
    return users.get(peer) ?? null
  }
  return (peer, spaceId, auth) => {
    const state = replica.store.spaces.get(spaceId)
    if (state == null) return null // being joined: we hold nothing to give away
    const m = state.members
    if (m.isPublic || m.legacy || trusted(peer, spaceId)) return null
    const user = userOf(peer)
    if (user == null) return 'invite_only'
    if (m.roleOf(user) != null) return null
    if (m.user(user)?.banned === true) return 'banned'
    if (auth == null) return 'invite_only'
    const info = m.invites.get(idToString(auth.invite))
    if (info == null || !verifyInviteProof(info.key, spaceId, idFromString(user), auth.proof)) return 'bad_invite'
    if (info.revoked) return 'invite_revoked'
    if (info.expiresAt !== 0 && now() >= info.expiresAt) return 'invite_expired'
    if (info.maxUses !== 0 && info.uses >= info.maxUses) return 'invite_exhausted'
    return null
  }
}
