/**
 * Relays in the DHT (docs/PROTOCOL.md "Relays"): every relay provides the well-known CID
 * `relays-cid` = CIDv1(raw, sha256("spaceway/relays/v1")) in our Kademlia DHT (the same kind of
 * provider record as a space's, records.ts), and looks up its providers to find other relays to back
 * up and be backed up by. A provider record proves nothing: anyone can announce itself as a relay.
 * What is found is only used once the peer proves it is one (net/relay-check.ts) and under bounds.
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'

/** The string hashed into the relays CID; a future incompatible relay protocol takes `v2`. */
export const RELAYS_CID_NAME = 'spaceway/relays/v1'

/** CID whose providers are the relays (docs/PROTOCOL.md "Relays"). */
export async function relaysCid (): Promise<CID> {
  const digest = await sha256Hasher.digest(new TextEncoder().encode(RELAYS_CID_NAME))
  return CID.createV1(raw.code, digest)
}
