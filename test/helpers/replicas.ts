/** Replicas on fresh LevelDB dirs, closed and removed after each test. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { Replica, type ReplicaOptions } from '../../src/replica.js'
import { OpStore } from '../../src/store/op-store.js'
import type { Signer } from '../../src/core/signing.js'

/**
 * Registers the tear-down and returns `replica(signer, dir?)`: a started replica on `dir` (which the
 * caller owns) or on a new temp dir; `closeAll()` closes every store opened so far.
 */
export function replicaFixture (prefix: string): { replica: (signer: Signer, dir?: string, options?: ReplicaOptions) => Promise<Replica>, tempDir: () => Promise<string>, closeAll: () => Promise<void> } {
  const dirs: string[] = []
  const stores: OpStore[] = []
  const closeAll = async (): Promise<void> => { await Promise.all(stores.splice(0).map(async s => await s.close())) }
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), prefix))
    dirs.push(d)
    return d
  }
  afterEach(async () => {
    await closeAll()
    await Promise.all(dirs.splice(0).map(async d => await rm(d, { recursive: true, force: true })))
  })
  return {
    tempDir,
    closeAll,
    replica: async (signer, dir, options) => {
      const store = await OpStore.open(dir ?? await tempDir())
      stores.push(store)
      const r = new Replica(store, signer, options)
      await r.init()
      return r
    }
  }
}
