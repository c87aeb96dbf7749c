/**
 * For relays that list each other (`--peer-relay <multiaddr>/p2p/<PeerId>`): every relay's address
 * must be known before any starts, so the test makes each relay's key (its PeerId) in its data dir
 * and reserves its port first.
 */
import { createServer, type Server } from 'node:net'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateAccount } from '../../src/account.js'

/**
 * `n` distinct free TCP ports on 127.0.0.1: each is bound (port 0) and released. Another process
 * could take one before the relay binds it: acceptable on a test machine, and the relay would then
 * fail at once (ListenError) rather than hang.
 */
export async function freePorts (n: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer()
      servers.push(s)
      await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, '127.0.0.1', () => resolve()) })
    }
    return servers.map(s => (s.address() as { port: number }).port)
  } finally {
    await Promise.all(servers.map(async s => { await new Promise<void>(resolve => s.close(() => resolve())) }))
  }
}

/** Creates (or loads) the relay key in `dataDir` and returns the relay's PeerId. */
export async function relayIdentity (dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  return (await loadOrCreateAccount(join(dataDir, 'relay.key'))).peerId
}

/** Addresses of a full mesh of `n` relays in `dirs` (one data dir each): each relay's multiaddr and port. */
export async function relayMesh (dirs: string[]): Promise<Array<{ dir: string, port: number, peerId: string, addr: string }>> {
  const ports = await freePorts(dirs.length)
  return await Promise.all(dirs.map(async (dir, i) => {
    const peerId = await relayIdentity(dir)
    return { dir, port: ports[i], peerId, addr: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerId}` }
  }))
}
