/**
 * 100 peers in one space, in one process (issue 12): real libp2p nodes (src/net/node.ts createNode:
 * TCP on 127.0.0.1, noise, yamux, identify, Kademlia, GossipSub) with the real topic/ingest path
 * (SpaceTopics' validator runs every op through a LevelDB-backed Replica before GossipSub accepts
 * and forwards it) and the real Bootstrapper. Not 100 App instances: an App adds the UI-facing
 * state, relays, announcer and key manager, none of which a message or a lookup passes through,
 * and 100 of them do not start on 2 cores in a CI-sized budget.
 *
 * Figures: time from a node's bootstrap (3 random other peers, as `--bootstrap` gives a new user)
 * to a non-empty routing table; publish -> delivered at every other peer (author + sign + store +
 * publish, then the receiver's validation and durable store, per receiver); hops of DHT lookups
 * (src/dht/query-hops.ts). `npm run bench -- scale` prints them; test/integration/scale-100.test.ts
 * asserts them.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { DHT_PROTOCOL, createNode, type SpacewayNode } from '../src/net/node.js'
import { SpaceTopics, spaceTopic } from '../src/net/topics.js'
import { Replica } from '../src/replica.js'
import { OpStore } from '../src/store/op-store.js'
import { Signer } from '../src/core/signing.js'
import { createOp } from '../src/core/op.js'
import { idFromString } from '../src/core/ids.js'
import { Bootstrapper, tableSize } from '../src/dht/bootstrapper.js'
import { PeerPool, type PeerRecord } from '../src/dht/peer-pool.js'
import { spaceCid } from '../src/dht/records.js'
import { HopCounter, type LookupHops } from '../src/dht/query-hops.js'
import { percentile } from '../src/dht/stats.js'
import type { Sub } from '../src/store/op-store.js'

/** One peer of the network. */
export interface ScalePeer {
  node: SpacewayNode
  signer: Signer
  store: OpStore
  replica: Replica
  topics: SpaceTopics
  bootstrapper?: Bootstrapper
}

export interface ScaleOptions {
  /** Peers (default 100). */
  peers?: number
  /** Peers each one bootstraps from (default 3). */
  bootstrapFrom?: number
  /** Peers that arrive (start and bootstrap) at once (default 10). */
  wave?: number
  /** Messages published, round robin over `publishers` (default 20, 5). */
  messages?: number
  publishers?: number
  /** Provider lookups and peer lookups, each from a random peer (default 10 each). */
  lookups?: number
  /** Progress lines (stderr in the bench). */
  log?: (line: string) => void
}

/** What a run measured. Times in ms. */
export interface ScaleFigures {
  peers: number
  /** Per peer but the seed: bootstrap start -> non-empty routing table (missing: not within 10 s). */
  tableFillMs: number[]
  /** Peers (the seed included) whose table was empty once every peer had bootstrapped. */
  tablesEmpty: number
  /** Per message and receiver: publish -> delivered (validated and stored). */
  deliveryMs: number[]
  /** Per message: publish -> the last receiver has it. */
  allReachedMs: number[]
  /** Message deliveries that did not happen within the bound. */
  undelivered: number
  /** Provider lookups (a space's CID) and peer lookups (closest peers to a PeerId). */
  providerHops: LookupHops[]
  peerHops: LookupHops[]
  /** Mean connections per peer when messages were sent. */
  connectionsPerPeer: number
  /** GossipSub mesh size per peer for the space's topic (min, p50, max). */
  mesh: [number, number, number]
}

/** A PeerPool store in memory (the pool starts empty, as a new user's does). */
function memorySub (): Sub<PeerRecord> {
  const m = new Map<string, PeerRecord>()
  return {
    get: async (k) => m.get(k),
    getMany: async (ks) => ks.map(k => m.get(k)),
    put: async (k, v) => { m.set(k, v) },
    del: async (k) => { m.delete(k) },
    iterator: async function * () { yield * m.entries() },
    keys: async function * () { yield * m.keys() },
    clear: async () => { m.clear() }
  }
}

const table = (n: SpacewayNode): EventTarget & { size: number, kBucketSize: number, closestPeers: (id: Uint8Array, o: { count: number }) => PeerId[], add: (p: PeerId, o?: { signal?: AbortSignal }) => Promise<void> } =>
  (n.services.dht as unknown as { routingTable: any }).routingTable

/** Resolves once `check()` holds, re-checking on `events` of `target` and every `everyMs`; false after `ms`. */
async function waitFor (check: () => boolean, ms: number, target?: EventTarget, events: string[] = [], everyMs = 50): Promise<boolean> {
  if (check()) return true
  return await new Promise<boolean>(resolve => {
    const done = (ok: boolean): void => {
      clearTimeout(bound); clearInterval(poll)
      for (const e of events) target?.removeEventListener(e, on)
      resolve(ok)
    }
    const on = (): void => { if (check()) done(true) }
    const bound = setTimeout(() => done(check()), ms)
    const poll = setInterval(on, everyMs)
    for (const e of events) target?.addEventListener(e, on)
  })
}

/**
 * Starts `n` peers (listening, subscribed to `spaceId`'s topic, holding its first ops); peer i
 * authors as `signers[i]` where given (the space's creator and members), else as its node key.
 */
async function startPeers (dir: string, n: number, genesis: Uint8Array[], spaceId: string, signers: Signer[]): Promise<ScalePeer[]> {
  const peers: ScalePeer[] = []
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair('Ed25519')
    const signer = signers[i] ?? new Signer(key.raw.subarray(0, 32), key.publicKey.raw)
    const node = await createNode({ privateKey: key, host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
    const store = await OpStore.open(join(dir, `scale-${i}`))
    const replica = new Replica(store, signer)
    await replica.init()
    await replica.want(spaceId)
    await replica.ingest(genesis)
    const topics = new SpaceTopics(node, replica)
    // as App.wireEvents: every identified peer that speaks our DHT enters the routing table
    node.addEventListener('peer:identify', (evt) => {
      if (evt.detail.protocols.includes(DHT_PROTOCOL)) table(node).add(evt.detail.peerId, { signal: AbortSignal.timeout(10_000) }).catch(() => {})
    })
    await node.start()
    topics.subscribe(spaceId)
    peers.push({ node, signer, store, replica, topics })
  }
  return peers
}

/** Stops every peer and closes its store. */
export async function stopPeers (peers: ScalePeer[]): Promise<void> {
  await Promise.all(peers.map(async p => {
    p.bootstrapper?.stop()
    await Promise.resolve(p.node.stop()).catch(() => {})
    await p.store.close().catch(() => {})
  }))
}

/** The key a lookup walks towards, as kad-dht hashes it (utils.js convertBuffer). */
function kadId (key: Uint8Array): Uint8Array {
  return createHash('sha256').update(key).digest()
}

/** Runs one lookup from `from` for `key`, counting hops (events of kad-dht's own query). */
async function lookup (from: SpacewayNode, key: Uint8Array, events: (signal: AbortSignal) => AsyncIterable<any>, isAnswer: (e: any) => boolean): Promise<LookupHops> {
  const starting = table(from).closestPeers(kadId(key), { count: table(from).kBucketSize })
  const hops = new HopCounter(starting, isAnswer)
  try {
    for await (const e of events(AbortSignal.timeout(10_000))) {
      if (e.name === 'PEER_RESPONSE' && e.from.equals(from.peerId)) { if (isAnswer(e)) hops.heldLocally(); continue }
      hops.observe(e)
    }
  } catch {
    // out of time: the hops so far (an answer not found counts as null)
  }
  return hops.result()
}

/**
 * Builds the network and measures it. `dir` holds the peers' stores. Returns the figures and the
 * peers (the caller stops them with stopPeers).
 */
export async function scaleRun (dir: string, options: ScaleOptions = {}): Promise<{ figures: ScaleFigures, peers: ScalePeer[] }> {
  const n = options.peers ?? 100
  const cpu0 = process.cpuUsage()
  const log = options.log ?? (() => {})
  // each progress line with the CPU time this process spent so far (the run is one event loop)
  const say = (line: string): void => { const c = process.cpuUsage(cpu0); log(`${line} [cpu ${((c.user + c.system) / 1e6).toFixed(1)} s]`) }
  // the space: created by peer 0's signer, joined by the publishers (given to every peer up front,
  // as peers that already hold the space)
  const publishers = Math.min(options.publishers ?? 5, n)
  const keys = await Promise.all(Array.from({ length: publishers }, async () => await generateKeyPair('Ed25519')))
  const signers = keys.map(k => new Signer(k.raw.subarray(0, 32), k.publicKey.raw))
  const hlc = { wall: Date.now(), counter: 0 }
  const create = createOp({ type: 'space.create', space: null, hlc, deps: [], payload: { name: 'scale', nonce: new Uint8Array(16).fill(7), public: true } }, signers[0])
  const joins = signers.slice(1).map(s => createOp({ type: 'member.join', space: idFromString(create.id), hlc: { wall: hlc.wall + 1, counter: 0 }, deps: [idFromString(create.id)], payload: { invite: null, proof: null } }, s))
  const spaceId = create.id
  const topic = spaceTopic(spaceId)

  let t = performance.now()
  const peers = await startPeers(dir, n, [create.bytes, ...joins.map(j => j.bytes)], spaceId, signers)
  say(`started ${n} peers in ${(performance.now() - t).toFixed(0)} ms`)

  // Peers arrive in waves of `wave` at once; each bootstraps from `from` random peers already in
  // the network, as a new user's client does at start with `--bootstrap`. Peer 0 is the seed (it has
  // nobody to bootstrap from: its table fills when the first wave dials it).
  const from = options.bootstrapFrom ?? 3
  const wave = options.wave ?? 10
  const filled: number[] = []
  t = performance.now()
  for (let first = 1; first < n; first += wave) {
    await Promise.all(peers.slice(first, first + wave).map(async (p) => {
      const others = new Set<number>()
      while (others.size < Math.min(from, first)) others.add(Math.floor(Math.random() * first))
      p.bootstrapper = new Bootstrapper(p.node, new PeerPool(memorySub()), { bootstrap: [...others].map(j => peers[j].node.getMultiaddrs()[0].toString()) })
      const t0 = performance.now()
      p.bootstrapper.start()
      if (await waitFor(() => tableSize(p.node) > 0, 10_000, table(p.node), ['peer:add'])) filled.push(performance.now() - t0)
    }))
  }
  const tableFillMs = filled
  const tablesEmpty = peers.filter(p => tableSize(p.node) === 0).length
  say(`${n - 1} peers bootstrapped in waves of ${wave} in ${(performance.now() - t).toFixed(0)} ms (max per peer ${Math.max(...tableFillMs).toFixed(0)} ms), ${tablesEmpty} tables empty`)

  // the mesh: every peer has a mesh peer for the topic (GossipSub heartbeats build it, 1 s apart)
  const meshOf = (p: ScalePeer): number => p.topics.meshPeers(spaceId).length
  t = performance.now()
  await waitFor(() => peers.every(p => meshOf(p) > 0 && p.node.services.pubsub.getSubscribers(topic).length > 0), 20_000, undefined, [], 100)
  say(`every peer has a mesh in ${(performance.now() - t).toFixed(0)} ms`)

  // DHT lookups: providers of the space (peer 0 provides its CID), and peers (closest to a PeerId)
  const cid = await spaceCid(spaceId)
  try {
    for await (const _ of peers[0].node.services.dht.provide(cid, { signal: AbortSignal.timeout(15_000) })) { /* run to the end */ }
  } catch (err) {
    say(`provide: ${(err as Error).message}`)
  }
  const lookups = options.lookups ?? 10
  const providerHops: LookupHops[] = []
  const peerHops: LookupHops[] = []
  for (let k = 0; k < lookups; k++) {
    const q = peers[1 + Math.floor(Math.random() * (n - 1))].node
    providerHops.push(await lookup(q, cid.multihash.bytes, s => q.services.dht.findProviders(cid, { signal: s }), e => e.providers.length > 0))
    let target = q.peerId
    while (target.equals(q.peerId)) target = peers[Math.floor(Math.random() * n)].node.peerId
    const key = target.toMultihash().bytes
    peerHops.push(await lookup(q, key, s => q.services.dht.getClosestPeers(key, { signal: s }), e => e.from.equals(target) || e.closer.some((c: { id: PeerId }) => c.id.equals(target))))
  }
  say(`lookups done: provider hops ${providerHops.map(h => h.answer).join(',')}; peer hops ${peerHops.map(h => h.answer).join(',')}`)

  // messages: each from one of the publishers (peers 0..publishers-1), to every other peer
  const deliveryMs: number[] = []
  const allReachedMs: number[] = []
  let undelivered = 0
  const messages = options.messages ?? 20
  const connections = peers.reduce((s, p) => s + p.node.getConnections().length, 0) / n
  const meshes = peers.map(meshOf).sort((a, b) => a - b)
  for (let m = 0; m < messages; m++) {
    const k = m % publishers
    const got = new Map<number, number>()
    let pending: Uint8Array | null = null
    let t0 = 0
    const offs = peers.map((p, i) => {
      const on = (evt: any): void => {
        if (i === k || got.has(i) || pending == null || evt.detail.topic !== topic) return
        if (Buffer.compare(evt.detail.data, pending) === 0) got.set(i, performance.now() - t0)
      }
      p.node.services.pubsub.addEventListener('message', on)
      return () => { p.node.services.pubsub.removeEventListener('message', on) }
    })
    t0 = performance.now()
    const op = await peers[k].replica.author('message.post', spaceId, { channel: idFromString(spaceId), text: `message ${m} from publisher ${k}` })
    pending = op.bytes
    await peers[k].topics.publish(op)
    await waitFor(() => got.size >= n - 1, 5000, undefined, [], 5)
    for (const off of offs) off()
    deliveryMs.push(...got.values())
    undelivered += n - 1 - got.size
    if (got.size === n - 1) allReachedMs.push(Math.max(...got.values()))
  }
  say(`messages done: p99 ${percentile(deliveryMs, 99)?.toFixed(1)} ms, undelivered ${undelivered}`)
  const figures: ScaleFigures = {
    peers: n,
    tableFillMs,
    tablesEmpty,
    deliveryMs,
    allReachedMs,
    undelivered,
    providerHops,
    peerHops,
    connectionsPerPeer: connections,
    mesh: [meshes[0], meshes[Math.floor(n / 2)], meshes[n - 1]]
  }
  return { figures, peers }
}

type Report = (name: string, value: string) => void
const f = (x: number | null | undefined): string => x == null ? '-' : x.toFixed(1)

/** `npm run bench -- scale`: the figures of one 100-peer run. */
export async function scaleBench (dir: string, report: Report): Promise<void> {
  const { figures: s, peers } = await scaleRun(dir, { log: (l) => { process.stderr.write(`scale: ${l}\n`) } })
  try {
    const hops = (hs: LookupHops[]): string => {
      const a = hs.map(h => h.answer).filter((x): x is number => x != null)
      const d = hs.map(h => h.depth)
      return `answer p50 ${f(percentile(a, 50))} / max ${Math.max(...a)}, walk depth max ${Math.max(...d)} (n=${hs.length}, bound ceil(log2 ${s.peers}) = ${Math.ceil(Math.log2(s.peers))})`
    }
    report(`scale ${s.peers}: bootstrap -> table non-empty (p50/p99/max)`, `${f(percentile(s.tableFillMs, 50))} / ${f(percentile(s.tableFillMs, 99))} / ${f(Math.max(...s.tableFillMs))} ms, ${s.tablesEmpty} empty`)
    report(`scale ${s.peers}: publish -> delivered (p50/p99/max)`, `${f(percentile(s.deliveryMs, 50))} / ${f(percentile(s.deliveryMs, 99))} / ${f(Math.max(...s.deliveryMs))} ms, ${s.undelivered} undelivered`)
    report(`scale ${s.peers}: publish -> all ${s.peers - 1} have it (p50/max)`, `${f(percentile(s.allReachedMs, 50))} / ${f(Math.max(...s.allReachedMs))} ms (n=${s.allReachedMs.length})`)
    report(`scale ${s.peers}: provider lookup hops`, hops(s.providerHops))
    report(`scale ${s.peers}: peer lookup hops`, hops(s.peerHops))
    report(`scale ${s.peers}: connections per peer, mesh (min/p50/max)`, `${s.connectionsPerPeer.toFixed(1)}, ${s.mesh.join(' / ')}`)
  } finally {
    await stopPeers(peers)
  }
}
