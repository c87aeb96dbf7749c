/**
 * The key rules of private spaces (issue 10), without a network: who a rotate must box to, what a
 * re-signed body gives, history for `full` and `since-join` joiners, removals, keys at rest, and
 * the upgrade of a private space made before encryption.
 */
import { decode } from 'cborg'
import { describe, expect, it } from 'vitest'
import { boxTo, keyFingerprint, keyIdOf } from '../../src/core/crypto.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import { createOp, type KeyBox, type Op } from '../../src/core/op.js'
import { rotateBoxInfo } from '../../src/key-manager.js'
import { KeyRing } from '../../src/store/keyring.js'
import { deliver, privatePeers, type PrivatePeer } from '../helpers/private-peers.js'

const { peer } = privatePeers()
/** Everything these peers authored, oldest first. */
const byTime = (...ps: PrivatePeer[]): Op[] => ps.flatMap(p => p.authored).sort((a, b) => a.hlc.wall - b.hlc.wall || a.hlc.counter - b.hlc.counter)
const post = (spaceId: string, text: string): { channel: Uint8Array, text: string } => ({ channel: idFromString(spaceId), text })

/** alice's private space with bob (and more) in it, every key handed out. */
async function spaceWith (alice: PrivatePeer, others: PrivatePeer[], history: 'full' | 'since-join' = 'full'): Promise<string> {
  const s = await alice.createSpace('S', history)
  const all = (): Op[] => byTime(alice, ...others)
  for (const p of others) {
    const inv = await alice.invite(s)
    await deliver(all(), p)
    const j = await p.join(s, inv)
    await deliver([j], alice)
    const cur = alice.space(s).currentEpoch()!
    if (history === 'full') await alice.keys.share(alice.space(s), cur, p.userId)
    else await alice.keys.rotate(alice.space(s))
  }
  await deliver(all(), alice, ...others)
  return s
}

describe('private spaces: keys', () => {
  it('members read each other; a rotate must box to exactly the members, each at its current key', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(peer))
    const s = await spaceWith(alice, [bob, carol])
    const m = await bob.author('message.post', s, post(s, 'hello from bob'))
    await deliver([m], alice, carol)
    expect(await alice.texts(s)).toEqual(['hello from bob'])
    expect(await carol.texts(s)).toEqual(['hello from bob'])
    expect(alice.space(s).name).toBe('S')

    // hand-made rotates: one box short; a box to a key carol does not have; a rotate by an outsider
    const state = alice.space(s)
    const members = state.members.recipients()
    const secret = new Uint8Array(32).fill(9)
    const keyId = keyIdOf(secret)
    const boxes: KeyBox[] = []
    for (const r of members) {
      const b = await boxTo(r.enc, secret, rotateBoxInfo(s, keyId), alice.signer.publicKey)
      boxes.push([keyFingerprint(r.enc), b.enc, b.ct])
    }
    const deps = [...state.heads].map(idFromString)
    const rotate = (boxList: KeyBox[], by = alice): Op => createOp({ type: 'key.rotate', space: idFromString(s), hlc: { wall: Date.now(), counter: 0 }, deps, payload: { key: keyId, boxes: boxList, history: null } }, by.signer)
    const wrong = [...boxes]
    wrong[1] = [new Uint8Array(8), wrong[1][1], wrong[1][2]]
    const outsider = await peer('mallory')
    for (const [op, reason] of [[rotate(boxes.slice(1)), 'bad_recipients'], [rotate(wrong), 'bad_recipients'], [rotate(boxes, outsider), 'not_member']] as const) {
      expect(await bob.replica.ingest([op.bytes])).toEqual([{ status: 'rejected', reason }])
    }
    expect((await bob.replica.ingest([rotate(boxes).bytes]))[0].status).toBe('applied')
  })

  it('a body re-signed by another member opens for nobody', async () => {
    const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map(peer))
    const s = await spaceWith(alice, [bob, mallory])
    const original = await alice.author('message.post', s, post(s, 'mine'))
    await deliver([original], bob, mallory)
    // mallory puts alice's sealed body in an op of her own: a valid op, but its AAD names mallory
    const raw = decode(original.bytes) as Record<string, unknown>
    const stolen = createOp({ type: 'message.post', space: idFromString(s), hlc: { wall: Date.now() + 1, counter: 0 }, deps: [idFromString(original.id)], payload: raw.payload as never }, mallory.signer)
    expect((await bob.replica.ingest([stolen.bytes]))[0].status).toBe('applied')
    expect(bob.space(s).openBody(stolen as Op<'message.post'>)).toBeNull()
    expect(await bob.texts(s)).toEqual(['mine', null])
  })

  it('full history: a late joiner reads everything; since-join: nothing from before it joined', async () => {
    for (const mode of ['full', 'since-join'] as const) {
      const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(peer))
      const s = await spaceWith(alice, [bob], mode)
      const early = await alice.author('message.post', s, post(s, 'before carol'))
      // an old epoch: rotate, then post again
      await alice.keys.rotate(alice.space(s))
      const second = await alice.author('message.post', s, post(s, 'second epoch'))
      await deliver(alice.authored, bob)
      const inv = await alice.invite(s)
      await deliver(byTime(alice, bob), carol)
      await deliver([await carol.join(s, inv)], alice, bob)
      if (mode === 'full') await alice.keys.share(alice.space(s), alice.space(s).currentEpoch()!, carol.userId)
      else await alice.keys.rotate(alice.space(s))
      const after = await alice.author('message.post', s, post(s, 'after carol'))
      await deliver(alice.authored, carol, bob)
      expect([early, second, after].every(Boolean)).toBe(true)
      expect(await carol.texts(s)).toEqual(mode === 'full' ? ['before carol', 'second epoch', 'after carol'] : [null, null, 'after carol'])
      expect(await bob.texts(s)).toEqual(['before carol', 'second epoch', 'after carol'])
    }
  })

  it('a removed member cannot read what is said after its removal, even holding every key it ever had', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(peer))
    const s = await spaceWith(alice, [bob, carol])
    await alice.replica.author('member.kick', s, { user: carol.signer.publicKey })
    await alice.keys.rotate(alice.space(s))
    const after = await alice.author('message.post', s, post(s, 'carol is gone'))
    await deliver(alice.authored, bob, carol) // carol gets the ciphertext anyway (she kept listening)
    expect(await bob.texts(s)).toEqual(['carol is gone'])
    expect(await carol.texts(s)).toEqual([null])
    expect(carol.space(s).openBody(after)).toBeUndefined()
    // the usable key is the new one; the one carol held is not usable any more
    const epochs = alice.space(s).usableEpochs()
    expect(epochs.every(e => !alice.space(s).holds(e, carol.userId))).toBe(true)
  })

  it('two admins kick two members concurrently in a partition; after the heal the removed read nothing new, everyone else reads everything', async () => {
    const [alice, eve, bob, carol, frank] = await Promise.all(['alice', 'eve', 'bob', 'carol', 'frank'].map(peer))
    const everyone = [alice, eve, bob, carol, frank]
    const s = await spaceWith(alice, [eve, bob, carol, frank])
    await alice.replica.author('role.set', s, { user: eve.signer.publicKey, role: 'admin' })
    await deliver(byTime(...everyone), ...everyone)
    // partition: {alice, bob, frank} | {eve, carol}; alice kicks bob, eve kicks carol, each re-keys
    await alice.replica.author('member.kick', s, { user: bob.signer.publicKey })
    await alice.keys.rotate(alice.space(s))
    const inA = await alice.author('message.post', s, post(s, 'side A'))
    await eve.replica.author('member.kick', s, { user: carol.signer.publicKey })
    await eve.keys.rotate(eve.space(s))
    const inB = await eve.author('message.post', s, post(s, 'side B'))
    await deliver(alice.authored, bob, frank)
    await deliver(eve.authored, carol)
    // heal: everyone gets everything; the keys of both sides went to a removed member, so neither is
    // usable, and the next sender re-keys
    await deliver(byTime(...everyone), ...everyone)
    expect(alice.space(s).members.memberList().map(m => m.userId).sort()).toEqual([alice, eve, frank].map(p => p.userId).sort())
    expect(alice.space(s).currentEpoch()).toBeNull()
    const after1 = await frank.author('message.post', s, post(s, 'after the heal'))
    await deliver(byTime(...everyone), ...everyone)
    const after2 = await eve.author('message.post', s, post(s, 'after the heal, too'))
    await deliver(byTime(...everyone), ...everyone)
    for (const p of [alice, eve, frank]) for (const q of [alice, eve, frank]) if (p !== q) await p.keys.shareMissing(p.space(s), q.userId)
    await deliver(byTime(...everyone), ...everyone)
    for (const p of [alice, eve, frank]) {
      for (const m of [inA, inB, after1, after2]) expect(p.space(s).openBody(m)?.text, p.name).toBeTruthy()
    }
    for (const p of [bob, carol]) for (const m of [after1, after2]) expect(p.space(s).openBody(m) ?? null, p.name).toBeNull()
    // bob (kicked on side A) never had side A's new key; carol likewise on side B
    expect(bob.space(s).openBody(inA) ?? null).toBeNull()
    expect(carol.space(s).openBody(inB) ?? null).toBeNull()
  })

  it('keys at rest are sealed under the account key: the data dir alone opens nothing', async () => {
    const alice = await peer('alice')
    const s = await alice.createSpace('S')
    const secrets = alice.ring.forSpace(s)
    expect(secrets).toHaveLength(1)
    const rows: Array<[string, unknown]> = []
    for await (const row of alice.replica.store.jsonSublevel<unknown>('keys').iterator({})) rows.push(row)
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(Buffer.from(secrets[0][1]).toString('hex'))
    const other = new KeyRing(alice.replica.store.jsonSublevel('keys'), new Uint8Array(32).fill(1))
    await other.load()
    expect(other.forSpace(s)).toEqual([])
  })

  it('a private space made before encryption is upgraded by a rotate: old messages stay readable, new ones are sealed', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map(peer))
    const create = await alice.replica.author('space.create', null, { name: 'Old', nonce: new Uint8Array(16), public: false })
    const s = create.spaceId
    const inv = await alice.invite(s)
    await deliver(alice.authored, bob)
    await deliver([await bob.replica.author('member.join', s, { invite: idFromString(inv.op.id), proof: (await import('../../src/core/invite.js')).inviteProof(inv.seed, s, bob.signer.publicKey) })], alice)
    const old = await alice.author('message.post', s, post(s, 'plaintext of old'))
    expect('text' in old.payload).toBe(true)
    // what their clients do at start: bob publishes his key; alice hers, and as the owner upgrades the space
    await bob.keys.catchUp([bob.space(s)])
    await deliver(bob.authored, alice)
    await alice.keys.catchUp([alice.space(s)])
    expect(alice.space(s).epochs.size).toBe(1)
    const sealed = await alice.author('message.post', s, post(s, 'sealed now'))
    expect('sealed' in sealed.payload).toBe(true)
    await deliver(alice.authored, bob)
    expect(await bob.texts(s)).toEqual(['plaintext of old', 'sealed now'])
    expect(Buffer.from(sealed.bytes).includes(Buffer.from('sealed now'))).toBe(false)
    expect(idToString(sealed.authorKey)).toBe(alice.userId)
  })
})
