/**
 * How far our own messages got: `pending` (nobody was subscribed when it was published), `sent` to
 * N peers (the GossipSub publish's recipients, or a completed sync with a peer that started after
 * it was written), `stored` (a completed sync with one of our relays that started after it was
 * written). After we write, our relays are asked to reconcile the space within RELAY_ACK_DELAY_MS,
 * so `stored` shows without waiting for anti-entropy.
 */
import type { EventEmitter } from 'node:events'
import type { App } from '../app.js'
import type { Op } from '../core/op.js'
import type { SyncStats } from '../sync/session.js'
import type { ClientEvents, DeliveryStatus } from './space-client.js'

/** Own messages whose delivery is remembered (the newest ones). */
export const DELIVERY_REMEMBERED = 1000
/** After we write a message, our relays are asked to reconcile the space this soon (so `stored` shows; at most one such sync per space in this time: a burst costs the relay one session), ms. */
export const RELAY_ACK_DELAY_MS = 2000
/** Publish results kept for messages whose `send` has not returned yet (the publish can finish first). */
const EARLY_PUBLISHES = 64

interface Delivery { spaceId: string, at: number, status: DeliveryStatus }

export class Deliveries {
  private readonly deliveries = new Map<string, Delivery>()
  private readonly published = new Map<string, number>()
  private readonly relayAck = new Map<string, NodeJS.Timeout>()

  /** @param events where `delivery` events go */
  constructor (private readonly app: App, private readonly events: EventEmitter<ClientEvents>) {}

  /** The delivery of our message `messageId` of this session, or null. */
  get (messageId: string): DeliveryStatus | null {
    return this.deliveries.get(messageId)?.status ?? null
  }

  /** Our message `messageId` of space `spaceId` was just written: remember it; its status now. */
  wrote (spaceId: string, messageId: string): DeliveryStatus {
    const recipients = this.published.get(messageId) ?? 0
    this.published.delete(messageId)
    const status = this.deliveries.get(messageId)?.status ?? (recipients > 0 ? { state: 'sent', peers: recipients } : { state: 'pending', peers: 0 })
    this.deliveries.set(messageId, { spaceId, at: Date.now(), status })
    while (this.deliveries.size > DELIVERY_REMEMBERED) this.deliveries.delete(this.deliveries.keys().next().value as string)
    if (!this.relayAck.has(spaceId) && this.app.relays.connectedRelays().length > 0) {
      const t = setTimeout(() => { this.relayAck.delete(spaceId); this.app.syncRelays(spaceId) }, RELAY_ACK_DELAY_MS)
      t.unref()
      this.relayAck.set(spaceId, t)
    }
    return status
  }

  /** An op of ours was published to `recipients` peers. */
  onPublished (op: Op, recipients: number): void {
    if (op.type !== 'message.post') return
    const d = this.deliveries.get(op.id)
    if (d == null) {
      this.published.set(op.id, recipients)
      if (this.published.size > EARLY_PUBLISHES) this.published.delete(this.published.keys().next().value as string)
      return
    }
    if (d.status.state === 'stored') return
    this.set(op.id, recipients > 0 ? { state: 'sent', peers: recipients } : { state: 'pending', peers: 0 })
  }

  /** A sync session with `peer` ended: what was written before it began is there now. */
  onSynced (peer: string, stats: SyncStats): void {
    if (stats.outcome !== 'done') return
    const relay = this.app.relays.isRelay(peer)
    for (const [id, d] of this.deliveries) {
      if (d.spaceId !== stats.spaceId || d.at >= stats.startedAt || d.status.state === 'stored') continue
      if (relay) this.set(id, { state: 'stored', peers: d.status.peers })
      else if (d.status.state === 'pending') this.set(id, { state: 'sent', peers: 1 })
    }
  }

  private set (messageId: string, status: DeliveryStatus): void {
    const d = this.deliveries.get(messageId)
    if (d == null) return
    d.status = status
    this.events.emit('delivery', { spaceId: d.spaceId, messageId, status })
  }

  /** Stops the pending relay syncs. */
  stop (): void {
    for (const t of this.relayAck.values()) clearTimeout(t)
    this.relayAck.clear()
  }
}
