/** TCP ports free on 127.0.0.1 right now, and relay identities made ahead (for processes that must be told each other's address before they start). */
import { createServer, type Server } from 'node:net'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateAccount } from '../src/account.js'

/** A TCP port free on 127.0.0.1 right now (for a process that must be told its port before it starts). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

/**
 * `n` distinct TCP ports free on 127.0.0.1 right now (bound together, then released). Another
 * process could take one before the relay binds it; the relay would then fail at once (ListenError).
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

/** Creates the relay's key in `dataDir` (so its PeerId is known before it starts) and returns the PeerId. */
export async function relayIdentity (dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  return (await loadOrCreateAccount(join(dataDir, 'relay.key'))).peerId
}
