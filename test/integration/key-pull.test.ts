/**
 * Integration: a new member of a private space gets its key even when GossipSub misses the
 * `key.share` (net/key-pull.ts). Bob's GossipSub drops every key.share here, as a relay forwarding
 * it to the topic's mesh just before grafting him would; anti-entropy is off, so only the pulls
 * after the join can bring it.
 */
import { describe, expect, it } from 'vitest'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { decodeOp } from '../../src/core/op.js'
import { joinSpace } from '../../src/net/join-service.js'
import type { App } from '../../src/app.js'
import { appFixture } from '../helpers/apps.js'
import { until } from '../helpers/wait.js'

const { start } = appFixture()

/** Makes `app`'s GossipSub ignore every key.share it receives (marked seen: never offered again). */
function dropGossipedKeyShares (app: App): { dropped: number } {
  const seen = { dropped: 0 }
  const validators = app.node.services.pubsub.topicValidators
  const set = validators.set.bind(validators)
  validators.set = (topic, validator) => set(topic, async (peer, message) => {
    if (decodeOp(message.data).type === 'key.share') { seen.dropped++; return TopicValidatorResult.Ignore }
    return await validator(peer, message)
  })
  return seen
}

describe('the key after a join', () => {
  it('arrives through a pull when gossip missed the key.share', async () => {
    const alice = await start('alice', { antiEntropyMs: 3_600_000 })
    const bob = await start('bob', { antiEntropyMs: 3_600_000 })
    const { spaceId } = await actions.spaceCreate(alice, 'Quiet')
    await actions.send(alice, 'locked until the key comes')
    const { invite } = await memberActions.inviteCreate(alice, { maxUses: 1 })
    const drops = dropGossipedKeyShares(bob)
    await actions.connect(bob, alice.addresses()[0])
    await joinSpace(bob, invite)
    const texts = async (): Promise<string[]> => (await actions.messages(bob, undefined)).messages.map(m => m.text)
    await until(async () => (await texts()).includes('locked until the key comes'), [[bob.keys, ['key']], [bob.replica, ['op']]], 8000, 'bob reads the history')
    expect(bob.store.spaces.get(spaceId)?.members.roleOf(bob.account.userId)).toBe('member')
    expect(drops.dropped).toBeGreaterThan(0)
  })
})
