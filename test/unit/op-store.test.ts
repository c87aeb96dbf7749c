import { describe, expect, it } from 'vitest'
import { Level } from 'level'
import { Replica } from '../../src/replica.js'
import { OpStore, SCHEMA } from '../../src/store/op-store.js'
import { OPIX, SUBLEVELS } from '../../src/store/layout.js'
import { idFromString, idToString } from '../../src/core/ids.js'
import type { SpaceState } from '../../src/core/space-state.js'
import { stateHash } from '../helpers/state.js'
import { replicaFixture } from '../helpers/replicas.js'
import { makeOp, newSigner } from '../helpers/ops.js'

const { tempDir } = replicaFixture('spaceway-op-store-')

/** What validation reads of every op of a space, and what sync reconciles: equal before and after a reopen. */
function perOp (s: SpaceState): object {
  const ids = [...s.byId.keys()].sort()
  return {
    size: s.size,
    bytes: s.bytes,
    maxHlc: s.maxHlc,
    items: [...s.items],
    ops: ids.map(id => [id, s.byId.get(id), s.auth.headsKeyOf(id), s.messageAuthor(id) ?? null, s.messageChannels.get(id) ?? null]),
    messages: [...s.messageAuthors.keys()].sort(),
    membershipHeads: s.auth.heads(),
    clockStart: s.maxHlcUpTo(Date.now() + 60_000)
  }
}

describe('op store: the op table persisted in chunks', () => {
  it('reopens (and rebuilds after a schema change) to the same state and the same per-op answers', async () => {
    const owner = await newSigner()
    const dir = await tempDir()
    let store = await OpStore.open(dir)
    let r = new Replica(store, owner)
    const create = await r.author('space.create', null, { name: 'S', nonce: Replica.nonce(), public: true })
    const s = create.id
    const dev = await r.author('channel.create', s, { name: 'dev' })
    const channels = [idFromString(s), idFromString(dev.id)]
    // two members join (public space) and post; the owner posts, edits, reacts, deletes: > 2 chunks of ops
    const members = [await newSigner(), await newSigner()]
    const state = store.spaces.get(s) as SpaceState
    const wall = Date.now()
    let counter = 0
    const joins = members.map(m => makeOp(m, 'member.join', s, { wall, counter: ++counter }, [...state.heads], { invite: null, proof: null }))
    for (const j of joins) expect((await r.ingest([j.bytes]))[0].status).toBe('applied')
    const posts: string[] = []
    for (let i = 0; i < 150; i++) {
      const m = members[i % 2]
      const op = makeOp(m, 'message.post', s, { wall, counter: ++counter }, [...state.heads], { channel: channels[i % 2], text: `m${i}` })
      expect((await r.ingest([op.bytes]))[0].status).toBe('applied')
      posts.push(op.id)
    }
    for (let i = 0; i < 150; i++) posts.push((await r.author('message.post', s, { channel: channels[i % 2], text: `o${i}` })).id)
    await r.author('message.edit', s, { message: idFromString(posts[200]), text: 'edited' })
    await r.author('message.react', s, { message: idFromString(posts[3]), emoji: '+1', on: true })
    await r.author('message.delete', s, { message: idFromString(posts[4]) })
    await r.author('member.kick', s, { user: members[1].publicKey })
    const hash = await stateHash(r, s)
    const answers = perOp(store.spaces.get(s) as SpaceState)
    expect(store.spaces.get(s)?.size).toBeGreaterThan(300)
    await r.close()
    await store.close()

    store = await OpStore.open(dir)
    r = new Replica(store, owner)
    expect(await stateHash(r, s)).toBe(hash)
    expect(perOp(store.spaces.get(s) as SpaceState)).toEqual(answers)
    // authorization after a reopen reads the table: an edit of a member's message by another member is refused
    const kicked = makeOp(members[1], 'message.edit', s, { wall, counter: ++counter }, [...(store.spaces.get(s) as SpaceState).heads, posts[0]], { message: idFromString(posts[0]), text: 'x' })
    expect((await r.ingest([kicked.bytes]))[0]).toMatchObject({ status: 'rejected' })
    const next = await r.author('message.post', s, { channel: channels[0], text: 'after reopen' })
    expect(store.spaces.get(s)?.messageAuthor(next.id)).toBe(idToString(owner.publicKey))
    const hash2 = await stateHash(r, s)
    const answers2 = perOp(store.spaces.get(s) as SpaceState)
    await r.close()
    await store.close()

    // a store of an older layout: rebuilt from its ops, to the same state
    const db = new Level<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json' })
    await db.sublevel(SUBLEVELS.meta, { valueEncoding: 'json' }).put('schema', SCHEMA - 1)
    await db.close()
    store = await OpStore.open(dir)
    r = new Replica(store, owner)
    expect(await stateHash(r, s)).toBe(hash2)
    expect(perOp(store.spaces.get(s) as SpaceState)).toEqual(answers2)
    await r.close()
    await store.close()

    // an op table that does not load (a chunk cut short): rebuilt from the ops too
    const db2 = new Level<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json' })
    await db2.sublevel<string, Uint8Array>(SUBLEVELS.opix, { valueEncoding: 'view' }).put(OPIX.chunk(s, 0), new Uint8Array(10))
    await db2.close()
    store = await OpStore.open(dir)
    r = new Replica(store, owner)
    expect(await stateHash(r, s)).toBe(hash2)
    expect(perOp(store.spaces.get(s) as SpaceState)).toEqual(answers2)
    await r.close()
    await store.close()
  })

  it('after a failed write, the next open rebuilds the index from the ops actually stored', async () => {
    const owner = await newSigner()
    const dir = await tempDir()
    let store = await OpStore.open(dir)
    let r = new Replica(store, owner)
    const create = await r.author('space.create', null, { name: 'S', nonce: Replica.nonce(), public: true })
    const s = create.id
    const kept = await r.author('message.post', s, { channel: idFromString(s), text: 'kept' })
    // the disk refuses one write (its op stays applied in memory, as the replica reports the failure)
    const db = (store as unknown as { db: { batch: (ops: unknown) => Promise<void> } }).db
    const batch = db.batch.bind(db)
    db.batch = async () => { db.batch = batch; throw new Error('disk full') }
    await expect(r.author('message.post', s, { channel: idFromString(s), text: 'lost' })).rejects.toThrow('disk full')
    const after = await r.author('message.post', s, { channel: idFromString(s), text: 'after' })
    await r.close()
    await store.close()
    store = await OpStore.open(dir)
    r = new Replica(store, owner)
    const state = store.spaces.get(s) as SpaceState
    // the lost op's record is gone with it; the op after it (which names it as a dep) is dropped too
    // (sync brings both again from peers), and what was stored before is all there
    expect(state.byId.has(kept.id)).toBe(true)
    expect(state.byId.has(after.id)).toBe(false)
    expect(state.size).toBe(2)
    expect((await store.messages(s, s, 10)).map(m => m.payload.text)).toEqual(['kept'])
    await r.close()
    await store.close()
  })
})
