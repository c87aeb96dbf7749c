/**
 * Hostile members against the keys of private spaces (issue 10 review), without a network: secrets
 * read from history bundles, rotates in public spaces and by authors without a key, stuffed and
 * growing bundles, forged boxes, low-order keys, banned joiners.
 */
import { encode } from 'cborg'
import { describe, expect, it } from 'vitest'
import { boxTo, historyKey, keyFingerprint, keyIdOf, seal } from '../../src/core/crypto.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import { inviteProof } from '../../src/core/invite.js'
import { createOp, type KeyBox, type Op } from '../../src/core/op.js'
import { Replica } from '../../src/replica.js'
import { HEAL_MIN_MS, HEAL_STEP_MS, HEAL_WINDOW_MS, healDelay, rotateBoxInfo } from '../../src/key-manager.js'
import { spaceAccess } from '../../src/net/access.js'
import { deliver, privatePeers, type PrivatePeer } from '../helpers/private-peers.js'

const { peer } = privatePeers()
const byTime = (...ps: PrivatePeer[]): Op[] => ps.flatMap(p => p.authored).sort((a, b) => a.hlc.wall - b.hlc.wall || a.hlc.counter - b.hlc.counter)
const post = (spaceId: string, text: string): { channel: Uint8Array, text: string } => ({ channel: idFromString(spaceId), text })
const rnd = (n: number): Uint8Array => new Uint8Array(n).map(() => Math.floor(Math.random() * 256))

/** `p` joins alice's space `s` by a new invite and is handed the current key. */
async function add (alice: PrivatePeer, s: string, p: PrivatePeer, everyone: PrivatePeer[]): Promise<void> {
  const inv = await alice.invite(s)
  await deliver(byTime(...everyone), p)
  await deliver([await p.join(s, inv)], alice)
  await alice.keys.share(alice.space(s), alice.space(s).currentEpoch()!, p.userId)
  await deliver(byTime(...everyone), ...everyone)
}

/** A rotate by `by` at its current view, with boxes made by `box` (honest by default). */
async function rotateBy (by: PrivatePeer, s: string, options: { box?: (r: { userId: string, enc: Uint8Array }, keyId: Uint8Array, secret: Uint8Array) => Promise<KeyBox>, history?: (secret: Uint8Array, keyId: Uint8Array) => Record<string, unknown> | null } = {}): Promise<{ op: Op<'key.rotate'>, secret: Uint8Array }> {
  const st = by.space(s)
  const secret = rnd(32)
  const keyId = keyIdOf(secret)
  const honest = async (r: { enc: Uint8Array }): Promise<KeyBox> => {
    const b = await boxTo(r.enc, secret, rotateBoxInfo(s, keyId), by.signer.publicKey)
    return [keyFingerprint(r.enc), b.enc, b.ct]
  }
  const boxes: KeyBox[] = []
  for (const r of st.members.recipients()) boxes.push(await (options.box ?? honest)(r, keyId, secret))
  const history = options.history?.(secret, keyId) ?? null
  const named = ((history?.rotates ?? []) as Uint8Array[]).map(r => idToString(r))
  const op = createOp({ type: 'key.rotate', space: idFromString(s), hlc: { wall: Date.now(), counter: 0 }, deps: [...new Set([...st.heads, ...named])].map(idFromString), payload: { key: keyId, boxes, history: history as never } }, by.signer)
  return { op, secret }
}

describe('private spaces: hostile members', () => {
  it('a secret a removed member read from a history bundle is never used again', async () => {
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(peer))
    const everyone = [alice, bob, carol, dave]
    const s = await alice.createSpace('S')
    const e0 = alice.space(s).currentEpoch()!
    await alice.keys.rotate(alice.space(s)) // E1 bundles E0; E0 was boxed to alice alone
    await add(alice, s, carol, everyone) // carol gets E1 and reads E0 from its bundle
    expect(carol.ring.has(e0.keyId)).toBe(true)
    await alice.replica.author('member.kick', s, { user: carol.signer.publicKey })
    await alice.keys.rotate(alice.space(s)) // E2, boxed to alice alone
    await add(alice, s, dave, everyone) // dave gets E2 shared
    await deliver([await dave.replica.author('member.leave', s, {})], alice) // E2 retires with dave's leaving
    // E0's direct holders (alice) are all members, but carol read it: it must not come back
    expect(alice.space(s).usableEpochs().map(e => e.keyId)).not.toContain(e0.keyId)
    const m = await alice.author('message.post', s, post(s, 'after carol and dave'))
    await deliver(byTime(alice), carol, dave)
    expect(carol.space(s).openBody(m) ?? null).toBeNull()
    expect(dave.space(s).openBody(m) ?? null).toBeNull()
  })

  it('epoch keys belong to private spaces: no rotate or share in a public space', async () => {
    const [alice, mallory] = await Promise.all(['alice', 'mallory'].map(peer))
    const create = await alice.replica.author('space.create', null, { name: 'Open', nonce: Replica.nonce(), public: true })
    const s = create.spaceId
    await deliver(byTime(alice), mallory)
    await deliver([await mallory.replica.author('member.join', s, { invite: null, proof: null }), await mallory.replica.author('member.key', s, { enc: mallory.keys.enc.publicKey })], alice)
    const { op } = await rotateBy(mallory, s)
    expect(await alice.replica.ingest([op.bytes])).toEqual([{ status: 'rejected', reason: 'forbidden' }])
    // messages of a public space stay plaintext
    const m = await alice.author('message.post', s, post(s, 'plain'))
    expect((m.payload as { text?: string }).text).toBe('plain')
  })

  it('a rotate by a member without a key is refused (a legacy private space upgraded by its owner)', async () => {
    const [alice, mallory] = await Promise.all(['alice', 'mallory'].map(peer))
    const create = await alice.replica.author('space.create', null, { name: 'Legacy', nonce: Replica.nonce(), public: false })
    const s = create.spaceId
    const inv = await alice.invite(s)
    await deliver(byTime(alice), mallory)
    // an old client: joins without publishing a key
    await deliver([await mallory.replica.author('member.join', s, { invite: idFromString(inv.op.id), proof: inviteProof(inv.seed, s, mallory.signer.publicKey) })], alice)
    await alice.keys.rotate(alice.space(s)) // publishes alice's key first
    await deliver(byTime(alice), mallory)
    const { op } = await rotateBy(mallory, s)
    expect(await alice.replica.ingest([op.bytes])).toEqual([{ status: 'rejected', reason: 'bad_recipients' }])
  })

  it('history bundles: stuffed secrets are dropped; bundles chain, so rotates stay small and a late joiner still reads everything', async () => {
    const [alice, bob, mallory, zoe] = await Promise.all(['alice', 'bob', 'mallory', 'zoe'].map(peer))
    const everyone = [alice, bob, mallory, zoe]
    const s = await alice.createSpace('S')
    await add(alice, s, bob, everyone)
    await add(alice, s, mallory, everyone)
    const junk = Array.from({ length: 500 }, () => rnd(32))
    const named = mallory.space(s).currentEpoch()!.rotate
    const stuffed = await rotateBy(mallory, s, { history: (secret, keyId) => ({ ...seal(historyKey(secret), new Uint8Array([...new TextEncoder().encode('spaceway/history/v1\n'), ...idFromString(s), ...keyId]), encode(junk)), rotates: [idFromString(named)] }) })
    mallory.authored.push(stuffed.op)
    await deliver([stuffed.op], alice, bob)
    expect(alice.ring.forSpace(s).length).toBe(2) // the first epoch and mallory's: no junk
    await alice.replica.author('member.kick', s, { user: mallory.signer.publicKey })
    const texts: string[] = []
    let last: Op<'key.rotate'> | null = null
    for (let i = 0; i < 30; i++) {
      last = (await alice.keys.rotate(alice.space(s))).op
      texts.push(`epoch ${i}`)
      await alice.author('message.post', s, post(s, `epoch ${i}`))
    }
    expect(last!.payload.history!.rotates.length).toBe(1)
    expect(last!.bytes.length).toBeLessThan(1024)
    await add(alice, s, zoe, everyone)
    expect(await zoe.texts(s)).toEqual(texts)
  })

  it('a removed member cannot name the epochs made after its removal (to retire them)', async () => {
    const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map(peer))
    const everyone = [alice, bob, mallory]
    const s = await alice.createSpace('S')
    await add(alice, s, bob, everyone)
    await add(alice, s, mallory, everyone)
    const before = [...mallory.space(s).heads]
    await alice.replica.author('member.kick', s, { user: mallory.signer.publicKey })
    const { op: current } = await alice.keys.rotate(alice.space(s))
    await deliver(byTime(alice), mallory) // mallory sees the new rotate's id on the wire
    const secret = rnd(32)
    const keyId = keyIdOf(secret)
    const boxes: KeyBox[] = []
    const st = mallory.space(s)
    for (const r of st.auth.stateAt(st.auth.headsKeyFor(before)).recipients()) boxes.push([keyFingerprint(r.enc), rnd(32), rnd(48)])
    const history = { ...seal(historyKey(secret), new Uint8Array(8), encode([])), rotates: [idFromString(current.id)] }
    const draft = (deps: string[]) => ({ type: 'key.rotate' as const, space: idFromString(s), hlc: { wall: Date.now() + 5, counter: 0 }, deps: deps.map(idFromString), payload: { key: keyId, boxes, history } })
    // leaving out its kick, it cannot name the new rotate (not a dep); naming it puts the kick in its history
    expect(() => createOp(draft(before), mallory.signer)).toThrow(/dep/)
    expect(await alice.replica.ingest([createOp(draft([...before, current.id]), mallory.signer).bytes])).toEqual([{ status: 'rejected', reason: 'not_member' }])
    expect(alice.space(s).currentEpoch()?.rotate).toBe(current.id)
  })

  it('a forged box does not freeze a space: the member it was for re-keys when it sends, and is told', async () => {
    const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map(peer))
    const everyone = [alice, bob, mallory]
    const s = await alice.createSpace('S')
    await add(alice, s, bob, everyone)
    await add(alice, s, mallory, everyone)
    const forged: string[] = []
    bob.keys.on('key:forged', ({ from }) => forged.push(from))
    const { op } = await rotateBy(mallory, s, { box: async (r) => [keyFingerprint(r.enc), rnd(32), rnd(48)] })
    await deliver([op], alice, bob)
    expect(bob.space(s).currentEpoch()?.rotate).toBe(op.id)
    expect(forged).toEqual([mallory.userId])
    const m = await bob.author('message.post', s, post(s, 'still here'))
    await deliver(byTime(bob), alice)
    expect(alice.space(s).openBody(m)?.text).toBe('still here')
  })

  it('members whose boxes were forged re-key one at a time: one ranking, the same everywhere', () => {
    const members = Array.from({ length: 1000 }, (_, i) => `user-${i}`)
    const delays = members.map(u => healDelay('some-rotate', u, members))
    // one member goes first; the next comes a whole step later (time for its rotate to arrive)
    const sorted = [...delays].sort((a, b) => a - b)
    expect(sorted[0]).toBe(HEAL_MIN_MS)
    // the next a whole step later: time for the first one's rotate (1,000 boxes) to be built and arrive
    expect(sorted[1] - sorted[0]).toBeGreaterThanOrEqual(HEAL_STEP_MS + 500)
    expect(new Set(delays).size).toBe(members.length)
    // a small space spreads over the window
    const few = members.slice(0, 10)
    expect(Math.max(...few.map(u => healDelay('some-rotate', u, few)))).toBe(HEAL_MIN_MS + 9 * HEAL_WINDOW_MS / 10)
    // another rotate ranks them differently (no member is always first)
    expect(members.map(u => healDelay('another-rotate', u, members))).not.toEqual(delays)
  })

  it('a low-order X25519 key is refused (nothing sealed to it would stay secret), by the rules, not the codec', async () => {
    const [alice, mallory] = await Promise.all(['alice', 'mallory'].map(peer))
    const s = await alice.createSpace('S')
    const inv = await alice.invite(s)
    const deps = [...alice.space(s).heads].map(idFromString)
    const hlc = { wall: Date.now() + 1, counter: 0 }
    for (const enc of [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 1 : 0)]) {
      // it encodes (an op stored before the rule must still load), and every peer refuses it
      const join = createOp({ type: 'member.join', space: idFromString(s), hlc, deps, payload: { invite: idFromString(inv.op.id), proof: inviteProof(inv.seed, s, mallory.signer.publicKey), enc } }, mallory.signer)
      expect(await alice.replica.ingest([join.bytes])).toEqual([{ status: 'rejected', reason: 'bad_payload' }])
      const key = createOp({ type: 'member.key', space: idFromString(s), hlc, deps, payload: { enc } }, alice.signer)
      expect(await alice.replica.ingest([key.bytes])).toEqual([{ status: 'rejected', reason: 'bad_payload' }])
    }
    expect(alice.space(s).members.recipients().map(r => r.userId)).toEqual([alice.userId])
  })

  it('a banned user gets no sync of a private space, even with a live invite', async () => {
    const [alice, mallory] = await Promise.all(['alice', 'mallory'].map(peer))
    const s = await alice.createSpace('S')
    const inv = await alice.invite(s)
    await deliver(byTime(alice), mallory)
    await deliver([await mallory.join(s, inv)], alice)
    await alice.replica.author('member.ban', s, { user: mallory.signer.publicKey })
    const access = spaceAccess(alice.replica, () => false)
    const { peerIdFromPublicKey } = await import('@libp2p/peer-id')
    const { publicKeyFromRaw } = await import('@libp2p/crypto/keys')
    const peerId = peerIdFromPublicKey(publicKeyFromRaw(mallory.signer.publicKey)).toString()
    expect(access(peerId, s, { invite: idFromString(inv.op.id), proof: inviteProof(inv.seed, s, mallory.signer.publicKey) })).toBe('banned')
  })
})
