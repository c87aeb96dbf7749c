/** In-process relays on 127.0.0.1 (fresh data dir each) for integration tests, stopped after each test. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { RelayServer, RELAY_DEFAULTS } from '../../relay/relay.js'

export function relayFixture (): { relay: (options?: Partial<typeof RELAY_DEFAULTS>) => Promise<RelayServer> } {
  const relays: RelayServer[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(relays.splice(0).map(async r => { await r.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })
  return {
    relay: async (options = {}) => {
      const dir = await mkdtemp(join(tmpdir(), 'spaceway-relay-'))
      dirs.push(dir)
      const r = await RelayServer.start({ ...RELAY_DEFAULTS, host: '127.0.0.1', port: 0, metricsPort: 0, dataDir: dir, trustLoopback: true, ...options })
      relays.push(r)
      return r
    }
  }
}
