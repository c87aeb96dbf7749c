import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/replica.js'
import { OpStore } from '../../src/store/op-store.js'
import { idFromString } from '../../src/core/ids.js'
import { stateHash } from '../helpers/state.js'
import { replicaFixture } from '../helpers/replicas.js'
import { makeOp, newSigner } from '../helpers/ops.js'

const { replica, tempDir } = replicaFixture('spaceway-replica-')

/** A replica holding one space, whose disk then stalls: writes wait until `release()`. */
async function spaceOnStalledDisk (): Promise<{ s: Awaited<ReturnType<typeof newSigner>>, r: Replica, create: ReturnType<typeof makeOp>, release: () => void }> {
  const s = await newSigner()
  const r = await replica(s)
  const create = makeOp(s, 'space.create', null, { wall: 1, counter: 0 }, [], { name: 'S', nonce: new Uint8Array(16) })
  await r.want(create.id)
  await r.ingest([create.bytes])
  const commit = r.store.commit.bind(r.store)
  let release!: () => void
  const stalled = new Promise<void>(resolve => { release = resolve })
  r.store.commit = async (staged) => { await stalled; await commit(staged) }
  return { s, r, create, release }
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

  it('with `staged`, ingest answers once the op is applied in memory; its `op` event and a plain ingest wait for the disk', async () => {
    const { s, r, create, release } = await spaceOnStalledDisk()
    const events: string[] = []
    r.on('op', (op) => { events.push(op.id) })
    const m1 = makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [create.id], { channel: idFromString(create.id), text: 'one' })
    const m2 = makeOp(s, 'message.post', create.id, { wall: 3, counter: 0 }, [m1.id], { channel: idFromString(create.id), text: 'two' })
    expect((await r.ingest([m1.bytes], 'peer', { staged: true }))[0].status).toBe('applied')
    expect(r.store.spaces.get(create.id)?.byId.has(m1.id)).toBe(true)
    expect((await r.ingest([m1.bytes], 'peer', { staged: true }))[0].status).toBe('duplicate')
    let durable = false
    const plain = r.ingest([m2.bytes], 'peer').then(x => { durable = true; return x })
    await new Promise(resolve => setImmediate(resolve))
    expect(durable).toBe(false)
    expect(events).toEqual([])
    release()
    expect((await plain)[0].status).toBe('applied')
    expect(events).toEqual([m1.id, m2.id])
  })

  it('announces an op with `staged` before its write; a read of the store started then waits for the write and sees the op', async () => {
    const { s, r, create, release } = await spaceOnStalledDisk()
    const staged: string[] = []
    const durable: string[] = []
    let read: Promise<[Array<{ payload: { text: string } }>, Uint8Array | undefined]> | undefined
    r.on('staged', (op) => {
      staged.push(op.id)
      read ??= Promise.all([r.store.messages(create.id, create.id, 10), r.store.getBytes(op.id)])
    })
    r.on('op', (op) => { durable.push(op.id) })
    const m1 = makeOp(s, 'message.post', create.id, { wall: 2, counter: 0 }, [create.id], { channel: idFromString(create.id), text: 'one' })
    expect((await r.ingest([m1.bytes], 'peer', { staged: true }))[0].status).toBe('applied')
    expect(staged).toEqual([m1.id])
    expect(durable).toEqual([])
    let readDone = false
    void read?.then(() => { readDone = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(readDone).toBe(false)
    release()
    const [messages, bytes] = await (read as NonNullable<typeof read>)
    expect(messages.map(m => m.payload.text)).toEqual(['one'])
    expect(Buffer.from(bytes as Uint8Array).equals(Buffer.from(m1.bytes))).toBe(true)
    expect(durable).toEqual([m1.id])
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
    const dir = await tempDir()
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
})
