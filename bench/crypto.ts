/**
 * `npm run bench -- crypto`: the cost of private spaces (issue 10). Public and private spaces are
 * measured side by side in the same build, so each figure has its unencrypted twin beside it.
 *   - per-message overhead: encoded op size of a message, public vs private (bytes), and the CPU
 *     of sealing and opening one body (XChaCha20-Poly1305 with HKDF-derived channel key);
 *   - send -> delivered p50/p99 between two in-process clients on loopback (target: private within
 *     10% of public);
 *   - 10,000-op catch-up of a late joiner, and then opening every message (target: within 20%);
 *   - a kick with re-key at 10 / 100 / 1,000 members: `key.rotate` size, time to create it (one
 *     HPKE box per member, RFC 9180), time for a member to process it (validate the recipients,
 *     open its box and the history bundle). Targets at 1,000 members: <= 2 s to create, <= 50 ms to
 *     open, <= 100 KB.
 */
import { joinSpace } from '../src/net/join-service.js'
import '../src/polyfill.js'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { createInvite } from '../src/member-actions.js'
import { deriveEncryptionKey, keyIdOf } from '../src/core/crypto.js'
import { openPayload, sealPayload } from '../src/core/envelope.js'
import { idFromString, idToString } from '../src/core/ids.js'
import { inviteProof } from '../src/core/invite.js'
import { createOp, type Op, type OpType, type Payloads } from '../src/core/op.js'
import { Signer } from '../src/core/signing.js'
import type { SpaceState } from '../src/core/space-state.js'
import { KeyManager } from '../src/key-manager.js'
import { Replica } from '../src/replica.js'
import { KeyRing } from '../src/store/keyring.js'
import { OpStore } from '../src/store/op-store.js'

type Report = (name: string, value: string) => void

const TEXT = 'message number 1234 with some ordinary chat text'
const ms = (x: number): string => `${x.toFixed(2)} ms`
const us = (x: number): string => `${(x * 1000).toFixed(1)} us`

function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]
}

/** A replica with its key ring and key manager on a fresh data dir (no network). */
interface Peer { store: OpStore, replica: Replica, ring: KeyRing, keys: KeyManager, signer: Signer, work: Set<Promise<void>> }

async function peer (dir: string): Promise<Peer> {
  const signer = Signer.fromSeed(new Uint8Array(randomBytes(32)))
  const seed = new Uint8Array(randomBytes(32))
  const store = await OpStore.open(await mkdtemp(join(dir, 'peer-')))
  const replica = new Replica(store, signer)
  await replica.init()
  const ring = new KeyRing(store.jsonSublevel('keys'), seed)
  await ring.load()
  store.setKeys(ring)
  // keys are handed out by the bench, not by back-off timers
  const keys = await KeyManager.create(replica, ring, seed, idToString(signer.publicKey), { autoShare: false })
  const work = new Set<Promise<void>>()
  replica.on('op', (op, local) => {
    const state = store.spaces.get(op.spaceId)
    if (state == null) return
    const w = keys.onOp(op, state, local)
    work.add(w)
    void w.finally(() => work.delete(w))
  })
  return { store, replica, ring, keys, signer, work }
}

async function idle (p: Peer): Promise<void> {
  while (p.work.size > 0) await Promise.all([...p.work])
}

async function close (...peers: Peer[]): Promise<void> {
  for (const p of peers) { p.keys.stop(); await p.replica.close(); await p.store.close() }
}

/** A private space created by `p` the way `space create` does it: sealed name, first epoch. */
async function privateSpace (p: Peer, name: string): Promise<SpaceState> {
  const secret = p.keys.newSecret()
  const plain = { nonce: Replica.nonce(), public: false as const, history: 'full' as const, enc: p.keys.enc.publicKey }
  const op = await p.replica.author('space.create', null, plain as unknown as Payloads['space.create'], { seal: await p.keys.sealer(null, 'space.create', plain, { name }, secret) })
  await p.keys.keep(op.spaceId, secret)
  const state = p.store.spaces.get(op.spaceId) as SpaceState
  await p.keys.rotate(state, secret)
  return state
}

/** Authors like App.author: sealed when the space is. */
async function post (p: Peer, state: SpaceState, text: string): Promise<Op<'message.post'>> {
  const payload = { channel: idFromString(state.info.spaceId), text }
  if (!KeyManager.seals(state)) return await p.replica.author('message.post', state.info.spaceId, payload)
  return await p.replica.author('message.post', state.info.spaceId, payload, { seal: await p.keys.sealer(state, 'message.post', { channel: payload.channel }, { text }) })
}

async function overhead (dir: string, report: Report): Promise<void> {
  const p = await peer(dir)
  const pub = await p.replica.author('space.create', null, { name: 'public', nonce: Replica.nonce(), public: true })
  const pubState = p.store.spaces.get(pub.spaceId) as SpaceState
  const privState = await privateSpace(p, 'private')
  const a = await post(p, pubState, TEXT)
  const b = await post(p, privState, TEXT)
  report(`message op size, ${TEXT.length}-char text (public / private)`, `${a.bytes.length} / ${b.bytes.length} bytes (+${b.bytes.length - a.bytes.length})`)

  // CPU of the body alone: seal (derive channel key, AEAD) and open (derive, AEAD, CBOR, checks)
  const secret = new Uint8Array(randomBytes(32))
  const keyId = keyIdOf(secret)
  const channel = idFromString(privState.info.spaceId)
  const which = { kind: 'channel' as const, channel }
  const N = 10_000
  const env = { type: 'message.post' as OpType, space: channel, author: p.signer.publicKey, hlc: { wall: Date.now(), counter: 0 }, deps: [channel] }
  let t0 = performance.now()
  let payload: Record<string, unknown> = {}
  for (let i = 0; i < N; i++) payload = sealPayload(env, { channel }, { text: TEXT }, secret, keyId, which)
  const sealMs = (performance.now() - t0) / N
  const op = createOp({ type: 'message.post', space: channel, hlc: env.hlc, deps: [channel], payload: payload as unknown as Payloads['message.post'] }, p.signer)
  t0 = performance.now()
  for (let i = 0; i < N; i++) openPayload(op, secret, which)
  const openMs = (performance.now() - t0) / N
  report('seal / open one message body (mean of 10,000)', `${us(sealMs)} / ${us(openMs)}`)

  // the whole authoring path (seal, sign, store), public vs private
  for (const [label, state] of [['public', pubState], ['private', privState]] as const) {
    t0 = performance.now()
    for (let i = 0; i < 2000; i++) await post(p, state, `${TEXT} ${i}`)
    report(`author a message, awaited (${label}, mean of 2,000)`, us((performance.now() - t0) / 2000))
  }
  await close(p)
}

async function delivery (dir: string, report: Report): Promise<void> {
  const apps: App[] = []
  try {
    const start = async (name: string): Promise<App> => {
      const a = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
      apps.push(a)
      return a
    }
    const results: Record<string, number[]> = {}
    // alternate runs so drift of the machine weighs on both alike
    for (const round of [0, 1]) {
      for (const kind of ['public', 'private'] as const) {
        const a = await start(`d-${kind}-${round}-a`)
        const b = await start(`d-${kind}-${round}-b`)
        const { spaceId } = await actions.spaceCreate(a, 'latency', kind === 'public')
        await actions.connect(b, a.addresses()[0])
        if (kind === 'public') await joinSpace(b, spaceId)
        else await joinSpace(b, (await createInvite(a, a.store.spaces.get(spaceId) as SpaceState, 0, 0)).invite)
        await new Promise<void>(resolve => {
          const check = (): void => { if (a.topics.subscribers(spaceId).length > 0) resolve() }
          a.node.services.pubsub.addEventListener('subscription-change', check)
          check()
        })
        results[kind] ??= []
        const lat = results[kind]
        for (let i = 0; i < 150; i++) {
          const text = `m${round}-${i}`
          const got = new Promise<void>(resolve => {
            const on = (m: { text?: string | null }): void => { if (m.text === text) { b.off('message', on); resolve() } }
            b.on('message', on)
          })
          const t0 = performance.now()
          await actions.send(a, text)
          await got
          lat.push(performance.now() - t0)
        }
        for (const x of [a, b]) { await x.stop(); apps.splice(apps.indexOf(x), 1) }
      }
    }
    const [pub, priv] = [results.public, results.private]
    report('send -> delivered, public (p50 / p99, n=300)', `${ms(pct(pub, 50))} / ${ms(pct(pub, 99))}`)
    report('send -> delivered, private (p50 / p99, n=300)', `${ms(pct(priv, 50))} / ${ms(pct(priv, 99))}`)
    report('private / public (p50 / p99)', `${(pct(priv, 50) / pct(pub, 50)).toFixed(2)}x / ${(pct(priv, 99) / pct(pub, 99)).toFixed(2)}x`)
  } finally {
    await Promise.all(apps.map(async a => await a.stop()))
  }
}

async function catchUp (dir: string, report: Report): Promise<void> {
  const N = 10_000
  const figures: Record<string, { sync: number, open: number }> = {}
  for (const kind of ['public', 'private'] as const) {
    const a = await App.start({ account: join(dir, `c-${kind}-a.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
    const b = await App.start({ account: join(dir, `c-${kind}-b.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
    try {
      const { spaceId } = await actions.spaceCreate(a, 'big', kind === 'public')
      const channel = idFromString(spaceId)
      for (let i = 0; i < N; i++) await a.author('message.post', spaceId, { channel, text: `message number ${i} with some ordinary chat text` })
      const invite = kind === 'public' ? spaceId : (await createInvite(a, a.store.spaces.get(spaceId) as SpaceState, 0, 0)).invite
      await actions.connect(b, a.addresses()[0])
      const t0 = performance.now()
      await joinSpace(b, invite)
      await b.sync.syncWith(a.node.peerId, spaceId)
      const sync = performance.now() - t0
      const state = b.store.spaces.get(spaceId) as SpaceState
      const t1 = performance.now()
      const ops = await b.store.messages(spaceId, spaceId, N + 10)
      let read = 0
      for (const op of ops) if (typeof state.openBody(op)?.text === 'string') read++
      const open = performance.now() - t1
      if (read < N) throw new Error(`${kind}: the latecomer read ${read} of ${N} messages`)
      figures[kind] = { sync, open }
      report(`late joiner catch-up, ${kind} (${state.size} ops)`, `${ms(sync)}; then reading all ${read} messages ${ms(open)}`)
    } finally {
      await a.stop()
      await b.stop()
    }
  }
  const total = (k: string): number => figures[k].sync + figures[k].open
  report('catch-up and read, private / public', `${(total('private') / total('public')).toFixed(2)}x`)
}

/** n-1 members join `state` of `owner` through one invite; one of them (`receiver`) runs a key manager. */
async function populate (owner: Peer, receiver: Peer, state: SpaceState, n: number): Promise<Signer[]> {
  const spaceId = state.info.spaceId
  const seed = new Uint8Array(randomBytes(32))
  const inv = await owner.replica.author('invite.create', spaceId, { key: Signer.fromSeed(seed).publicKey, maxUses: 0, expiresAt: 0 })
  const members: Signer[] = []
  let prev = inv.id
  let wall = inv.hlc.wall
  const ops: Uint8Array[] = []
  for (let i = 0; i < n - 2; i++) {
    const s = Signer.fromSeed(new Uint8Array(randomBytes(32)))
    const enc = (await deriveEncryptionKey(new Uint8Array(randomBytes(32)))).publicKey
    const op = createOp({ type: 'member.join', space: idFromString(spaceId), hlc: { wall: ++wall, counter: 0 }, deps: [...new Set([prev, inv.id])].map(idFromString), payload: { invite: idFromString(inv.id), proof: inviteProof(seed, spaceId, s.publicKey), enc } }, s)
    ops.push(op.bytes)
    prev = op.id
    members.push(s)
  }
  await ingestAll(owner, ops)
  // the receiver gets the space so far, then joins with its own key
  await receiver.replica.want(spaceId)
  const held = await owner.store.getOps([...(owner.store.spaces.get(spaceId) as SpaceState).byId.keys()])
  await ingestAll(receiver, [...held.values()].map(o => o.bytes))
  const join = await receiver.replica.author('member.join', spaceId, { invite: idFromString(inv.id), proof: inviteProof(seed, spaceId, receiver.signer.publicKey), enc: receiver.keys.enc.publicKey })
  await ingestAll(owner, [join.bytes])
  await idle(receiver)
  return members
}

async function ingestAll (p: Peer, ops: Uint8Array[]): Promise<void> {
  const res = await p.replica.ingest(ops)
  const bad = res.filter(r => r.status !== 'applied' && r.status !== 'duplicate')
  if (bad.length > 0) throw new Error(`bench ops refused: ${JSON.stringify(bad[0])}`)
}

async function rekey (dir: string, report: Report): Promise<void> {
  for (const n of [10, 100, 1000]) {
    const owner = await peer(dir)
    const receiver = await peer(dir)
    try {
      const state = await privateSpace(owner, `rekey ${n}`)
      const members = await populate(owner, receiver, state, n)
      if (state.members.recipients().length !== n) throw new Error(`expected ${n} members with keys, have ${state.members.recipients().length}`)
      // kick: the removal, then the rotate to everyone left (what `kick` publishes)
      const t0 = performance.now()
      const kick = await owner.replica.author('member.kick', state.info.spaceId, { user: members[0].publicKey })
      const { op: rotate, secret } = await owner.keys.rotate(state)
      const create = performance.now() - t0
      const t1 = performance.now()
      await ingestAll(receiver, [kick.bytes, rotate.bytes])
      await idle(receiver)
      const process = performance.now() - t1
      const rs = receiver.store.spaces.get(state.info.spaceId) as SpaceState
      const keyId = Buffer.from(keyIdOf(secret)).toString('hex')
      if (rs.currentEpoch()?.keyId !== keyId || !receiver.ring.has(keyId)) throw new Error('the receiver did not open the new key')
      report(`kick + re-key at ${n} members: rotate size`, `${(rotate.bytes.length / 1024).toFixed(1)} KiB (${rotate.payload.boxes.length} boxes)`)
      report(`kick + re-key at ${n} members: create / receiver`, `${ms(create)} / ${ms(process)}`)
    } finally {
      await close(owner, receiver)
    }
  }
}

export async function cryptoBench (dir: string, report: Report): Promise<void> {
  const only = process.env.BENCH_PART
  if (only == null || only === 'rekey') await rekey(dir, report)
  if (only == null || only === 'overhead') await overhead(dir, report)
  if (only == null || only === 'delivery') await delivery(dir, report)
  if (only == null || only === 'catch-up') await catchUp(dir, report)
}
