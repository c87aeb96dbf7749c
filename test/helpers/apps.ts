/** In-process App instances on 127.0.0.1 for integration tests, cleaned up after each test. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { App, type AppOptions } from '../../src/app.js'

export function appFixture (): { start: (name: string, options?: Partial<AppOptions>) => Promise<App>, keyFile: (name: string) => Promise<string> } {
  const apps: App[] = []
  const dirs: string[] = []
  let dir: string | undefined
  afterEach(async () => {
    await Promise.all(apps.splice(0).map(async a => await a.stop()))
    await Promise.all(dirs.splice(0).map(async d => await rm(d, { recursive: true, force: true })))
    dir = undefined
  })
  const keyFile = async (name: string): Promise<string> => {
    if (dir == null) { dir = await mkdtemp(join(tmpdir(), 'spaceway-int-')); dirs.push(dir) }
    return join(dir, `${name}.key`)
  }
  return {
    keyFile,
    start: async (name, options = {}) => {
      const app = await App.start({ account: await keyFile(name), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true, ...options })
      apps.push(app)
      return app
    }
  }
}
