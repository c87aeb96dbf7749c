/**
 * Hostile members against the keys of private spaces (issue 10 review), without a network: secrets
 * read from history bundles, rotates in public spaces and by authors without a key, stuffed and
 * growing bundles, forged boxes, low-order keys, banned joiners.
 */
import { encode } from 'cborg'
import { describe, expect, it } from 'vitest'
import { boxTo, historyKey, keyFingerprint, keyIdOf, seal } from '../../src/core/crypto.js'
import { idFromString } from '../../src/core/ids.js'
import { inviteProof } from '../../src/core/invite.js'
import { createOp, type KeyBox, type Op } from '../../src/core/op.js'
import { Replica } from '../../src/replica.js'
import { rotateBoxInfo } from '../../src/key-manager.js'
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
  const op = createOp({ type: 'key.rotate', space: idFromString(s), hlc: { wall: Date.now(), counter: 0 }, deps: [...st.heads].map(idFromString), payload: { key: keyId, boxes, history: (options.history?.(secret, keyId) ?? null) as never } }, by.signer)
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
    const stuffed = await rotateBy(mallory, s, { history: (secret, keyId) => ({ ...seal(historyKey(secret), new Uint8Array([...new TextEncoder().encode('spaceway/history/v1\n'), ...idFromString(s), ...keyId]), encode(junk)), keys: junk.map(keyIdOf) }) })
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
    expect(last!.payload.history!.keys.length).toBe(1)
    expect(last!.bytes.length).toBeLessThan(1024)
    await add(alice, s, zoe, everyone)
    expect(await zoe.texts(s)).toEqual(texts)
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

  it('a low-order X25519 key is refused (nothing sealed to it would stay secret)', async () => {
    const [alice] = await Promise.all(['alice'].map(peer))
    const s = await alice.createSpace('S')
    const deps = [...alice.space(s).heads].map(idFromString)
    for (const enc of [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => i === 0 ? 1 : 0)]) {
      expect(() => createOp({ type: 'member.key', space: idFromString(s), hlc: { wall: Date.now(), counter: 0 }, deps, payload: { enc } }, alice.signer)).toThrow(/low-order/)
    }
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
