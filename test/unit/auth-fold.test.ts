/**
 * The incremental membership fold equals the sequential replay for every insertion order, and a
 * flood of backdated membership ops costs O(n log n) work, not O(n * m).
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IncrementalFold } from '../../src/core/auth-fold.js'
import { AuthGraph } from '../../src/core/auth-graph.js'
import { MembershipState } from '../../src/core/membership.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import { inviteProof } from '../../src/core/invite.js'
import { orderKey } from '../../src/core/order.js'
import { Signer } from '../../src/core/signing.js'
import type { Op } from '../../src/core/op.js'
import { makeOp, newSigner } from '../helpers/ops.js'

function summary (m: MembershipState): string {
  return JSON.stringify({
    space: [m.spaceId, m.owner, m.isPublic, m.legacy],
    members: m.memberList(),
    removed: [...m.removed.entries()].sort(),
    banned: [...m.banned].sort(),
    invites: [...m.invites.values()].map(i => [i.inviteId, i.uses, i.revoked, i.maxUses]).sort()
  })
}

function sequential (ops: Op[]): MembershipState {
  const s = new MembershipState()
  for (const op of [...ops].sort((a, b) => orderKey(a.hlc, a.id) < orderKey(b.hlc, b.id) ? -1 : 1)) s.step(op, orderKey(op.hlc, op.id))
  return s
}

describe('incremental membership fold', () => {
  it('equals the sequential replay whatever order the ops arrive in (property)', async () => {
    const signers = await Promise.all([0, 1, 2, 3, 4, 5].map(async () => await newSigner()))
    const KINDS = ['join', 'join', 'pjoin', 'leave', 'kick', 'ban', 'unban', 'role', 'invite', 'revoke', 'merge'] as const
    await fc.assert(fc.property(
      fc.boolean(),
      fc.array(fc.record({ who: fc.nat(5), kind: fc.nat(KINDS.length - 1), target: fc.nat(5), pick: fc.nat(100), wall: fc.nat(60) }), { minLength: 5, maxLength: 60 }),
      fc.array(fc.nat(1000), { minLength: 2, maxLength: 2 }),
      (isPublic, steps, seeds) => {
        const owner = signers[0]
        const create = makeOp(owner, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16), public: isPublic })
        const s = create.id
        const ops: Op[] = [create]
        const invites: Array<{ op: Op, seed: Uint8Array }> = []
        const seed0 = new Uint8Array(randomBytes(32))
        const inv0 = makeOp(owner, 'invite.create', s, { wall: 2, counter: 0 }, [s], { key: Signer.fromSeed(seed0).publicKey, maxUses: 2, expiresAt: 0 })
        ops.push(inv0)
        invites.push({ op: inv0, seed: seed0 })
        const roles = ['admin', 'moderator', 'member'] as const
        for (const [i, st] of steps.entries()) {
          const who = signers[st.who]
          const target = signers[st.target].publicKey
          const hlc = { wall: 10 + st.wall, counter: i }
          const inv = invites[st.pick % invites.length]
          let op: Op
          switch (KINDS[st.kind]) {
            case 'join': op = makeOp(who, 'member.join', s, hlc, [s, inv.op.id], { invite: idFromString(inv.op.id), proof: inviteProof(st.pick % 7 === 0 ? new Uint8Array(32) : inv.seed, s, who.publicKey) }); break
            case 'pjoin': op = makeOp(who, 'member.join', s, hlc, [s], { invite: null, proof: null }); break
            case 'leave': op = makeOp(who, 'member.leave', s, hlc, [s], {}); break
            case 'kick': op = makeOp(who, 'member.kick', s, hlc, [s], { user: target }); break
            case 'ban': op = makeOp(who, 'member.ban', s, hlc, [s], { user: target }); break
            case 'unban': op = makeOp(who, 'member.unban', s, hlc, [s], { user: target }); break
            case 'role': op = makeOp(who, 'role.set', s, hlc, [s], { user: target, role: roles[st.pick % 3] }); break
            case 'invite': {
              const seed = new Uint8Array(randomBytes(32))
              op = makeOp(who, 'invite.create', s, hlc, [s], { key: Signer.fromSeed(seed).publicKey, maxUses: st.pick % 3, expiresAt: st.pick % 5 === 0 ? 30 : 0 })
              invites.push({ op, seed })
              break
            }
            case 'revoke': op = makeOp(who, 'invite.revoke', s, hlc, [s, inv.op.id], { invite: idFromString(inv.op.id) }); break
            case 'merge': op = makeOp(who, 'heads.merge', s, hlc, [s, inv0.id], {}); break
          }
          ops.push(op)
        }
        const expected = summary(sequential(ops))
        for (const seed of seeds) {
          // create first (causal holdback guarantees it), then any order
          const rest = ops.slice(1).map((op, i) => ({ op, k: Math.sin(seed * 7919 + i * 104729) })).sort((a, b) => a.k - b.k).map(x => x.op)
          const fold = new IncrementalFold()
          for (const op of [create, ...rest]) fold.insert(op, orderKey(op.hlc, op.id))
          expect(summary(fold.current)).toBe(expected)
        }
      }
    ), { numRuns: Number(process.env.PROP_RUNS ?? 200) })
  })

  it('the state at any heads (a stale view) equals the sequential replay of their history, before and after backdated ops arrive (property)', async () => {
    const signers = await Promise.all([0, 1, 2, 3].map(async () => await newSigner()))
    await fc.assert(fc.property(
      fc.array(fc.record({ who: fc.nat(3), kind: fc.nat(5), target: fc.nat(3), deps: fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }), wall: fc.nat(40) }), { minLength: 3, maxLength: 40 }),
      fc.array(fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 8 }),
      (steps, queries) => {
        const owner = signers[0]
        const create = makeOp(owner, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16), public: true })
        const s = create.id
        const ops: Op[] = [create]
        for (const [i, st] of steps.entries()) {
          const deps = [...new Set(st.deps.map(d => ops[d % ops.length].id))]
          const maxWall = Math.max(...deps.map(d => (ops.find(o => o.id === d) as Op).hlc.wall))
          const hlc = { wall: maxWall + 1 + st.wall, counter: i }
          const who = signers[st.who]
          const target = signers[st.target].publicKey
          const kinds = [
            () => makeOp(who, 'member.join', s, hlc, deps, { invite: null, proof: null }),
            () => makeOp(who, 'member.leave', s, hlc, deps, {}),
            () => makeOp(who, 'member.kick', s, hlc, deps, { user: target }),
            () => makeOp(who, 'role.set', s, hlc, deps, { user: target, role: 'moderator' }),
            () => makeOp(who, 'member.ban', s, hlc, deps, { user: target }),
            () => makeOp(who, 'member.unban', s, hlc, deps, { user: target })
          ]
          ops.push(kinds[st.kind]())
        }
        const byId = new Map(ops.map(o => [o.id, o]))
        const history = (heads: string[]): Op[] => {
          const seen = new Set<string>()
          const stack = [...heads]
          while (stack.length > 0) {
            const id = stack.pop() as string
            if (seen.has(id)) continue
            seen.add(id)
            stack.push(...(byId.get(id) as Op).deps)
          }
          return [...seen].map(id => byId.get(id) as Op)
        }
        // insert in causal order (by HLC), checking queries twice: half-way and at the end
        // the heads key of every op is kept by the caller (the space's op table); a Map here
        const headsOf = new Map<string, string>()
        const g = new AuthGraph(id => headsOf.get(id))
        const sorted = [...ops].sort((a, b) => orderKey(a.hlc, a.id) < orderKey(b.hlc, b.id) ? -1 : 1)
        const check = (inserted: Set<string>): void => {
          for (const q of queries) {
            const heads = [...new Set(q.map(i => sorted[i % sorted.length].id))].filter(h => inserted.has(h))
            if (heads.length === 0) continue
            const got = g.stateAt(g.headsKeyFor(heads))
            const want = sequential(history(heads))
            for (const u of signers) {
              const id = idToString(u.publicKey)
              expect(got.roleOf(id)).toBe(want.roleOf(id))
              expect(got.user(id)?.banned === true).toBe(want.banned.has(id))
            }
          }
        }
        const inserted = new Set<string>()
        // causal order but not order-key order: deliver ops whose deps are in, preferring late keys first
        const pending = [...sorted]
        let n = 0
        while (pending.length > 0) {
          const idx = pending.findLastIndex(o => o.deps.every(d => inserted.has(d)))
          const op = pending.splice(idx, 1)[0]
          const headsKey = op.type === 'space.create' ? '' : g.headsKeyFor(op.deps)
          headsOf.set(op.id, headsKey)
          g.add(op, orderKey(op.hlc, op.id), headsKey)
          inserted.add(op.id)
          if (++n === Math.floor(sorted.length / 2)) check(inserted)
        }
        check(inserted)
      }
    ), { numRuns: Number(process.env.PROP_RUNS ?? 150) })
  })

  it('a flood of backdated membership ops costs O(n) evaluations, not a replay each', async () => {
    const owner = await newSigner()
    const create = makeOp(owner, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16), public: true })
    const s = create.id
    const fold = new IncrementalFold()
    const all: Op[] = [create]
    const insert = (op: Op): void => { all.push(op); fold.insert(op, orderKey(op.hlc, op.id)) }
    fold.insert(create, orderKey(create.hlc, create.id))
    // 2,000 members joined over time...
    const joiners = await Promise.all(Array.from({ length: 200 }, async () => await newSigner()))
    for (let i = 0; i < 2000; i++) {
      insert(makeOp(joiners[i % 200], i < 200 || i % 2 === 0 ? 'member.join' : 'member.leave', s, { wall: 1000 + i, counter: 0 }, [s], i < 200 || i % 2 === 0 ? { invite: null, proof: null } : {}))
    }
    const before = fold.evaluations
    // ...then 3,000 ops that land before all of them: invites by the owner, joins of new users.
    const sybils = await Promise.all(Array.from({ length: 1500 }, async () => await newSigner()))
    for (let i = 0; i < 1500; i++) {
      insert(makeOp(owner, 'invite.create', s, { wall: 2, counter: i }, [s], { key: new Uint8Array(32), maxUses: 0, expiresAt: 0 }))
      insert(makeOp(sybils[i], 'member.join', s, { wall: 3, counter: i }, [s], { invite: null, proof: null }))
    }
    expect(fold.evaluations - before).toBeLessThan(3000 * 2)
    expect(summary(fold.current)).toBe(summary(sequential(all)))
    expect(fold.current.roleOf(idToString(sybils[7].publicKey))).toBe('member')
  })
})
