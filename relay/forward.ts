/**
 * A relay passes on, over GossipSub, the fresh ops that reached it through sync rather than gossip:
 * a client's push after a write burst or a join (its publish may have found nobody subscribed yet),
 * or a peer relay's session (peering.ts). Without this, members connected to this relay would get
 * such ops only at their next anti-entropy (up to 30 s). Ops that arrived by gossip cost nothing
 * here: GossipSub already saw them, so publishing one is a no-op (`ignoreDuplicatePublishError`).
 *
 * Bounded: only ops whose HLC wall time is within `windowMs` of now (an old backlog, e.g. a relay's
 * catch-up after a restart, is not re-broadcast: members that lack it reconcile), at most `ratePerS`
 * a second (burst `burst`), to the topic's mesh only (not flooded to every subscriber).
 */
import { TokenBucket } from '../src/net/peer-guard.js'
import type { Op } from '../src/core/op.js'

export const FORWARD_DEFAULTS = {
  /** Ops older than this (HLC wall time vs our clock), ms, are not forwarded. */
  windowMs: 120_000,
  /** Ops forwarded per second at most... */
  ratePerS: 500,
  /** ...with this burst. */
  burst: 5000
}

/** The replica as forwarding uses it. */
export interface ForwardSource {
  on: (event: 'op', listener: (op: Op, local: boolean) => void) => unknown
  off: (event: 'op', listener: (op: Op, local: boolean) => void) => unknown
}

/**
 * Publishes every op applied by `replica` that was not authored here, is fresh and fits the rate,
 * through `publish` (which must not throw: SpaceTopics.publish logs and returns 0).
 * @returns a function that stops forwarding
 */
export function forwardSynced (replica: ForwardSource, publish: (op: Op) => Promise<unknown>, options: Partial<typeof FORWARD_DEFAULTS> = {}, now: () => number = Date.now): () => void {
  const o = { ...FORWARD_DEFAULTS, ...options }
  const bucket = new TokenBucket(o.ratePerS, o.burst, now())
  const onOp = (op: Op, local: boolean): void => {
    if (local || now() - op.hlc.wall > o.windowMs) return
    if (bucket.take(1, now()) !== 1) return
    void publish(op)
  }
  replica.on('op', onOp)
  return () => { replica.off('op', onOp) }
}
