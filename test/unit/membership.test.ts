import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Replica } from '../../src/replica.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import { inviteProof } from '../../src/core/invite.js'
import { Signer } from '../../src/core/signing.js'
import type { Op, OpType, Payloads } from '../../src/core/op.js'
import { makeOp, newSigner } from '../helpers/ops.js'
import { stateHash } from '../helpers/state.js'
import { replicaFixture } from '../helpers/replicas.js'

const { replica, tempDir, closeAll } = replicaFixture('spaceway-members-')

/**
 * Builds histories by hand: each author has its own view (the ops it has seen) and appends ops
 * whose deps are the heads of that view, with an HLC after them.
 */
class History {
  readonly all: Op[] = []
  private readonly views = new Map<Signer, Set<string>>()
  private wall = 1000
  constructor (readonly owner: Signer, isPublic = false) {
    this.all.push(makeOp(owner, 'space.create', null, { wall: this.wall, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16), public: isPublic }))
  }

  get spaceId (): string { return this.all[0].id }

  /** `who` sees every op so far (or only `ids`). */
  see (who: Signer, ids?: string[]): void {
    const v = this.views.get(who) ?? new Set([this.spaceId])
    for (const id of ids ?? this.all.map(o => o.id)) v.add(id)
    this.views.set(who, v)
  }

  /** Authors an op on top of `who`'s view; `extra` deps are added (payload references). */
  add<T extends OpType> (who: Signer, type: T, payload: Payloads[T], extra: string[] = []): Op<T> {
    const view = this.views.get(who) ?? new Set([this.spaceId])
    this.views.set(who, view)
    const inView = this.all.filter(o => view.has(o.id))
    const depended = new Set(inView.flatMap(o => o.deps))
    const deps = [...new Set([...inView.filter(o => !depended.has(o.id)).map(o => o.id), ...extra])]
    this.wall += 1
    const op = makeOp(who, type, this.spaceId, { wall: this.wall, counter: 0 }, deps, payload)
    view.add(op.id)
    this.all.push(op)
    return op
  }

  /** Removes an op from the history (it was rejected: nobody builds on it). */
  drop (op: Op): void {
    this.all.splice(this.all.indexOf(op), 1)
    for (const v of this.views.values()) v.delete(op.id)
  }

  invite (who: Signer, maxUses = 0, expiresAt = 0): { op: Op<'invite.create'>, seed: Uint8Array } {
    const seed = new Uint8Array(randomBytes(32))
    const op = this.add(who, 'invite.create', { key: Signer.fromSeed(seed).publicKey, maxUses, expiresAt })
    return { op, seed }
  }

  join (who: Signer, inv: { op: Op, seed: Uint8Array }): Op<'member.join'> {
    return this.add(who, 'member.join', { invite: idFromString(inv.op.id), proof: inviteProof(inv.seed, this.spaceId, who.publicKey) }, [inv.op.id])
  }
}

const userId = (s: Signer): string => idToString(s.publicKey)
const user = (s: Signer): Uint8Array => s.publicKey

async function deliver (r: Replica, ops: Op[]): Promise<string[]> {
  await r.want(ops[0].spaceId)
  const out: string[] = []
  for (const op of ops) out.push(...(await r.ingest([op.bytes])).map(x => x.status === 'rejected' ? `rejected:${x.reason ?? ''}` : x.status))
  return out
}

/**
 * Delivers `ops` in the given order, then again whatever was not admitted to the holdback (an op by
 * a non-member whose deps were missing), as anti-entropy sync would, until nothing changes.
 */
async function deliverAll (r: Replica, ops: Op[]): Promise<void> {
  let todo = ops
  for (let round = 0; round < 20 && todo.length > 0; round++) {
    await r.want(ops[0].spaceId)
    const again: Op[] = []
    for (const op of todo) if ((await r.ingest([op.bytes]))[0].reason === 'not_admitted') again.push(op)
    if (again.length === todo.length) break
    todo = again
  }
}

describe('membership rules', () => {
  it('a member cannot create channels, kick, ban or assign roles; a moderator cannot kick an admin; nobody removes the owner', async () => {
    const [owner, admin, mod, bob] = await Promise.all([newSigner(), newSigner(), newSigner(), newSigner()])
    const h = new History(owner)
    const inv = h.invite(owner)
    for (const s of [admin, mod, bob]) { h.see(s); h.join(s, inv) }
    h.see(owner)
    h.add(owner, 'role.set', { user: user(admin), role: 'admin' })
    h.add(owner, 'role.set', { user: user(mod), role: 'moderator' })
    for (const s of [admin, mod, bob]) h.see(s)
    const r = await replica(owner)
    expect((await deliver(r, h.all)).every(s => s === 'applied')).toBe(true)
    const tries: Array<[Signer, OpType, object, string]> = [
      [bob, 'channel.create', { name: 'x' }, 'forbidden'],
      [bob, 'member.kick', { user: user(mod) }, 'forbidden'],
      [bob, 'member.ban', { user: user(mod) }, 'forbidden'],
      [bob, 'role.set', { user: user(bob), role: 'admin' }, 'forbidden'],
      [bob, 'invite.create', { key: new Uint8Array(32), maxUses: 0, expiresAt: 0 }, 'forbidden'],
      [mod, 'member.kick', { user: user(admin) }, 'forbidden'],
      [mod, 'member.ban', { user: user(bob) }, 'forbidden'],
      [admin, 'member.kick', { user: user(owner) }, 'forbidden'],
      [admin, 'role.set', { user: user(owner), role: 'member' }, 'forbidden'],
      [admin, 'role.set', { user: user(bob), role: 'admin' }, 'forbidden'],
      [owner, 'member.leave', {}, 'forbidden']
    ]
    for (const [who, type, payload, reason] of tries) {
      const op = h.add(who, type, payload as never)
      expect(await r.ingest([op.bytes]), `${type}`).toEqual([{ status: 'rejected', reason }])
      h.drop(op)
    }
    // Channels: admins rename and delete; nobody deletes #general.
    const general = idFromString(h.spaceId)
    for (const [who, type, payload, reason] of [[bob, 'channel.rename', { channel: general, name: 'x' }, 'forbidden'], [admin, 'channel.delete', { channel: general }, 'forbidden']] as Array<[Signer, OpType, object, string]>) {
      const op = h.add(who, type, payload as never, [h.spaceId])
      expect(await r.ingest([op.bytes]), type).toEqual([{ status: 'rejected', reason }])
      h.drop(op)
    }
    const renamed = h.add(admin, 'channel.rename', { channel: general, name: 'lobby' }, [h.spaceId])
    expect((await r.ingest([renamed.bytes]))[0].status).toBe('applied')
    expect(r.store.spaces.get(h.spaceId)!.channelList().map(c => c.name)).toEqual(['lobby'])
    // What each role may do, it can.
    for (const [who, type, payload] of [[mod, 'member.kick', { user: user(bob) }], [admin, 'channel.create', { name: 'ops' }], [admin, 'role.set', { user: user(mod), role: 'member' }]] as Array<[Signer, OpType, object]>) {
      const op = h.add(who, type, payload as never)
      expect((await r.ingest([op.bytes]))[0].status, type).toBe('applied')
    }
    expect(r.store.spaces.get(h.spaceId)!.members.roleOf(userId(mod))).toBe('member')
  })

  it('after a kick, the kicked member\'s later ops are rejected in every delivery order, and its client says FORBIDDEN', async () => {
    const [owner, bob, carol] = await Promise.all([newSigner(), newSigner(), newSigner()])
    const h = new History(owner)
    const inv = h.invite(owner)
    h.see(bob); const jb = h.join(bob, inv)
    h.see(carol); h.join(carol, inv)
    h.see(owner)
    const kick = h.add(owner, 'member.kick', { user: user(bob) })
    h.see(bob)
    const late = h.add(bob, 'message.post', { channel: idFromString(h.spaceId), text: 'after the kick' })
    const concurrent = makeOp(bob, 'message.post', h.spaceId, { wall: kick.hlc.wall + 5, counter: 0 }, [jb.id], { channel: idFromString(h.spaceId), text: 'ignoring the kick' })
    for (const order of [h.all, [...h.all].reverse(), [late, ...h.all.slice(0, -1)]]) {
      const r = await replica(carol)
      const statuses = await deliver(r, [...order, concurrent])
      expect(statuses[order.indexOf(late)] === 'rejected:not_member' || statuses[order.indexOf(late)] === 'held').toBe(true)
      const s = r.store.spaces.get(h.spaceId)!
      expect(s.byId.has(late.id)).toBe(false)
      expect(r.heldCount).toBe(0)
      // The op that ignores the kick in its deps is valid by its history, but nobody shows it.
      expect(s.byId.has(concurrent.id)).toBe(true)
      expect((await r.store.messages(h.spaceId, h.spaceId, 50)).map(m => m.payload.text)).toEqual([])
    }
    const rb = await replica(bob)
    await deliver(rb, h.all.slice(0, -1))
    await expect(rb.author('message.post', h.spaceId, { channel: idFromString(h.spaceId), text: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(rb.store.spaces.get(h.spaceId)!.size).toBe(h.all.length - 1)
  })

  it('invites: max uses (also for two joins racing for the last use), expiry, revocation, a bad secret, bans', async () => {
    const [owner, bob, carol, dave, eve] = await Promise.all([newSigner(), newSigner(), newSigner(), newSigner(), newSigner()])
    const h = new History(owner)
    const once = h.invite(owner, 1)
    for (const s of [bob, carol]) h.see(s)
    const jb = h.join(bob, once)
    const jc = h.join(carol, once) // concurrent with bob's: neither saw the other
    h.see(carol)
    const carolPost = h.add(carol, 'message.post', { channel: idFromString(h.spaceId), text: 'carol' })
    const r = await replica(owner)
    await deliver(r, [...h.all].reverse())
    const s = r.store.spaces.get(h.spaceId)!
    // Both joins are valid by their own history; the replay in (HLC, id) order gives the use to bob.
    expect(jb.hlc.wall).toBeLessThan(jc.hlc.wall)
    expect(s.members.roleOf(userId(bob))).toBe('member')
    expect(s.members.roleOf(userId(carol))).toBe(null)
    expect(s.byId.has(carolPost.id)).toBe(false) // carol saw both joins: she is not a member
    h.drop(carolPost)
    // Sequential reuse of the exhausted invite: refused.
    h.see(dave)
    const jd = h.join(dave, once)
    expect(await r.ingest([jd.bytes])).toEqual([{ status: 'rejected', reason: 'invite_exhausted' }])
    h.drop(jd)
    // Expired, revoked, wrong secret.
    h.see(owner)
    const short = h.invite(owner, 0, 1) // expired at 1 ms after the epoch
    const revoked = h.invite(owner)
    h.add(owner, 'invite.revoke', { invite: idFromString(revoked.op.id) }, [revoked.op.id])
    await r.ingest(h.all.slice(-3).map(o => o.bytes))
    h.see(dave)
    for (const [inv, reason] of [[short, 'invite_expired'], [revoked, 'invite_revoked'], [{ op: revoked.op, seed: new Uint8Array(32) }, 'bad_invite']] as const) {
      const j = h.join(dave, inv)
      expect(await r.ingest([j.bytes])).toEqual([{ status: 'rejected', reason }])
      h.drop(j)
    }
    // A banned user cannot rejoin with any invite.
    const open = h.invite(owner)
    h.see(eve); h.join(eve, open)
    h.see(owner); h.add(owner, 'member.ban', { user: user(eve) })
    await r.ingest(h.all.slice(-3).map(o => o.bytes))
    h.see(eve)
    const fresh = h.invite(owner)
    await r.ingest([fresh.op.bytes])
    h.see(eve)
    const again = h.join(eve, fresh)
    expect(await r.ingest([again.bytes])).toEqual([{ status: 'rejected', reason: 'banned' }])
  })

  it('a public space is joined without an invite; a private one is not', async () => {
    const [owner, bob] = await Promise.all([newSigner(), newSigner()])
    for (const isPublic of [true, false]) {
      const h = new History(owner, isPublic)
      h.see(bob)
      h.add(bob, 'member.join', { invite: null, proof: null })
      const r = await replica(owner)
      const st = await deliver(r, h.all)
      expect(st[1]).toBe(isPublic ? 'applied' : 'rejected:forbidden')
    }
  })

  it('edits by the author only; deletes by the author or a moderator; reactions by members; deleted wins over edited', async () => {
    const [owner, bob, carol] = await Promise.all([newSigner(), newSigner(), newSigner()])
    const h = new History(owner)
    const inv = h.invite(owner)
    h.see(bob); h.join(bob, inv)
    h.see(carol); h.join(carol, inv)
    h.see(bob)
    const m = h.add(bob, 'message.post', { channel: idFromString(h.spaceId), text: 'tpyo' })
    h.see(carol)
    const r = await replica(owner)
    await deliver(r, h.all)
    const byCarol = h.add(carol, 'message.edit', { message: idFromString(m.id), text: 'hacked' }, [m.id])
    expect(await r.ingest([byCarol.bytes])).toEqual([{ status: 'rejected', reason: 'forbidden' }])
    h.drop(byCarol)
    const delByCarol = h.add(carol, 'message.delete', { message: idFromString(m.id) }, [m.id])
    expect((await r.ingest([delByCarol.bytes]))[0].reason).toBe('forbidden')
    h.drop(delByCarol)
    const edit = h.add(bob, 'message.edit', { message: idFromString(m.id), text: 'typo' }, [m.id])
    expect((await r.ingest([edit.bytes]))[0].status).toBe('applied')
    expect(r.store.spaces.get(h.spaceId)!.edits.get(m.id)?.text).toBe('typo')
    // Reactions: members only, last writer wins per (user, emoji).
    const up = h.add(carol, 'message.react', { message: idFromString(m.id), emoji: '👍', on: true }, [m.id])
    const down = h.add(carol, 'message.react', { message: idFromString(m.id), emoji: '👍', on: false }, [m.id])
    const again = h.add(bob, 'message.react', { message: idFromString(m.id), emoji: '👍', on: true }, [m.id])
    await r.ingest([again.bytes, down.bytes, up.bytes])
    expect(r.store.spaces.get(h.spaceId)!.reactionsOf(m.id)).toEqual([{ emoji: '👍', users: [userId(bob)] }])
    const outsider = await newSigner()
    h.see(outsider)
    const byOutsider = h.add(outsider, 'message.react', { message: idFromString(m.id), emoji: '👎', on: true }, [m.id])
    expect((await r.ingest([byOutsider.bytes]))[0].reason).toBe('not_member')
    h.drop(byOutsider)
    h.see(owner)
    const del = h.add(owner, 'message.delete', { message: idFromString(m.id) }, [m.id])
    expect((await r.ingest([del.bytes]))[0].status).toBe('applied')
    expect(r.store.spaces.get(h.spaceId)!.deleted.get(m.id)?.by).toBe(userId(owner))
  })

  it('membership, edits, reactions and deletes survive a restart, and an old index is rebuilt from the ops', async () => {
    const [owner, bob] = await Promise.all([newSigner(), newSigner()])
    const h = new History(owner)
    const inv = h.invite(owner, 3)
    h.see(bob); h.join(bob, inv)
    h.see(owner); h.add(owner, 'role.set', { user: user(bob), role: 'moderator' })
    h.see(bob)
    const m = h.add(bob, 'message.post', { channel: idFromString(h.spaceId), text: 'a' })
    h.add(bob, 'message.edit', { message: idFromString(m.id), text: 'b' }, [m.id])
    h.add(bob, 'message.react', { message: idFromString(m.id), emoji: 'ok!', on: true }, [m.id])
    const dir = await tempDir()
    let r = await replica(owner, dir)
    await deliver(r, h.all)
    const before = await stateHash(r, h.spaceId)
    await r.store.close()
    r = await replica(owner, dir)
    expect(await stateHash(r, h.spaceId)).toBe(before)
    await r.store.setMeta('schema', 1)
    await r.store.close()
    r = await replica(owner, dir)
    expect(await stateHash(r, h.spaceId)).toBe(before)
    expect(r.store.spaces.get(h.spaceId)!.members.invites.get(inv.op.id)?.uses).toBe(1)
    expect(r.store.spaces.get(h.spaceId)!.reactionsOf(m.id)).toEqual([{ emoji: 'ok!', users: [userId(bob)] }])
  })
})

describe('convergence (property)', () => {
  it('random histories of joins, kicks, bans, role changes, posts, edits and deletes converge on every replica in every delivery order', async () => {
    const signers = await Promise.all([0, 1, 2, 3, 4].map(async () => await newSigner()))
    const KINDS = ['join', 'join', 'post', 'post', 'edit', 'delete', 'react', 'rename', 'chdelete', 'kick', 'ban', 'unban', 'role', 'leave', 'channel', 'profile', 'invite', 'revoke'] as const
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ who: fc.nat(4), kind: fc.nat(KINDS.length - 1), target: fc.nat(4), pick: fc.nat(100), sees: fc.boolean() }), { minLength: 10, maxLength: 40, size: 'max' }),
      fc.array(fc.integer(), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 1, max: 3 }),
      async (steps, seeds, maxUses) => {
        // Start: 1 is an admin, 2 a moderator, 3 and 4 outsiders; a limited invite for races.
        const h = new History(signers[0])
        const setup = h.invite(signers[0])
        for (const s of signers.slice(1, 3)) { h.see(s); h.join(s, setup) }
        h.see(signers[0])
        h.add(signers[0], 'role.set', { user: user(signers[1]), role: 'admin' })
        h.add(signers[0], 'role.set', { user: user(signers[2]), role: 'moderator' })
        const invites = [h.invite(signers[0], maxUses)]
        for (const s of signers) h.see(s)
        // An oracle replica decides which generated ops are valid; invalid ones are still delivered
        // to every replica (they must be rejected by all), but nobody builds on them.
        const oracle = await replica(signers[0])
        await deliver(oracle, h.all)
        const extra: Op[] = []
        const posts: Op[] = []
        const channels: string[] = [h.spaceId]
        for (const [i, st] of steps.entries()) {
          const who = signers[st.who]
          const target = signers[st.target]
          if (st.sees) h.see(who)
          const roles = ['admin', 'moderator', 'member'] as const
          let op: Op
          let pending: { op: Op<'invite.create'>, seed: Uint8Array } | undefined
          switch (KINDS[st.kind]) {
            case 'join': op = h.join(who, invites[st.pick % invites.length]); break
            case 'post': op = h.add(who, 'message.post', { channel: idFromString(h.spaceId), text: `m${i}` }); break
            case 'edit':
            case 'delete':
            case 'react': {
              const m = posts[st.pick % Math.max(1, posts.length)]
              if (m == null) continue
              h.see(who, [m.id])
              op = KINDS[st.kind] === 'edit'
                ? h.add(who, 'message.edit', { message: idFromString(m.id), text: `e${i}` }, [m.id])
                : KINDS[st.kind] === 'react'
                  ? h.add(who, 'message.react', { message: idFromString(m.id), emoji: ['👍', '🎉'][st.pick % 2], on: st.target % 3 !== 0 }, [m.id])
                  : h.add(who, 'message.delete', { message: idFromString(m.id) }, [m.id])
              break
            }
            case 'kick': op = h.add(who, 'member.kick', { user: user(target) }); break
            case 'ban': op = h.add(who, 'member.ban', { user: user(target) }); break
            case 'unban': op = h.add(who, 'member.unban', { user: user(target) }); break
            case 'role': op = h.add(who, 'role.set', { user: user(target), role: roles[st.pick % 3] }); break
            case 'leave': op = h.add(who, 'member.leave', {}); break
            case 'channel': op = h.add(who, 'channel.create', { name: `c${i}` }); break
            case 'rename':
            case 'chdelete': {
              const ch = channels[st.pick % channels.length]
              h.see(who, [ch])
              op = KINDS[st.kind] === 'rename'
                ? h.add(who, 'channel.rename', { channel: idFromString(ch), name: `r${i}` }, [ch])
                : h.add(who, 'channel.delete', { channel: idFromString(ch) }, [ch])
              break
            }
            case 'profile': op = h.add(who, 'profile.set', { name: `n${i}` }); break
            case 'invite': { const inv = h.invite(who, st.pick % 3); pending = inv; op = inv.op; break }
            case 'revoke': { const inv = invites[st.pick % invites.length]; op = h.add(who, 'invite.revoke', { invite: idFromString(inv.op.id) }, [inv.op.id]); break }
          }
          const [res] = await oracle.ingest([op.bytes])
          if (res.status !== 'applied') { h.drop(op); extra.push(op); continue }
          if (op.type === 'message.post') posts.push(op)
          if (op.type === 'channel.create') channels.push(op.id)
          if (pending != null) invites.push(pending)
        }
        const expected = await stateHash(oracle, h.spaceId)
        for (const seed of seeds) {
          const r = await replica(signers[1])
          const all = [...h.all, ...extra]
          const order = all.map((op, i) => ({ op, k: Math.sin(seed * 7919 + i * 104729) })).sort((a, b) => a.k - b.k).map(x => x.op)
          await deliverAll(r, [h.all[0], ...order, ...order.slice(0, 3)])
          expect(r.heldCount).toBe(0)
          expect(r.store.spaces.get(h.spaceId)?.size).toBe(h.all.length)
          expect(await stateHash(r, h.spaceId)).toBe(expected)
        }
        await closeAll()
      }
    ), { numRuns: Number(process.env.PROP_RUNS ?? 40) })
  })
})
