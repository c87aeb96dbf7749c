/**
 * A client using the relays its fellow members use (docs/PROTOCOL.md "Relays"): it asks each
 * connected member of a shared space which relays it uses (relay-exchange.ts) - when identify shows
 * the peer speaks the protocol, after a membership op (someone joined: a new fellow member), and
 * every ASK_ALL_MS - keeps the answers (learned-relays.ts, bounded, persisted with an expiry) and
 * hands the best ranked to the relay client (relay-client.ts `add`), which uses one only once it
 * proves it is a relay. It answers the same question with the relays it uses itself: its
 * configured ones connected now; never ones learned from members (a learned relay does not spread
 * beyond one hop, so a hostile member's relay reaches only its own fellow members).
 *
 * Trust: a configured relay may hold every space's ciphertext; a relay learned from members only
 * the private spaces one of its reporters is a member of (that member gives it that ciphertext
 * already).
 *
 * Off with --relay-only (its dial filter allows only the configured relays).
 */
import { logger } from '@libp2p/logger'
import type { PeerId } from '@libp2p/interface'
import type { Op } from '../core/op.js'
import { MEMBERSHIP_TYPES } from '../core/auth.js'
import type { Replica } from '../replica.js'
import type { Sub } from '../store/op-store.js'
import { userIdOfPeer } from './access.js'
import { LearnedRelays, type LearnedRelayRecord } from './learned-relays.js'
import type { RelayClient } from './relay-client.js'
import { RELAYS_PROTOCOL, RelayExchange } from './relay-exchange.js'
import type { SpacewayNode } from './node.js'

const log = logger('spaceway:relay-learning')

/** Every connected member is asked again this often, ms. */
export const ASK_ALL_MS = 600_000
/** Questions to one peer repeated after a failure, at most. */
export const ASK_RETRIES = 3
/** Peers asked per round at most. */
export const ASK_PER_ROUND = 32
/** A round of questions starts this long after a membership op (a burst makes one round), ms. */
export const ASK_DELAY_MS = 500
/** How long a learned peer that is not a relay is refused, and one that could not be reached, ms. */
export const NOT_RELAY_FOR_MS = 24 * 3_600_000
export const UNREACHABLE_FOR_MS = 3_600_000

export interface LearningOptions {
  /** We run on loopback (tests, local clusters): only loopback relays are learned, else none. */
  loopback: boolean
  /** Learn relays from members (false with --relay-only). Answering goes on either way. */
  learn: boolean
  /** Where learned relays are kept (null: memory only). */
  db: Sub<LearnedRelayRecord> | null
}

export class RelayLearning {
  readonly learned: LearnedRelays
  readonly exchange: RelayExchange
  private readonly self: string
  private roundTimer?: NodeJS.Timeout
  private stopped = false
  private readonly onIdentify = (evt: CustomEvent<{ peerId: PeerId, protocols: string[] }>): void => {
    if (evt.detail.protocols.includes(RELAYS_PROTOCOL)) this.askPeer(evt.detail.peerId)
  }

  private readonly onOp = (op: Op): void => {
    if (MEMBERSHIP_TYPES.has(op.type)) this.scheduleRound(ASK_DELAY_MS)
  }

  private readonly onDropped = (peerId: string, notRelay: boolean): void => {
    void this.learned.reject(peerId, notRelay ? NOT_RELAY_FOR_MS : UNREACHABLE_FOR_MS).then(() => { this.apply() }, () => {})
  }

  constructor (private readonly node: SpacewayNode, private readonly replica: Replica, private readonly relays: RelayClient, private readonly options: LearningOptions) {
    this.self = node.peerId.toString()
    this.learned = new LearnedRelays(options.db, {
      loopback: options.loopback,
      exclude: (peerId) => peerId === this.self || relays.list().some(s => s.peerId === peerId && s.source !== 'member')
    })
    this.exchange = new RelayExchange(node, { ours: () => this.ours(), shares: (peer) => this.shares(peer) })
  }

  /** Loads learned relays (handing them to the relay client) and registers the protocol. Before the node starts. */
  async start (): Promise<void> {
    await this.exchange.start()
    if (!this.options.learn) return
    await this.learned.load()
    this.apply()
    this.node.addEventListener('peer:identify', this.onIdentify)
    this.replica.on('op', this.onOp)
    this.relays.on('dropped', this.onDropped)
    this.scheduleRound(ASK_ALL_MS)
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.roundTimer != null) clearTimeout(this.roundTimer)
    this.node.removeEventListener('peer:identify', this.onIdentify)
    this.replica.off('op', this.onOp)
    this.relays.off('dropped', this.onDropped)
    await this.exchange.stop()
  }

  /**
   * May relay `peer` hold the ciphertext of `spaceId` (module comment)? For the access rule
   * (access.ts `trusted`).
   */
  trusted (peer: string, spaceId: string): boolean {
    const source = this.relays.sourceOf(peer)
    if (source === 'configured') return true
    if (source !== 'member') return false // not one of our relays
    const members = this.replica.store.spaces.get(spaceId)?.members
    return members != null && this.learned.reportersOf(peer).some(u => members.roleOf(u) != null)
  }

  /** True if `peer` is a member of a space where we are a member. */
  private shares (peer: string): boolean {
    const user = userIdOfPeer(peer)
    if (user == null || peer === this.self) return false
    const me = userIdOfPeer(this.self)
    for (const state of this.replica.store.spaces.values()) {
      if (state.members.roleOf(user) != null && me != null && state.members.roleOf(me) != null) return true
    }
    return false
  }

  /** Our relays to tell: configured ones connected now, with /p2p/. */
  private ours (): string[] {
    return this.relays.list()
      .filter(s => s.connected && s.peerId != null && s.source === 'configured')
      .map(s => s.addr.includes('/p2p/') ? s.addr : `${s.addr}/p2p/${s.peerId as string}`)
  }

  private scheduleRound (delayMs: number): void {
    if (this.stopped || !this.options.learn) return
    if (this.roundTimer != null && delayMs >= ASK_ALL_MS) return
    if (this.roundTimer != null) clearTimeout(this.roundTimer)
    this.roundTimer = setTimeout(() => {
      this.roundTimer = undefined
      let n = 0
      for (const peer of this.node.getPeers()) {
        if (n >= ASK_PER_ROUND) break
        if (this.relays.isRelay(peer.toString()) || !this.exchange.mayAsk(peer.toString())) continue
        n++
        this.askPeer(peer)
      }
      this.scheduleRound(ASK_ALL_MS)
    }, delayMs)
    this.roundTimer.unref()
  }

  /**
   * Asks `peer` for its relays. A failed question is asked again ASK_RETRIES times (after 1, 2, 4 s):
   * the peer may not know yet that we are a member (our join op still on its way to it).
   */
  private askPeer (peer: PeerId, attempt = 0): void {
    const id = peer.toString()
    if (this.stopped || !this.options.learn || this.relays.isRelay(id)) return
    if (attempt === 0 ? !this.exchange.mayAsk(id) : !this.exchange.shares(id)) return
    const user = userIdOfPeer(id)
    if (user == null) return
    this.exchange.ask(peer).then(async (relays) => {
      const n = await this.learned.report(user, relays)
      log('%s uses %d relays (%d taken)', id, relays.length, n)
      this.apply()
    }, (err: Error) => {
      log('asking %s for its relays failed (attempt %d): %s', id, attempt + 1, err.message)
      if (attempt >= ASK_RETRIES || this.stopped || this.node.getConnections(peer).length === 0) return
      setTimeout(() => { this.askPeer(peer, attempt + 1) }, 1000 * 2 ** attempt).unref()
    })
  }

  /** Hands the chosen learned relays to the relay client and takes back those no longer chosen. */
  private apply (): void {
    if (this.stopped) return
    const chosen = this.learned.chosen()
    const ids = new Set(chosen.map(r => r.peerId))
    for (const s of this.relays.list()) if (s.source === 'member' && s.peerId != null && !ids.has(s.peerId)) this.relays.remove(s.peerId)
    for (const r of chosen) this.relays.add(r.addr, r.peerId, 'member')
  }
}
