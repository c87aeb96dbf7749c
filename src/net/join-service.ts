/**
 * The join protocol: how `join <invite or space id>` finds a space and becomes a member of it.
 * The invite token's addresses are dialed; every connected peer, our relays and the space's
 * providers in the Kademlia DHT are asked for the space at once (net/dht-join.ts: the first that
 * hands it over wins); sync sessions prove the invite while we are not a member yet (members-only
 * sync); then the `member.join` every peer validates is authored and pushed to relays and members.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { App } from '../app.js'
import { BadArgumentError, NotFoundError, PermissionError, SpacewayError } from '../errors.js'
import { decodeToken, inviteProof, isToken, type InviteToken } from '../core/invite.js'
import { isIdString, idFromString } from '../core/ids.js'
import type { SpaceState } from '../core/space-state.js'
import { dialAddress } from './dial.js'
import { fetchSpace, type FetchDeps } from './dht-join.js'
import { pullUntilKey } from './key-pull.js'
import type { SyncProgress } from './sync-service.js'
import { spaceView } from '../views.js'
import { quoted, sanitizeText } from '../core/sanitize.js'
import { enterSpace, ensureProfile, memberSpaces } from '../actions.js'

const log = logger('spaceway:join')

/** How long `join` waits at most for relays still connecting (first attempt after start-up), ms. */
export const RELAY_WAIT_MS = 3000

/** How long `join` waits for the key of a private space it just joined before returning, ms. */
export const JOIN_KEY_WAIT_MS = 3000
/**
 * After a join, our sync sessions keep proving the invite this long, ms: until the members and relays
 * we push our `member.join` to hold it, they see us as a joiner, not a member (members-only sync).
 */
export const JOIN_AUTH_KEEP_MS = 60_000

/** Our sync sessions for `spaceId` prove `auth` until `release` (or, with `keep`, JOIN_AUTH_KEEP_MS later). */
function proveInvite (app: App, spaceId: string, token: InviteToken | null): (keep: boolean) => void {
  if (token == null) return () => {}
  const auth = { invite: idFromString(token.inviteId), proof: inviteProof(token.seed, spaceId, idFromString(app.account.userId)) }
  app.joinAuth.set(spaceId, auth)
  const drop = (): void => { if (app.joinAuth.get(spaceId) === auth) app.joinAuth.delete(spaceId) }
  return (keep) => {
    if (!keep) { drop(); return }
    const t = setTimeout(drop, JOIN_AUTH_KEEP_MS)
    t.unref()
  }
}

/** How long `join` waits for connected peers to hand over a space, ms. */
export const JOIN_TIMEOUT_MS = 10_000

/**
 * Becomes a member of a space held here: with the invite of `token`, or (public space) without.
 * Already a member: nothing to do.
 * @throws PermissionError (FORBIDDEN for an invite-only space without an invite, BANNED, INVITE_*)
 * @throws NotFoundError if the token's invite has not arrived
 */
async function becomeMember (app: App, state: SpaceState, token: InviteToken | null): Promise<void> {
  const self = app.account.userId
  if (state.members.roleOf(self) != null) return
  if (token == null) {
    if (!state.members.isPublic) throw new PermissionError('FORBIDDEN', 'forbidden', `"${spaceView(state).name}" is invite-only: ask a member for an invite (\`invite create\`) and \`join <invite>\``)
    await app.replica.author('member.join', state.info.spaceId, { invite: null, proof: null })
    return
  }
  if (!state.byId.has(token.inviteId)) throw new NotFoundError('the peers reached do not know this invite yet (it may be newer than what they hold); try again in a moment')
  const proof = inviteProof(token.seed, state.info.spaceId, idFromString(self))
  // a private space's members publish their X25519 key with the join (the space's keys are boxed to it)
  try {
    await app.replica.author('member.join', state.info.spaceId, { invite: idFromString(token.inviteId), proof, enc: app.keys.enc.publicKey })
  } catch (err) {
    if (err instanceof PermissionError && err.reason === 'banned') throw new PermissionError('BANNED', 'banned', `you are banned from "${spaceView(state).name}" (an admin can \`unban\` you)`)
    throw err
  }
}

/** How long `join` spends bringing a space it holds up to date before judging it, ms. */
export const JOIN_REFRESH_MS = 3000

/**
 * Reconciles `spaceId` with the token's peers (dialed), every connected peer and our relays, for at
 * most JOIN_REFRESH_MS; failures are ignored (what we hold is then what we judge).
 */
async function refreshSpace (app: App, spaceId: string, addrs: string[], signal: AbortSignal): Promise<void> {
  const limit = AbortSignal.any([signal, AbortSignal.timeout(JOIN_REFRESH_MS)])
  await Promise.allSettled(addrs.map(async a => await dialAddress(app.node, a, limit)))
  await Promise.allSettled(app.connectedPeers().map(async p => await app.sync.syncWith(p, spaceId, { signal: limit })))
}

/** The error to show when the holders of a private space keep it from us, for the reasons they gave. */
function refusalError (reasons: string[]): PermissionError | null {
  const order: Array<[string, string, string]> = [
    ['invite_revoked', 'INVITE_REVOKED', 'this invite was revoked'],
    ['invite_expired', 'INVITE_EXPIRED', 'this invite has expired'],
    ['invite_exhausted', 'INVITE_EXHAUSTED', 'this invite has no uses left'],
    ['banned', 'BANNED', 'you are banned from this space'],
    ['bad_invite', 'FORBIDDEN', 'the invite secret does not match'],
    ['invite_only', 'FORBIDDEN', 'this space is private (invite-only): ask a member for an invite (`invite create`) and `join <invite>`']
  ]
  for (const [reason, code, message] of order) if (reasons.includes(reason)) return new PermissionError(code, reason, message)
  return null
}

/**
 * What fetching a space (net/dht-join.ts) needs from the App. `arrived`: the space is here, and so
 * is the token's invite if there is one (a peer with an older copy does not end the search).
 */
function fetchDeps (app: App, spaceId: string, token: InviteToken | null): FetchDeps {
  return {
    dht: app.dht,
    node: app.node,
    syncWith: async (peer, id, options) => await app.sync.syncWith(peer, id, options),
    onAnswer: (id, listener) => {
      const onProgress = (p: SyncProgress): void => { if (p.spaceId === id && p.phase === 'started') listener(p.peerId) }
      app.sync.on('progress', onProgress)
      return () => { app.sync.off('progress', onProgress) }
    },
    onHandedOver: (id, listener) => {
      const onProgress = (p: SyncProgress): void => { if (p.spaceId === id && p.phase === 'done') listener(p.peerId) }
      app.sync.on('progress', onProgress)
      return () => { app.sync.off('progress', onProgress) }
    },
    arrived: () => {
      const state = app.store.spaces.get(spaceId)
      return state != null && (token == null || state.byId.has(token.inviteId))
    }
  }
}

/**
 * After a join: announce, set our name, hand our new ops to relays, to the peer the space came from
 * (`from`) and to the connected members (subscribed to its topic), in the background: a
 * `member.join` gossiped before those peers learnt of our subscription would otherwise wait for
 * anti-entropy. Other connected peers do not hold the space (they would ignore its ops): not them.
 */
async function enterJoined (app: App, state: SpaceState, from: string[]): Promise<{ spaceId: string, name: string }> {
  const spaceId = state.info.spaceId
  app.announcer.announce(spaceId)
  app.syncRelays(spaceId)
  const relays = app.relays.connectedRelays()
  for (const p of new Set([...from, ...app.topics.subscribers(spaceId)])) {
    if (relays.includes(p)) continue
    app.sync.syncWith(p, spaceId).catch(err => { log('push of %s to %s after join failed: %s', spaceId, p, (err as Error).message) })
  }
  // A private space: the inviter (or another member) hands us its key on seeing our join; give it
  // a moment, so the space's name and history read at once. Later is fine too (a `key` event).
  // ...which gossip may miss (net/key-pull.ts): while it has not come, pull the space again
  pullUntilKey({ ...app.reach, keys: app.keys }, state, app.stopSignal)
  await app.keys.waitForKey(state, JOIN_KEY_WAIT_MS)
  // our name and the switch to the space are independent writes: one wait, not two
  const [, entered] = await Promise.all([ensureProfile(app, spaceId), enterSpace(app, state)])
  return entered
}


/**
 * `join <invite or space id>`: joins a space by invite token or (public space) by id. Dials the
 * token's addresses; asks them, our relays and the connected members of the space at once, the
 * space's providers in the DHT as the lookup finds them and the other connected peers after it
 * (sync; net/dht-join.ts: the first that hands it over wins); waits up to JOIN_TIMEOUT_MS, then
 * authors the `member.join` every peer validates. Runs as a foreground operation (net/foreground.ts).
 * `options.accept`, if given, sees the fetched space before we join it and returns why not (we then
 * do not join, and stop following it), or null.
 * @throws BadArgumentError for text that is neither; NotFoundError if no peer holds it;
 *   PermissionError if the space's rules refuse the join; TimeoutError
 */
export async function joinSpace (app: App, arg: string | undefined, options: { accept?: (state: SpaceState) => string | null } = {}) {
  // someone waits for this: background network work (routing-table refresh, discovery dials) holds back
  return await app.foreground.run(async () => await join(app, arg, options))
}

async function join (app: App, arg: string | undefined, options: { accept?: (state: SpaceState) => string | null }) {
  const text = (arg ?? '').trim()
  if (text === '') throw new BadArgumentError('usage: join <invite or space id>')
  const token = isToken(text) ? decodeToken(text) : null
  const spaceId = token?.spaceId ?? text.toLowerCase()
  if (token == null && !isIdString(spaceId)) {
    const held = memberSpaces(app).filter(s => s.info.spaceId.startsWith(spaceId))
    if (held.length === 1) return await enterSpace(app, held[0])
    throw new BadArgumentError(`${quoted(text, 60)} is neither an invite (sw1z...) nor a space id (52 characters, a-z and 2-7)`)
  }
  const signal = AbortSignal.timeout(JOIN_TIMEOUT_MS)
  const t0 = performance.now()
  const step = (what: string): void => { log('join %s: %s at +%d ms', spaceId, what, Math.round(performance.now() - t0)) }
  const existing = app.store.spaces.get(spaceId)
  const accept = async (state: SpaceState): Promise<void> => {
    const refused = options.accept?.(state) ?? null
    if (refused == null) return
    if (state.members.roleOf(app.account.userId) == null) { await app.replica.unmarkJoining(state.info.spaceId); app.topics.unsubscribe(state.info.spaceId) }
    throw new PermissionError('FORBIDDEN', 'forbidden', refused)
  }
  // A private space is served only to members, and to a joiner proving it holds an invite.
  const release = proveInvite(app, spaceId, token)
  if (existing != null && (existing.members.roleOf(app.account.userId) != null || token == null || existing.byId.has(token.inviteId))) {
    try {
      // held but not ours: what we hold may be stale (an unban, a revoked invite): catch up first
      if (existing.members.roleOf(app.account.userId) == null) await refreshSpace(app, spaceId, token?.addrs ?? [], signal)
      await accept(existing)
      await becomeMember(app, existing, token)
    } catch (err) { release(false); throw err }
    release(true)
    return await enterJoined(app, existing, [])
  }
  // Want the space and start pulling it from every connected peer in the same tick, so a peer that
  // pushes it to us meanwhile finds our session running and leaves the transfer to it.
  void app.replica.want(spaceId)
  app.topics.subscribe(spaceId)
  // Right after start-up the relays may still be connecting: give them a moment (they hold spaces).
  await app.relays.settled(AbortSignal.any([signal, AbortSignal.timeout(RELAY_WAIT_MS)]))
  step('relays settled')
  const dialed = await Promise.allSettled((token?.addrs ?? []).map(async a => await dialAddress(app.node, a, signal)))
  // Asked at once: the invite's peers, our relays and the connected peers subscribed to the space's
  // topic (every holder subscribes to it); the other connected peers once the DHT has been asked.
  const likely = new Set([...dialed.flatMap(d => d.status === 'fulfilled' ? [d.value] : []), ...app.relays.connectedRelays(), ...app.topics.subscribers(spaceId)])
  const peers = [...likely]
  const others = app.connectedPeers().filter(p => !likely.has(p))
  // Those peers at once, and the space's providers in the DHT as the lookup finds them, each with a
  // short deadline to answer: the first that hands the space over wins (a silent peer costs
  // PROVIDER_ANSWER_MS, concurrently with the others, not the whole join).
  let fetchError: unknown
  const refusals = new Set<string>()
  const onRefused = (_peer: string, s: string, reason: string): void => { if (s === spaceId) refusals.add(reason) }
  app.sync.on('refused', onRefused)
  const info = (ids: string[]): Array<{ id: PeerId, multiaddrs: [] }> => ids.map(p => ({ id: peerIdFromString(p), multiaddrs: [] }))
  let from: string | null = null
  await fetchSpace(fetchDeps(app, spaceId, token), spaceId, { peers: info(peers), otherPeers: info(others), signal })
    .then(peer => { from = peer }, err => { fetchError = err })
    .finally(() => { app.sync.off('refused', onRefused) })
  step('fetched')
  const state = app.store.spaces.get(spaceId)
  if (state == null) {
    release(false)
    await app.replica.unmarkJoining(spaceId)
    app.topics.unsubscribe(spaceId)
    // holders of a private space said why they keep it from us: an invite that is used up...
    const refusal = refusalError([...refusals])
    if (refusal != null) throw refusal
    if (fetchError instanceof SpacewayError && fetchError.code === 'TIMEOUT') throw fetchError
    const why = fetchError instanceof Error ? sanitizeText(fetchError.message) : 'no member answered'
    throw new NotFoundError(`space ${spaceId} not found: ${why}`)
  }
  // A refused join keeps what was fetched and stays subscribed: an invite may let us in later, and
  // leaving the topic would put this peer under GossipSub's prune backoff (60 s) on a retry.
  try {
    await accept(state)
    await becomeMember(app, state, token)
  } catch (err) { release(false); throw err }
  step('member')
  // (kept a while: the pushes of our join to members and relays prove the invite too)
  release(true)
  const entered = await enterJoined(app, state, from != null ? [from] : [])
  step('entered')
  return entered
}
