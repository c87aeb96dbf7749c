/**
 * mDNS discovery, in a network namespace that has only `lo` (so nothing is multicast on the host's
 * real interfaces). Skipped where no namespace can be made.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('../helpers/mdns-pair.mjs', import.meta.url))
const setup = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo'
const canUnshare = spawnSync('unshare', ['-n', 'sh', '-c', setup], { encoding: 'utf8' }).status === 0

describe.skipIf(!canUnshare)('mDNS (own network namespace)', () => {
  it('two peers on the same link find and connect to each other without `connect`', () => {
    const r = spawnSync('unshare', ['-n', 'sh', '-c', `${setup} && exec "${process.execPath}" "${script}"`], { encoding: 'utf8', timeout: 40_000 })
    expect(r.stdout.trim()).toBe('connected')
    expect(r.status).toBe(0)
  })
})
