/**
 * Where peers meet about a space without naming it. A space id is never on the wire outside ops
 * (and invite tokens): GossipSub topics, sync sessions and DHT keys use hashes of it, each with its
 * own label, so whoever watches the network or the DHT learns none of them (docs/PROTOCOL.md).
 */
import { idToString, sha256 } from './ids.js'

const te = new TextEncoder()

function labelled (label: string, spaceId: string): string {
  return idToString(sha256(te.encode(`spaceway/${label}/v1\n${spaceId}`)))
}

/** The GossipSub topic of a space: `/spaceway/space/<hash>/2`. */
export function topicOf (spaceId: string): string {
  return `/spaceway/space/${labelled('topic', spaceId)}/2`
}

/** The id a sync session names a space by (52 base32 characters, like an op id). */
export function syncIdOf (spaceId: string): string {
  return labelled('sync', spaceId)
}

/** The id of a public space's descriptor record in the DHT (`/spaceway/space/<it>`). */
export function descriptorIdOf (spaceId: string): string {
  return labelled('descriptor', spaceId)
}
