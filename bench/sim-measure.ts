/**
 * Measured inputs and a check of the scale model (bench/sim-model.ts):
 * - `opSizes`: encoded sizes of real ops written by the client (a 60-character message, public and
 *   sealed in a private space) and the bytes LevelDB holds per op (data dir size / ops);
 * - `gossipCheck`: an in-process GossipSub network of our node configuration (src/net/node.ts) on
 *   loopback, counting at every node the full messages and IHAVE ids received per second, to set
 *   beside the model's prediction for the same n, connections and rate.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { createNode, type SpacewayNode } from '../src/net/node.js'

/** Total size of the files under `dir`, bytes. */
async function du (dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    total += e.isDirectory() ? await du(p) : (await stat(p)).size
  }
  return total
}

/** Sizes in bytes: one message op (public, sealed), a member.join, and LevelDB bytes per message op. */
export interface OpSizes { publicMsg: number, sealedMsg: number, storedPerOpPublic: number, storedPerOpSealed: number, n: number }

const TEXT = 'the quick brown fox jumps over the lazy dog, twice; ok? 1234' // 60 characters

/** Writes `n` 60-character messages in a public and in a private space (one client each, no peers) and measures. */
export async function opSizes (n = 2000): Promise<OpSizes> {
  const dir = await mkdtemp(join(tmpdir(), 'spaceway-sim-'))
  try {
    const one = async (name: string, pub: boolean): Promise<[number, number]> => {
      const app = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
      await actions.spaceCreate(app, name, pub)
      const before = await du(join(dir, `${name}.key.data`))
      let last = ''
      for (let i = 0; i < n; i++) last = (await actions.send(app, TEXT)).id
      const bytes = (await app.store.getBytes(last))?.length ?? Number.NaN
      await app.stop()
      return [bytes, (await du(join(dir, `${name}.key.data`)) - before) / n]
    }
    const [publicMsg, storedPerOpPublic] = await one('public', true)
    const [sealedMsg, storedPerOpSealed] = await one('private', false)
    return { publicMsg, sealedMsg, storedPerOpPublic, storedPerOpSealed, n }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What the measured network did, per node per second, and its shape. */
export interface GossipMeasure { n: number, rate: number, seconds: number, meanConnections: number, meanMesh: number, copiesPerMsg: number, msgsIn: number, ihaveIn: number, idsIn: number, iwantIds: number, delivered: number }

/**
 * `n` nodes of our configuration; each dials `dials` others at random (plus its ring neighbour, so
 * the graph is connected); all subscribe one topic; once every mesh has at least D_lo peers and two
 * heartbeats passed, `rate` messages/s of `size` random bytes are published from random nodes for
 * `seconds`. Receipts are counted by wrapping GossipSub's handleReceivedRpc (every RPC a node reads).
 */
export async function gossipCheck (n = 24, dials = 3, rate = 10, seconds = 10, size = 300): Promise<GossipMeasure> {
  const nodes: SpacewayNode[] = []
  const counts = Array.from({ length: n }, () => ({ msgs: 0, ihave: 0, ids: 0, iwant: 0, delivered: 0 }))
  let counting = false
  const topic = '/sim/1'
  try {
    for (let i = 0; i < n; i++) {
      const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', mdns: false, trustLoopback: true })
      await node.start()
      nodes.push(node)
      const ps = node.services.pubsub as any
      const orig = ps.handleReceivedRpc.bind(ps)
      ps.handleReceivedRpc = async (from: unknown, rpc: any): Promise<void> => {
        if (counting) {
          counts[i].msgs += rpc.messages?.length ?? 0
          for (const h of rpc.control?.ihave ?? []) { counts[i].ihave++; counts[i].ids += h.messageIDs?.length ?? 0 }
          for (const w of rpc.control?.iwant ?? []) counts[i].iwant += w.messageIDs?.length ?? 0
        }
        await orig(from, rpc)
      }
      node.services.pubsub.addEventListener('message', () => { if (counting) counts[i].delivered++ })
      node.services.pubsub.subscribe(topic)
    }
    // undirected edges (ring + random), each dialed once: two nodes dialing each other at the same
    // moment can stall both dials until their deadline
    const edges = new Set<string>()
    for (let i = 0; i < n; i++) {
      edges.add(`${Math.min(i, (i + 1) % n)}-${Math.max(i, (i + 1) % n)}`)
      for (let k = 0; k < dials; k++) {
        const j = Math.floor(Math.random() * n)
        if (j !== i) edges.add(`${Math.min(i, j)}-${Math.max(i, j)}`)
      }
    }
    const queue = [...edges].map(e => e.split('-').map(Number))
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let e = queue.shift(); e != null; e = queue.shift()) {
        await nodes[e[0]].dial(nodes[e[1]].getMultiaddrs()[0], { signal: AbortSignal.timeout(20_000) }).catch((err: Error) => { process.stderr.write(`sim: dial failed: ${err.message}\n`) })
      }
    }))
    const meshReady = (): boolean => nodes.every(x => (x.services.pubsub as any).getMeshPeers(topic).length >= 2)
    const end = Date.now() + 30_000
    while (!meshReady() && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 200))
    // two heartbeats (1 s each) for GRAFTs to settle: a rate timer, not ordering
    await new Promise(resolve => setTimeout(resolve, 2500))
    counting = true
    const t0 = Date.now()
    let published = 0
    for (let k = 0; Date.now() - t0 < seconds * 1000; k++) {
      const due = t0 + k * 1000 / rate
      await new Promise(resolve => setTimeout(resolve, Math.max(0, due - Date.now())))
      const data = new Uint8Array(size)
      crypto.getRandomValues(data)
      await nodes[Math.floor(Math.random() * n)].services.pubsub.publish(topic, data).catch(() => null)
      published++
    }
    const elapsed = (Date.now() - t0) / 1000
    // let the last messages and one more heartbeat's gossip arrive, then stop counting
    await new Promise(resolve => setTimeout(resolve, 1000))
    counting = false
    const span = elapsed + 1
    const mean = (f: (c: typeof counts[number]) => number): number => counts.reduce((s, c) => s + f(c), 0) / n
    return {
      n,
      rate,
      seconds: span,
      meanConnections: nodes.reduce((s, x) => s + x.services.pubsub.getSubscribers(topic).length, 0) / n,
      meanMesh: nodes.reduce((s, x) => s + (x.services.pubsub as any).getMeshPeers(topic).length, 0) / n,
      copiesPerMsg: mean(c => c.msgs) / published,
      msgsIn: mean(c => c.msgs) / span,
      ihaveIn: mean(c => c.ihave) / span,
      idsIn: mean(c => c.ids) / span,
      iwantIds: mean(c => c.iwant) / span,
      delivered: mean(c => c.delivered) / Math.max(1, published * (n - 1) / n)
    }
  } finally {
    await Promise.all(nodes.map(async x => { await x.stop() }))
  }
}
