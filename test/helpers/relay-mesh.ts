/**
 * For relays that list each other (`--peer-relay <multiaddr>/p2p/<PeerId>`): every relay's address
 * must be known before any starts, so the test makes each relay's key (its PeerId) in its data dir
 * and reserves its port first.
 */
import { freePorts, relayIdentity } from '../../bench/ports.js'

export { freePorts, relayIdentity }

/** Addresses of a full mesh of `n` relays in `dirs` (one data dir each): each relay's multiaddr and port. */
export async function relayMesh (dirs: string[]): Promise<Array<{ dir: string, port: number, peerId: string, addr: string }>> {
  const ports = await freePorts(dirs.length)
  return await Promise.all(dirs.map(async (dir, i) => {
    const peerId = await relayIdentity(dir)
    return { dir, port: ports[i], peerId, addr: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerId}` }
  }))
}
