/**
 * Keys of private spaces (docs/PROTOCOL.md "Private spaces"), on top of the replica:
 *
 * - this user's X25519 key pair, derived from the account seed (RFC 9180 DeriveKeyPair), published
 *   in every private space it creates or joins;
 * - opening what is boxed to us: a `key.rotate` box (and the history it seals), a `key.share`, a
 *   `dm.invite`; the secrets go to the key ring (sealed at rest);
 * - sealing what we author: content ops of a private space take the *current* epoch (the usable
 *   epoch with the highest (hlc, id), space-state.ts); with none usable, or one older than
 *   KEY_MAX_AGE_MS, we rotate first;
 * - handing the key to members who lack it: the inviter at once, any other key holder after a random
 *   back-off (SHARE_BACKOFF_MS), unless someone did meanwhile; in a `since-join` space a new member
 *   gets a new epoch (a rotate), not the old key.
 *
 * Nothing here decides validity: every peer (relays too) checks rotates and shares by the rules of
 * core/auth.ts; this module only makes and opens boxes.
 */
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { SpacewayError } from './errors.js'
import { boxTo, deriveEncryptionKey, hkdf, keyFingerprint, keyIdOf, openBox, SECRET_BYTES, systemRandom, type EncryptionKeyPair, type RandomSource } from './core/crypto.js'
import { sealPayload, type Bodies, type BodyKey, type Envelope, type SealableType } from './core/envelope.js'
import { BoundedMap } from './core/bounded.js'
import { concatBytes, idFromString, idToString, toHex } from './core/ids.js'
import { decodeToken, type InviteToken } from './core/invite.js'
import { isSealed, SEALABLE_TYPES, type KeyBox, type Op, type OpType, type Payloads } from './core/op.js'
import type { Epoch, SpaceState } from './core/space-state.js'
import type { Replica, Sealer } from './replica.js'
import type { KeyRing } from './store/keyring.js'
import { HistoryBundles } from './key-history.js'

const log = logger('spaceway:keys')

/** An epoch older than this is not used to send: the sender rotates first, ms (7 days). */
export const KEY_MAX_AGE_MS = 7 * 24 * 3600_000
/** How long sending waits for the key of a space just joined before it fails with KEY_PENDING, ms. */
export const KEY_WAIT_MS = 8000
/** Most shares made for one member in one go (the rest follow on the next occasion). */
export const MAX_SHARES_AT_ONCE = 16
/** HPKE boxes of a rotate made at once (WebCrypto's X25519 runs on the libuv pool). */
const ROTATE_BOX_BATCH = 32
/** A member who is not the inviter waits a random time in this range before sharing a key, ms. */
export const SHARE_BACKOFF_MS: [number, number] = [1500, 6000]
/**
 * A member whose box of the current key was forged re-keys after HEAL_MIN_MS plus its place in a
 * ranking of the rotate's recipients (by SHA-256 of rotate id and user id) times a step (the window
 * over the members, at least HEAL_STEP_MS plus the time to build a rotate), unless someone re-keyed
 * meanwhile: whatever the number of members whose boxes were forged, about one re-keys, not all of
 * them at once. ms.
 */
export const HEAL_MIN_MS = 500
export const HEAL_WINDOW_MS = 30_000
export const HEAL_STEP_MS = 250
/**
 * How long `self` waits before re-keying after a forged box in rotate `rotateId` (boxed to
 * `recipients`), ms: HEAL_MIN_MS plus its rank among the recipients by SHA-256(rotate id, user id),
 * spread over HEAL_WINDOW_MS. Every member computes the same ranking, so the first one heals and the
 * others see its rotate before their turn.
 */
export function healDelay (rotateId: string, self: string, recipients: readonly string[]): number {
  const rank = (u: string): string => createHash('sha256').update(`${rotateId}\n${u}`).digest('hex')
  const mine = rank(self)
  const place = recipients.filter(u => u !== self && rank(u) < mine).length
  const n = Math.max(1, recipients.length)
  // a step long enough for the one before to build its rotate (about 0.5 ms a box) and send it
  const step = Math.max(HEAL_WINDOW_MS / n, HEAL_STEP_MS + n * 0.5)
  return HEAL_MIN_MS + Math.floor(place * step)
}

/** After re-keying because of one member's forged box, its next forgeries are healed only by sending, ms. */
export const HEAL_QUIET_MS = 10 * 60_000

/** The space's epoch key is not held here yet (a member who holds it shares it when online). */
export class KeyPendingError extends SpacewayError {
  static name = 'KeyPendingError'
  constructor (message: string) { super('KEY_PENDING', message) }
}

const te = new TextEncoder()

/** HPKE `info` of the boxes of a rotate: the space and the epoch's key id. */
export function rotateBoxInfo (spaceId: string, keyId: Uint8Array): Uint8Array {
  return concatBytes('spaceway/key-box/v1\n', idFromString(spaceId), keyId)
}
/** HPKE `info` of a share of epoch `keyId` in a space. */
export function shareBoxInfo (spaceId: string, keyId: Uint8Array): Uint8Array {
  return concatBytes('spaceway/key-share/v1\n', idFromString(spaceId), keyId)
}
/** HPKE `info` of a direct-message invite sent in a space. */
export function dmBoxInfo (spaceId: string): Uint8Array {
  return concatBytes('spaceway/dm-invite/v1\n', idFromString(spaceId))
}
export interface KeyManagerEvents {
  /** A key of `spaceId` arrived here: sealed bodies of it may open now. */
  key: [spaceId: string]
  /** A direct-message invite for us arrived in `spaceId` from `from` (a user id). */
  'dm:invite': [{ spaceId: string, from: string, token: InviteToken }]
  /** A box or share to us in `spaceId` by `from` (a user id) did not hold the key it names (`op`). */
  'key:forged': [{ spaceId: string, from: string, op: string }]
}

export class KeyManager extends EventEmitter<KeyManagerEvents> {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly history: HistoryBundles
  /** Forgers (user ids) -> when we last re-keyed because of them, ms. */
  private readonly healedFor = new BoundedMap<string, number>(1000)
  /** Key ids (hex) whose box or share to us did not open: forged, so never waited for. */
  private readonly unopenable = new BoundedMap<string, true>(10_000)
  private stopped = false

  private constructor (
    private readonly replica: Replica,
    private readonly ring: KeyRing,
    /** This user's X25519 key pair. */
    readonly enc: EncryptionKeyPair,
    /** This user's id. */
    readonly self: string,
    private readonly random: RandomSource,
    private readonly now: () => number,
    private readonly autoShare: boolean
  ) {
    super()
    this.history = new HistoryBundles(replica.store, ring, async (spaceId, secret) => await this.keep(spaceId, secret, true), random)
  }

  /**
   * @param accountSeed the account's 32-byte Ed25519 seed (the X25519 key is derived from it)
   * @param options.random the source of secrets and nonces; `autoShare` false: never hand keys to
   *   members by itself (tests that drive every share)
   */
  static async create (replica: Replica, ring: KeyRing, accountSeed: Uint8Array, self: string, options: { random?: RandomSource, now?: () => number, autoShare?: boolean } = {}): Promise<KeyManager> {
    const enc = await deriveEncryptionKey(hkdf(accountSeed, 'spaceway/x25519/v1'))
    return new KeyManager(replica, ring, enc, self, options.random ?? systemRandom, options.now ?? Date.now, options.autoShare ?? true)
  }

  stop (): void {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  /** True if content authored in `state` is sealed: a space created private, or one upgraded by a rotate. */
  static seals (state: SpaceState): boolean {
    return state.info.sealed === true || (state.epochs.size > 0 && !state.members.isPublic && !state.members.legacy)
  }

  /**
   * Waits (at most `ms`) until the current epoch of private space `state` is held here; resolves at
   * once for a space that is not sealed, or whose key is here, or that has no usable epoch.
   */
  async waitForKey (state: SpaceState, ms: number): Promise<void> {
    const end = this.now() + ms
    while (this.keyPending(state) && this.now() < end) await this.keyArrives(state.info.spaceId, end - this.now())
  }

  /** True while private space `state` has a current epoch whose key is not held here. */
  keyPending (state: SpaceState): boolean {
    if (!KeyManager.seals(state)) return false
    const cur = state.currentEpoch()
    return cur != null && !this.ring.has(cur.keyId)
  }

  /** Resolves true when a key of `spaceId` arrives within `ms`, false otherwise. */
  private async keyArrives (spaceId: string, ms: number): Promise<boolean> {
    return await new Promise<boolean>(resolve => {
      const done = (ok: boolean): void => { clearTimeout(t); this.off('key', on); resolve(ok) }
      const on = (s: string): void => { if (s === spaceId) done(true) }
      const t = setTimeout(() => done(false), ms)
      t.unref()
      this.on('key', on)
    })
  }

  /** A fresh epoch secret. */
  newSecret (): Uint8Array {
    return this.random(SECRET_BYTES)
  }

  /**
   * Stores a secret of `spaceId` in the key ring; `received` (opened from a box sent to us) also
   * emits `key`, so what it seals is shown.
   */
  async keep (spaceId: string, secret: Uint8Array, received = false): Promise<boolean> {
    const { added } = await this.ring.add(spaceId, secret)
    if (added && received) this.emit('key', spaceId)
    return added
  }

  /**
   * The sealer for a content op of type `type` in `state` (or of a new space: `state` null, with
   * its first epoch `secret`): plaintext fields `plain` stay in the envelope, `body` is sealed.
   * @throws KeyPendingError if the current epoch of the space is not held here yet
   */
  async sealer<T extends SealableType> (state: SpaceState | null, type: T, plain: Record<string, unknown>, body: Bodies[T], secret?: Uint8Array, keyWaitMs = KEY_WAIT_MS): Promise<Sealer> {
    let key: Uint8Array, keyId: Uint8Array
    if (secret != null) [key, keyId] = [secret, keyIdOf(secret)]
    else {
      const use = await this.sendKey(state as SpaceState, keyWaitMs)
      ;[key, keyId] = [use.secret, Buffer.from(use.epoch.keyId, 'hex')]
    }
    let which: BodyKey
    if (type === 'message.post') which = { kind: 'channel', channel: plain.channel as Uint8Array }
    else if (type === 'message.edit' || type === 'message.react') {
      const channel = state?.messageChannels.get(idToString(plain.message as Uint8Array))
      if (channel == null) throw new SpacewayError('NOT_FOUND', 'that message is not held here')
      which = { kind: 'channel', channel: idFromString(channel) }
    } else if (type === 'profile.set') which = { kind: 'profile' }
    else which = { kind: 'meta' }
    return (env: Envelope) => sealPayload<T>(env, plain, body, key, keyId, which, this.random)
  }

  /**
   * The epoch to send with in `state`: the current one if held and younger than KEY_MAX_AGE_MS;
   * otherwise a new one (we rotate first).
   * @throws KeyPendingError when the current epoch is usable but not held here
   */
  async sendKey (state: SpaceState, waitMs = KEY_WAIT_MS): Promise<{ epoch: Epoch, secret: Uint8Array }> {
    const current = state.currentEpoch()
    if (current != null) {
      const secret = this.ring.get(current.keyId)
      const young = this.now() - parseInt(current.key.slice(0, 12), 16) < KEY_MAX_AGE_MS
      if (secret != null && young) return { epoch: current, secret }
      if (secret == null && young && !this.unopenable.has(current.keyId)) {
        // Just joined: the inviter (or another member) is handing us the key; wait a moment.
        if (waitMs > 0 && await this.keyArrives(state.info.spaceId, waitMs)) return await this.sendKey(state, 0)
        throw new KeyPendingError('the key of this private space has not reached you yet: a member who holds it sends it when online (try again in a moment)')
      }
    }
    const rotated = await this.rotate(state)
    return { epoch: state.epochs.get(rotated.op.id) as Epoch, secret: rotated.secret }
  }

  /**
   * Starts a new epoch in `state` (`first`: the secret the space's name was sealed with, for the
   * first epoch of a space we create): a fresh secret boxed to every member with a key (the members at
   * the rotate's causal point), and - unless the space is `since-join` - a history bundle
   * (key-history.ts), so one key reads the whole history. Publishes our own key first if the space has none
   * (a private space made before encryption). Retried if the member list changes while the boxes
   * are made.
   * @throws PermissionError if we may not rotate (not a member); SpacewayError if it keeps failing
   *   (BAD_KEY names a member whose key cannot be sealed to)
   */
  async rotate (state: SpaceState, first?: Uint8Array): Promise<{ op: Op<'key.rotate'>, secret: Uint8Array }> {
    const spaceId = state.info.spaceId
    if (state.members.roleOf(this.self) != null && state.members.user(this.self)?.enc == null) {
      await this.replica.author('member.key', spaceId, { enc: this.enc.publicKey })
    }
    for (let attempt = 0; ; attempt++) {
      const secret = attempt === 0 && first != null ? first : this.newSecret()
      const keyId = keyIdOf(secret)
      const recipients = state.members.recipients()
      const aad = idFromString(this.self)
      const boxes: KeyBox[] = []
      // WebCrypto runs the X25519 work off this thread: a batch at a time keeps the pool busy
      for (let i = 0; i < recipients.length; i += ROTATE_BOX_BATCH) {
        const batch = await Promise.all(recipients.slice(i, i + ROTATE_BOX_BATCH).map(async r => {
          try {
            const b = await boxTo(r.enc, secret, rotateBoxInfo(spaceId, keyId), aad)
            return [keyFingerprint(r.enc), b.enc, b.ct] satisfies KeyBox
          } catch (err) {
            throw new SpacewayError('BAD_KEY', `the key member ${r.userId} published cannot be sealed to (${(err as Error).message}); an admin can remove that member`)
          }
        }))
        boxes.push(...batch)
      }
      const history = state.info.history === 'since-join' ? null : await this.history.make(state, secret, keyId)
      // our own secret first, so what we seal right after opens
      await this.keep(spaceId, secret)
      try {
        const op = await this.replica.author('key.rotate', spaceId, { key: keyId, boxes, history })
        log('rotated the key of %s: %d box(es), %d earlier key(s) bundled', spaceId, boxes.length, history?.rotates.length ?? 0)
        return { op, secret }
      } catch (err) {
        if ((err as { reason?: string }).reason !== 'bad_recipients' || attempt >= 3) throw err
      }
    }
  }

  /**
   * Shares epoch `epoch` of `state` with member `userId` (a `key.share` boxed to its key). Returns
   * null (nothing sent) if we do not hold the epoch, the user has no key, or already holds it.
   */
  async share (state: SpaceState, epoch: Epoch, userId: string): Promise<Op<'key.share'> | null> {
    const secret = this.ring.get(epoch.keyId)
    const enc = state.members.user(userId)?.enc
    if (secret == null || enc == null || state.holds(epoch, userId) || state.members.roleOf(userId) == null) return null
    const keyId = Buffer.from(epoch.keyId, 'hex')
    const b = await boxTo(enc, secret, shareBoxInfo(state.info.spaceId, keyId), concatBytes(idFromString(this.self), idFromString(userId)))
    const op = await this.replica.author('key.share', state.info.spaceId, { rotate: idFromString(epoch.rotate), to: idFromString(userId), box: [keyFingerprint(enc), b.enc, b.ct] })
    log('shared key %s of %s with %s', epoch.keyId, state.info.spaceId, userId)
    return op
  }

  /**
   * Boxes a direct-message invite `token` (its text) to member `userId` of `state` and sends it there
   * (`dm.invite`).
   * @throws SpacewayError (NO_KEY) if the user has published no key in that space
   */
  async sendDmInvite (state: SpaceState, userId: string, token: string): Promise<Op<'dm.invite'>> {
    const enc = state.members.user(userId)?.enc
    if (enc == null) throw new SpacewayError('NO_KEY', 'that user has no encryption key in this space yet (their client publishes one when it next runs)')
    const b = await boxTo(enc, te.encode(token), dmBoxInfo(state.info.spaceId), concatBytes(idFromString(this.self), idFromString(userId)))
    return await this.replica.author('dm.invite', state.info.spaceId, { to: idFromString(userId), box: [keyFingerprint(enc), b.enc, b.ct] })
  }

  /**
   * Reacts to an op applied in `state`: opens boxes for us, hands keys to members who lack them.
   * Never throws (failures are logged).
   */
  async onOp (op: Op, state: SpaceState, local: boolean): Promise<void> {
    if (this.stopped) return
    try {
      switch (op.type) {
        case 'key.rotate': await this.openRotate(state, op as Op<'key.rotate'>); this.scheduleShares(state); break
        case 'key.share': await this.openShare(state, op as Op<'key.share'>); break
        case 'dm.invite': if (!local) await this.openDmInvite(state, op as Op<'dm.invite'>); break
        case 'member.join':
        case 'member.key': if (op.author !== this.self) this.scheduleShare(state, op.author, op); break
      }
    } catch (err) {
      log.error('handling %s %s failed: %s', op.type, op.id, (err as Error).message)
    }
  }

  /** Opens our box of a rotate (if we are a recipient), then the history it seals. */
  private async openRotate (state: SpaceState, op: Op<'key.rotate'>): Promise<void> {
    const epoch = state.epochs.get(op.id)
    if (epoch == null) return
    const held = this.ring.get(epoch.keyId)
    if (held != null) { await this.history.open(state, epoch.keyId, held); return }
    const i = epoch.recipients.indexOf(this.self)
    if (i < 0) return
    const [, enc, ct] = op.payload.boxes[i]
    let secret: Uint8Array | null = null
    try {
      secret = await openBox(this.enc, { enc, ct }, rotateBoxInfo(state.info.spaceId, op.payload.key), op.authorKey)
    } catch {}
    if (secret == null || toHex(keyIdOf(secret)) !== epoch.keyId) { this.boxFailed(state, epoch, op.author, 'rotate', op.id); return }
    await this.keep(state.info.spaceId, secret, true)
    await this.history.open(state, epoch.keyId, secret)
  }

  /**
   * A box (in a rotate) or a share to us that does not hold the key it names - forged by its author,
   * who is logged. We never wait for that key: when it is the current one, we re-key the space
   * (after a short random back-off, unless another member did meanwhile), so everyone can read
   * again; our next send does it at once.
   */
  private boxFailed (state: SpaceState, epoch: Epoch, from: string, kind: string, opId: string): void {
    log.error('the %s %s from %s does not open to the key it names; ignored (the space will be re-keyed if it is the current key)', kind, opId, from)
    this.unopenable.set(epoch.keyId, true)
    this.emit('key:forged', { spaceId: state.info.spaceId, from, op: opId })
    if (!this.autoShare) return
    const timer = `heal/${state.info.spaceId}`
    const quiet = this.healedFor.get(from)
    if (this.timers.has(timer) || (quiet != null && this.now() - quiet < HEAL_QUIET_MS)) return
    const t = setTimeout(() => {
      this.timers.delete(timer)
      const current = state.currentEpoch()
      if (this.stopped || current == null || this.ring.has(current.keyId) || !this.unopenable.has(current.keyId) || state.members.roleOf(this.self) == null) return
      this.healedFor.set(from, this.now())
      this.rotate(state).catch(err => { log('re-keying %s after a forged box failed: %s', state.info.spaceId, (err as Error).message) })
    }, healDelay(epoch.rotate, this.self, epoch.recipients))
    t.unref()
    this.timers.set(timer, t)
  }

  /** Opens a share addressed to us, then the history of its epoch. */
  private async openShare (state: SpaceState, op: Op<'key.share'>): Promise<void> {
    if (idToString(op.payload.to) !== this.self) return
    const epoch = state.epochs.get(idToString(op.payload.rotate))
    if (epoch == null || this.ring.has(epoch.keyId)) return
    const keyId = Buffer.from(epoch.keyId, 'hex')
    const [, enc, ct] = op.payload.box
    let secret: Uint8Array | null = null
    try {
      secret = await openBox(this.enc, { enc, ct }, shareBoxInfo(state.info.spaceId, keyId), Buffer.concat([op.authorKey, op.payload.to]))
    } catch {}
    if (secret == null || toHex(keyIdOf(secret)) !== epoch.keyId) { this.boxFailed(state, epoch, op.author, 'share', op.id); return }
    await this.keep(state.info.spaceId, secret, true)
    await this.history.open(state, epoch.keyId, secret)
  }

  private async openDmInvite (state: SpaceState, op: Op<'dm.invite'>): Promise<void> {
    if (idToString(op.payload.to) !== this.self) return
    const [, enc, ct] = op.payload.box
    const bytes = await openBox(this.enc, { enc, ct }, dmBoxInfo(state.info.spaceId), Buffer.concat([op.authorKey, op.payload.to]))
    const token = decodeToken(new TextDecoder().decode(bytes))
    this.emit('dm:invite', { spaceId: state.info.spaceId, from: op.author, token })
  }

  /**
   * The epochs we hold that member `userId` of `state` cannot open (not boxed or shared to it, nor in
   * a history bundle it can open), newest first: in a `full` space every one (it is to read the whole
   * history), in a `since-join` space only the current one.
   */
  private missingFor (state: SpaceState, userId: string): Epoch[] {
    if (state.members.roleOf(userId) == null || state.members.user(userId)?.enc == null) return []
    const current = state.currentEpoch()
    if (current == null) return []
    const readable = state.readableBy(userId)
    const wanted = state.info.history === 'since-join' ? [current] : [current, ...[...state.epochs.values()].filter(e => e !== current).sort((a, b) => a.key < b.key ? 1 : -1)]
    return wanted.filter(e => !readable.has(e.keyId) && this.ring.has(e.keyId))
  }

  /**
   * Hands member `userId` the epochs of `state` it lacks (see `missingFor`): the current one first;
   * each share also opens the history its epoch bundles, so the rest is checked again after each.
   * In a `since-join` space a member lacking the current key gets a new epoch instead (a rotate).
   * Returns the number of ops made.
   */
  async shareMissing (state: SpaceState, userId: string): Promise<number> {
    if (state.info.history === 'since-join') {
      if (this.missingFor(state, userId).length === 0) return 0
      await this.rotate(state)
      return 1
    }
    let made = 0
    for (let i = 0; i < MAX_SHARES_AT_ONCE; i++) {
      const next = this.missingFor(state, userId)[0]
      if (next == null) break
      if (await this.share(state, next, userId) == null) break
      made++
    }
    return made
  }

  /**
   * Hands the keys to `userId` who just joined (or published a key) in `state`: at once if we invited
   * them (`op` used our invite), else after a random back-off, unless someone did meanwhile.
   */
  private scheduleShare (state: SpaceState, userId: string, op?: Op): void {
    if (!this.autoShare || !KeyManager.seals(state) || state.members.roleOf(this.self) == null) return
    if (this.missingFor(state, userId).length === 0) return
    const inviteId = op?.type === 'member.join' ? (op as Op<'member.join'>).payload.invite : null
    const mine = inviteId != null && state.members.invites.get(idToString(inviteId))?.createdBy === this.self
    const key = `${state.info.spaceId}/${userId}`
    if (this.timers.has(key)) return
    const [lo, hi] = SHARE_BACKOFF_MS
    const delay = mine ? 0 : lo + Math.floor(this.random(2).reduce((a, b) => a * 256 + b, 0) / 65536 * (hi - lo))
    const t = setTimeout(() => {
      this.timers.delete(key)
      if (this.stopped) return
      this.shareMissing(state, userId).catch(err => { log('handing the keys of %s to %s failed: %s', state.info.spaceId, userId, (err as Error).message) })
    }, delay)
    t.unref()
    this.timers.set(key, t)
  }

  /** After a rotate (and at start): members of the space who lack keys we hold get them. */
  private scheduleShares (state: SpaceState): void {
    for (const m of state.members.recipients()) if (m.userId !== this.self) this.scheduleShare(state, m.userId)
  }

  /**
   * At start: in every private space we are a member of, publish our key if the space has none of
   * ours (a space made before encryption) - and, as its owner, upgrade such a space with its first
   * rotate -, open boxes for us not opened yet, and hand the current key to members who lack it.
   */
  async catchUp (spaces: Iterable<SpaceState>): Promise<void> {
    for (const state of spaces) {
      if (state.members.roleOf(this.self) == null) continue
      const privateSpace = !state.members.isPublic && !state.members.legacy
      try {
        if (privateSpace && state.members.user(this.self)?.enc == null) await this.replica.author('member.key', state.info.spaceId, { enc: this.enc.publicKey })
        // a private space made before encryption: its owner upgrades it (what is said from then on is sealed)
        if (privateSpace && state.epochs.size === 0 && state.members.owner === this.self) await this.rotate(state)
        const missing = [...state.epochs.values()].filter(e => !this.ring.has(e.keyId) && state.holds(e, this.self))
        if (missing.length > 0) {
          const ops = await this.replica.store.getOps(missing.flatMap(e => [e.rotate, ...(e.shares.has(this.self) ? [e.shares.get(this.self) as string] : [])]))
          for (const op of ops.values()) await this.onOp(op, state, false)
        }
        this.scheduleShares(state)
      } catch (err) {
        log.error('catching up with the keys of %s failed: %s', state.info.spaceId, (err as Error).message)
      }
    }
  }

  /** True if content ops of `type` in `state` are sealed when authored. */
  static sealsType (state: SpaceState | null, type: OpType): boolean {
    return state != null && SEALABLE_TYPES.has(type) && KeyManager.seals(state)
  }
}

/** The plaintext fields (ids) and the secret body of a sealable payload. */
export function splitPayload<T extends SealableType> (type: T, payload: Payloads[T]): { plain: Record<string, unknown>, body: Bodies[T] } {
  const p = payload as Record<string, unknown>
  if (isSealed(p)) throw new SpacewayError('INTERNAL', 'payload is sealed already')
  switch (type) {
    case 'message.post': {
      const { text, ...plain } = p
      return { plain, body: { text } as Bodies[T] }
    }
    case 'message.edit': return { plain: { message: p.message }, body: { text: p.text } as Bodies[T] }
    case 'message.react': return { plain: { message: p.message }, body: { emoji: p.emoji, on: p.on } as Bodies[T] }
    case 'channel.rename': return { plain: { channel: p.channel }, body: { name: p.name } as Bodies[T] }
    default: return { plain: {}, body: { name: p.name } as Bodies[T] }
  }
}
