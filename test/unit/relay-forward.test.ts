/** A relay passing on fresh ops that came by sync (relay/forward.ts): what is forwarded, and the bounds. */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { forwardSynced } from '../../relay/forward.js'
import type { Op } from '../../src/core/op.js'

const op = (id: string, wall: number): Op => ({ id, hlc: { wall, counter: 0 } }) as unknown as Op

describe('forwarding ops that came by sync', () => {
  it('forwards fresh ops from peers, not our own nor old ones, at most ratePerS a second past the burst; stops', () => {
    let now = 1_000_000
    const replica = new EventEmitter()
    const sent: string[] = []
    const stop = forwardSynced(replica as never, async (o) => { sent.push(o.id) }, { windowMs: 60_000, ratePerS: 2, burst: 3 }, () => now)
    replica.emit('op', op('fresh', now - 1000), false)
    replica.emit('op', op('mine', now), true)
    replica.emit('op', op('old', now - 60_001), false)
    replica.emit('op', op('future', now + 5000), false)
    replica.emit('op', op('third', now), false)
    replica.emit('op', op('over', now), false) // the burst of 3 is spent
    expect(sent).toEqual(['fresh', 'future', 'third'])
    now += 1000 // two more tokens
    for (const id of ['a', 'b', 'c']) replica.emit('op', op(id, now), false)
    expect(sent).toEqual(['fresh', 'future', 'third', 'a', 'b'])
    stop()
    now += 10_000
    replica.emit('op', op('after stop', now), false)
    expect(sent).toHaveLength(5)
    expect(replica.listenerCount('op')).toBe(0)
  })
})
