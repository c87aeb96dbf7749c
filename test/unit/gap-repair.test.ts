import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GAP_SYNC_DELAY_MS, repairGaps } from '../../src/net/gap-repair.js'
import type { Replica } from '../../src/replica.js'
import type { SyncService } from '../../src/net/sync-service.js'

afterEach(() => { vi.useRealTimers() })

describe('gap repair (client and relay)', () => {
  it('syncs the space with the sender of an op whose deps are missing, once, only if the gap is still open', async () => {
    vi.useFakeTimers()
    const replica = Object.assign(new EventEmitter(), { gap: true, hasGap () { return this.gap } })
    const calls: string[] = []
    let finish!: () => void
    const sync = { syncWith: async (peer: string, space: string) => { calls.push(`${peer}/${space}`); await new Promise<void>(resolve => { finish = resolve }) } }
    const stop = repairGaps(replica as unknown as Replica, sync as unknown as SyncService)
    replica.emit('gap', 'S', 'peerA')
    replica.emit('gap', 'S', 'peerA')
    replica.emit('gap', 'S', undefined) // authored here: nothing to ask
    await vi.advanceTimersByTimeAsync(GAP_SYNC_DELAY_MS - 1)
    expect(calls).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toEqual(['peerA/S'])
    replica.emit('gap', 'S', 'peerA') // while that session runs: no second one
    await vi.advanceTimersByTimeAsync(GAP_SYNC_DELAY_MS)
    expect(calls).toEqual(['peerA/S'])
    finish()
    await vi.advanceTimersByTimeAsync(0)
    replica.gap = false // closed meanwhile (the dep arrived by gossip): no session
    replica.emit('gap', 'S', 'peerB')
    await vi.advanceTimersByTimeAsync(GAP_SYNC_DELAY_MS)
    expect(calls).toEqual(['peerA/S'])
    stop()
    replica.gap = true
    replica.emit('gap', 'S', 'peerC')
    await vi.advanceTimersByTimeAsync(GAP_SYNC_DELAY_MS)
    expect(calls).toEqual(['peerA/S'])
  })
})
