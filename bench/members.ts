/**
 * `npm run bench -- members`: the cost of permission checks (issue 5).
 *   - validation per op at 10, 100 and 1,000 members: the permission check alone
 *     (`SpaceState.authorize`), and the whole ingest path (decode, signature, deps, permission,
 *     LevelDB write) for message posts by random members;
 *   - a concurrent membership op (one that lands before the newest membership op in (HLC, id)
 *     order) forces a replay of the membership ops: its cost at 1,000 members;
 *   - state at start for a 10,000-op space with 100 members: opening the store (index load plus
 *     membership replay), and a full rebuild of the index from the ops.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createOp, type Op, type OpType, type Payloads } from '../src/core/op.js'
import { idFromString, idToString } from '../src/core/ids.js'
import { inviteProof } from '../src/core/invite.js'
import { Signer } from '../src/core/signing.js'
import { SpaceState } from '../src/core/space-state.js'
import { OpStore } from '../src/store/op-store.js'
import { Replica } from '../src/replica.js'

type Report = (name: string, value: string) => void

/** Builds ops the way authors do: deps = current heads of `state`, HLC after them. */
class Builder {
  wall = 1_000_000
  readonly state: SpaceState
  readonly ops: Op[] = []
  constructor (readonly owner: Signer) {
    const create = this.sign(owner, 'space.create', null, [], { name: 'bench', nonce: new Uint8Array(16), public: false })
    this.state = new SpaceState({ spaceId: create.id, name: '', creator: create.author, createdAt: 0 })
    this.state.apply(create)
    this.ops.push(create)
  }

  get spaceId (): string { return this.ops[0].id }

  sign<T extends OpType> (who: Signer, type: T, space: string | null, deps: string[], payload: Payloads[T], hlc = { wall: ++this.wall, counter: 0 }): Op<T> {
    return createOp({ type, space: space == null ? null : idFromString(space), hlc, deps: deps.map(idFromString), payload }, who)
  }

  /** Signs an op on the current heads (without applying it). */
  next<T extends OpType> (who: Signer, type: T, payload: Payloads[T], extra: string[] = []): Op<T> {
    return this.sign(who, type, this.spaceId, [...new Set([...this.state.heads, ...extra])], payload)
  }

  add<T extends OpType> (who: Signer, type: T, payload: Payloads[T], extra: string[] = []): Op<T> {
    const op = this.next(who, type, payload, extra)
    const denied = this.state.authorize(op)
    if (denied != null) throw new Error(`bench op refused: ${denied.message}`)
    this.state.apply(op)
    this.ops.push(op)
    return op
  }

  /** Adds `n` members through one invite; returns their signers. */
  members (n: number): Signer[] {
    const seed = new Uint8Array(randomBytes(32))
    const inv = this.add(this.owner, 'invite.create', { key: Signer.fromSeed(seed).publicKey, maxUses: 0, expiresAt: 0 })
    const out: Signer[] = []
    for (let i = 0; i < n; i++) {
      const s = Signer.fromSeed(new Uint8Array(randomBytes(32)))
      this.add(s, 'member.join', { invite: idFromString(inv.id), proof: inviteProof(seed, this.spaceId, s.publicKey) }, [inv.id])
      out.push(s)
    }
    return out
  }
}

const us = (x: number): string => `${(x * 1000).toFixed(1)} us`

export async function membersBench (dir: string, report: Report): Promise<void> {
  for (const n of [10, 100, 1000]) {
    const b = new Builder(Signer.fromSeed(new Uint8Array(randomBytes(32))))
    const members = b.members(n - 1)
    // Permission check alone: posts by random members on the current heads.
    const posts = Array.from({ length: 2000 }, (_, i) => b.next(members[i % members.length], 'message.post', { channel: idFromString(b.spaceId), text: `m${i}` }))
    let t0 = performance.now()
    for (const op of posts) if (b.state.authorize(op) != null) throw new Error('refused')
    const check = (performance.now() - t0) / posts.length
    // Concurrent kicks: built on stale deps and ordered before the newest join, so each one is
    // checked against an older membership state and then forces a replay of the current one.
    const stale = b.ops[b.ops.length - 2]
    const kicks = Math.min(20, members.length - 2)
    const concurrent = Array.from({ length: kicks }, (_, i) => b.sign(b.owner, 'member.kick', b.spaceId, [stale.id], { user: members[i].publicKey }, { wall: stale.hlc.wall, counter: i + 1 }))
    t0 = performance.now()
    for (const kick of concurrent) {
      if (b.state.authorize(kick) != null) throw new Error('kick refused')
      b.state.apply(kick)
    }
    const replay = (performance.now() - t0) / kicks
    // The whole ingest path in a replica (LevelDB), one op at a time as gossip delivers them.
    const d = await mkdtemp(join(dir, 'members-'))
    const store = await OpStore.open(d)
    const replica = new Replica(store, b.owner)
    await replica.want(b.spaceId)
    await replica.ingest(b.ops.map(o => o.bytes))
    const chain = new Builder(b.owner)
    chain.wall = b.wall + 1000
    const heads = [...store.spaces.get(b.spaceId)!.heads]
    const live: Op[] = []
    for (let i = 0; i < 1000; i++) {
      const op = chain.sign(members[i % members.length], 'message.post', b.spaceId, i === 0 ? heads : [live[i - 1].id], { channel: idFromString(b.spaceId), text: `live ${i}` })
      live.push(op)
    }
    t0 = performance.now()
    for (const op of live) {
      const [r] = await replica.ingest([op.bytes])
      if (r.status !== 'applied') throw new Error(`ingest: ${r.status} ${r.reason ?? ''}`)
    }
    const ingest = (performance.now() - t0) / live.length
    await replica.close()
    await store.close()
    await rm(d, { recursive: true, force: true })
    report(`permission check per op, ${n} members`, us(check))
    report(`full ingest per op (sig, deps, perm, write), ${n} members`, us(ingest))
    report(`concurrent membership op (check + replay), ${n} members`, us(replay))
  }

  // A 10,000-op space with 100 members: open (index + membership replay), and a full rebuild.
  const b = new Builder(Signer.fromSeed(new Uint8Array(randomBytes(32))))
  const members = b.members(100)
  while (b.ops.length < 10_000) b.add(members[b.ops.length % members.length], 'message.post', { channel: idFromString(b.spaceId), text: `message ${b.ops.length}` })
  const d = await mkdtemp(join(dir, 'rebuild-'))
  let store = await OpStore.open(d)
  const replica = new Replica(store, b.owner)
  await replica.want(b.spaceId)
  for (let i = 0; i < b.ops.length; i += 1000) await replica.ingest(b.ops.slice(i, i + 1000).map(o => o.bytes))
  if (store.spaces.get(b.spaceId)?.size !== 10_000) throw new Error('space not built')
  await replica.close()
  await store.close()
  const opens: number[] = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    store = await OpStore.open(d)
    opens.push(performance.now() - t0)
    if (store.spaces.get(b.spaceId)?.members.roleOf(idToString(members[5].publicKey)) !== 'member') throw new Error('state not restored')
    if (i < 2) await store.close()
  }
  await store.setMeta('schema', 0)
  await store.close()
  const t0 = performance.now()
  store = await OpStore.open(d)
  const rebuild = performance.now() - t0
  if (store.spaces.get(b.spaceId)?.size !== 10_000) throw new Error('rebuild lost ops')
  await store.close()
  await rm(d, { recursive: true, force: true })
  report('start: open a 10,000-op space, 100 members', `${Math.min(...opens).toFixed(0)} ms (best of 3)`)
  report('start: rebuild its index from the ops', `${rebuild.toFixed(0)} ms`)
}
