import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { Replica } from '../../src/replica.js'
import { OpStore } from '../../src/store/op-store.js'
import { idFromString } from '../../src/core/ids.js'
import type { Op } from '../../src/core/op.js'
import type { Signer } from '../../src/core/signing.js'
import { makeOp, newSigner } from '../helpers/ops.js'

const dirs: string[] = []
const stores: OpStore[] = []
async function replica (signer: Signer): Promise<Replica> {
  const dir = await mkdtemp(join(tmpdir(), 'spaceway-replica-'))
  dirs.push(dir)
  const store = await OpStore.open(dir)
  stores.push(store)
  const r = new Replica(store, signer)
  await r.init()
  return r
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map(async s => await s.close()))
  await Promise.all(dirs.splice(0).map(async d => await rm(d, { recursive: true, force: true })))
})

/** Everything a user can see of a space, as one hash. */
async function stateHash (r: Replica, spaceId: string): Promise<string> {
  const s = r.store.spaces.get(spaceId)
  if (s == null) return 'none'
  const channels = s.channelList().map(c => [c.channelId, c.name])
  const messages = []
  for (const [id] of channels) messages.push((await r.store.messages(spaceId, id, 10_000)).map(m => m.id))
  const profiles = [...s.profiles.entries()].sort()
  return createHash('sha256').update(JSON.stringify({ info: s.info, channels, messages, profiles, heads: [...s.heads].sort(), items: s.items })).digest('hex')
}

/** Builds a random concurrent history: each author appends to its own view of the DAG. */
function history (authors: Signer[], steps: Array<{ who: number, kind: number, sees: boolean }>): Op[] {
  const create = makeOp(authors[0], 'space.create', null, { wall: 1000, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16) })
  const all: Op[] = [create]
  const views: Array<Set<string>> = authors.map(() => new Set([create.id]))
  const clocks = authors.map(() => 1000)
  const channels: string[] = [create.id]
  for (const [i, step] of steps.entries()) {
    const who = step.who % authors.length
    if (step.sees) for (const op of all) views[who].add(op.id)
    // heads of this author's view: ops in view that no op in view depends on
    const inView = all.filter(o => views[who].has(o.id))
    const depended = new Set(inView.flatMap(o => o.deps))
    const heads = inView.filter(o => !depended.has(o.id))
    const wall = Math.max(clocks[who], ...heads.map(h => h.hlc.wall)) + (i % 3)
    clocks[who] = wall + 1
    const hlc = { wall: wall + 1, counter: 0 }
    const deps = heads.map(h => h.id)
    let op: Op
    if (step.kind % 5 === 0) {
      op = makeOp(authors[who], 'channel.create', create.id, hlc, deps, { name: `c${i}` })
      channels.push(op.id)
    } else if (step.kind % 5 === 1) {
      op = makeOp(authors[who], 'profile.set', create.id, hlc, deps, { name: `n${i}` })
    } else {
      const ch = channels.filter(c => views[who].has(c) || c === create.id)
      op = makeOp(authors[who], 'message.post', create.id, hlc, deps, { channel: idFromString(ch[step.kind % ch.length]), text: `m${i}` })
    }
    all.push(op)
    views[who].add(op.id)
  }
  return all
}

describe('replica', () => {
  it('holds back ops whose deps are missing and applies them in causal order', async () => {
    const s = await newSigner()
    const r = await replica(s)
    const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16) })
    const m1 = makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [create.id], { channel: idFromString(create.id), text: 'one' })
    const m2 = makeOp(s, 'message.post', create.id, { wall: 3, counter: 0 }, [m1.id], { channel: idFromString(create.id), text: 'two' })
    await r.want(create.id)
    expect((await r.ingest([m2.bytes]))[0].status).toBe('held')
    expect((await r.ingest([m1.bytes]))[0].status).toBe('held')
    expect(r.heldCount).toBe(2)
    expect((await r.ingest([create.bytes]))[0].status).toBe('applied')
    expect(r.heldCount).toBe(0)
    expect((await r.store.messages(create.id, create.id, 10)).map(m => m.payload.text)).toEqual(['one', 'two'])
    expect((await r.ingest([m1.bytes]))[0].status).toBe('duplicate')
    expect([...r.store.spaces.get(create.id)!.heads]).toEqual([m2.id])
  })

  it('rejects an op whose HLC is not after its deps, and ops for spaces nobody asked for', async () => {
    const s = await newSigner()
    const r = await replica(s)
    const create = makeOp(s, 'space.create', null, { wall: 50, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16) })
    await r.want(create.id)
    await r.ingest([create.bytes])
    const early = makeOp(s, 'message.post', create.id, { wall: 10, counter: 0 }, [create.id], { channel: idFromString(create.id), text: 'x' })
    expect(await r.ingest([early.bytes])).toEqual([{ status: 'rejected', reason: 'bad_hlc' }])
    const other = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'T', nonce: new Uint8Array(16) })
    expect((await r.ingest([other.bytes]))[0].status).toBe('ignored')
  })

  it('survives a restart with the same spaces, heads and messages', async () => {
    const s = await newSigner()
    const dir = await mkdtemp(join(tmpdir(), 'spaceway-replica-'))
    dirs.push(dir)
    let store = await OpStore.open(dir)
    let r = new Replica(store, s)
    const create = await r.author('space.create', null, { name: 'S', nonce: Replica.nonce() })
    await r.author('message.post', create.id, { channel: idFromString(create.id), text: 'kept' })
    const before = await stateHash(r, create.id)
    await store.close()
    store = await OpStore.open(dir)
    r = new Replica(store, s)
    expect(await stateHash(r, create.id)).toBe(before)
    const next = await r.author('message.post', create.id, { channel: idFromString(create.id), text: 'after' })
    expect(next.hlc.wall).toBeGreaterThanOrEqual(create.hlc.wall)
    await store.close()
  })

  it('converges: any delivery order, with duplicates, gives the same state (property)', async () => {
    const authors = [await newSigner(), await newSigner(), await newSigner()]
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ who: fc.nat(2), kind: fc.nat(20), sees: fc.boolean() }), { minLength: 1, maxLength: 25 }),
      fc.array(fc.integer(), { minLength: 3, maxLength: 3 }),
      async (steps, seeds) => {
        const ops = history(authors, steps)
        const hashes: string[] = []
        for (const seed of seeds) {
          const r = await replica(authors[0])
          await r.want(ops[0].id)
          // a seeded shuffle, with a few duplicates
          const order = ops.map((op, i) => ({ op, k: Math.sin(seed * 7919 + i * 104729) })).sort((a, b) => a.k - b.k).map(x => x.op)
          const batch = [...order, ...order.slice(0, 3)]
          for (const op of batch) await r.ingest([op.bytes])
          expect(r.heldCount).toBe(0)
          expect(r.store.spaces.get(ops[0].id)?.size).toBe(ops.length)
          hashes.push(await stateHash(r, ops[0].id))
        }
        expect(new Set(hashes).size).toBe(1)
        await Promise.all(stores.splice(0).map(async s => await s.close()))
      }
    ), { numRuns: 15 })
  })
})
