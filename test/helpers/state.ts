/** Everything a user can see of a space, as one hash (tests compare replicas with it). */
import { createHash } from 'node:crypto'
import type { Replica } from '../../src/replica.js'

export async function stateHash (r: Replica, spaceId: string): Promise<string> {
  const s = r.store.spaces.get(spaceId)
  if (s == null) return 'none'
  const channels = s.channelList().map(c => [c.channelId, c.name])
  const messages = []
  for (const [id] of channels) {
    messages.push((await r.store.messages(spaceId, id, 100_000)).map(m => [m.id, s.edits.get(m.id)?.text ?? null, s.deleted.get(m.id)?.by ?? null, s.reactionsOf(m.id)]))
  }
  const profiles = [...s.profiles.entries()].sort()
  const m = s.members
  const membership = {
    owner: m.owner,
    members: m.memberList(),
    removed: [...m.removed.entries()].sort(),
    banned: [...m.banned].sort(),
    invites: [...m.invites.values()].map(i => [i.inviteId, i.uses, i.revoked]).sort()
  }
  return createHash('sha256').update(JSON.stringify({ info: s.info, channels, messages, profiles, membership, heads: [...s.heads].sort(), items: s.items })).digest('hex')
}
