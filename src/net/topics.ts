/**
 * GossipSub transport for ops: one topic per space, named by a hash of the space id
 * (`/spaceway/space/<hash>/2`, core/rendezvous.ts), so a topic name tells nobody which space it is. A topic
 * validator runs every received op through the replica before GossipSub forwards it, so invalid
 * ops (bad shape, forged signature) are rejected and never forwarded.
 */
import { logger } from '@libp2p/logger'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Op } from '../core/op.js'
import { topicOf } from '../core/rendezvous.js'
import type { Replica } from '../replica.js'
import type { SpacewayNode } from './node.js'

const log = logger('spaceway:gossip')

/** GossipSub topic of a space. */
export function spaceTopic (spaceId: string): string {
  return topicOf(spaceId)
}

export class SpaceTopics {
  /** Topic -> space id, for the spaces subscribed here. */
  private readonly spaces = new Map<string, string>()

  /**
   * @param admit optional per-peer admission (the relay's op-rate limit): false ignores the message
   *   (not forwarded, not stored) and counts it as `rate_limited`
   */
  constructor (private readonly node: SpacewayNode, private readonly replica: Replica, private readonly admit?: (peer: string) => boolean) {}

  /** Subscribes to a space's topic (idempotent), with its validator installed first. */
  subscribe (spaceId: string): void {
    const topic = spaceTopic(spaceId)
    this.spaces.set(topic, spaceId)
    const pubsub = this.node.services.pubsub
    if (!pubsub.topicValidators.has(topic)) {
      pubsub.topicValidators.set(topic, async (peer, message) => {
        if (this.admit != null && !this.admit(peer.toString())) {
          this.replica.countRejected('rate_limited', peer.toString())
          return TopicValidatorResult.Ignore
        }
        // forwarded once validated and applied in memory, not after our disk write: each hop of
        // the mesh would otherwise add a LevelDB write to the delivery time
        const [result] = await this.replica.ingest([message.data], peer.toString(), { staged: true })
        switch (result.status) {
          // invalid: not forwarded, and GossipSub lowers the sender's score (P4)
          case 'rejected': return TopicValidatorResult.Reject
          // from the future, over a budget, not admitted, unwanted: not forwarded, no penalty
          case 'ignored':
          case 'deferred': return TopicValidatorResult.Ignore
          default: return TopicValidatorResult.Accept
        }
      })
    }
    if (!pubsub.getTopics().includes(topic)) pubsub.subscribe(topic)
  }

  /** The space a topic of ours belongs to, or null for a topic we are not subscribed to. */
  spaceOf (topic: string): string | null {
    return this.spaces.get(topic) ?? null
  }

  /** Leaves a space's topic. */
  unsubscribe (spaceId: string): void {
    const topic = spaceTopic(spaceId)
    this.spaces.delete(topic)
    this.node.services.pubsub.unsubscribe(topic)
    this.node.services.pubsub.topicValidators.delete(topic)
  }

  /** Peers in the GossipSub mesh of a space's topic. */
  meshPeers (spaceId: string): string[] {
    // getMeshPeers is on the implementation class, not the exported interface.
    const impl = this.node.services.pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }
    return impl.getMeshPeers?.(spaceTopic(spaceId)) ?? []
  }

  /** Peers known to be subscribed to a space's topic. */
  subscribers (spaceId: string): string[] {
    return this.node.services.pubsub.getSubscribers(spaceTopic(spaceId)).map(p => p.toString())
  }

  /**
   * Publishes an op to its space's topic: to every subscriber (flood publish), or with `meshOnly`
   * to the topic's mesh only (a relay passing on ops it did not author). Never throws: with nobody
   * subscribed the op simply waits in the store for the next sync; other failures are logged.
   * @returns the number of peers it was sent to
   */
  async publish (op: Op, options: { meshOnly?: boolean } = {}): Promise<number> {
    try {
      // the publish options are on the implementation class, not the exported interface
      const pubsub = this.node.services.pubsub as unknown as { publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean }) => Promise<{ recipients: unknown[] }> }
      const result = await pubsub.publish(spaceTopic(op.spaceId), op.bytes, options.meshOnly === true ? { floodPublish: false } : undefined)
      return result.recipients.length
    } catch (err) {
      log('publish of op %s not sent now (%s); sync will deliver it', op.id, (err as Error).message)
      return 0
    }
  }
}
