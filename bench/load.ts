/**
 * `npm run bench -- load` (issue 12): figures under load.
 *
 * - Ingest cost per op on one replica, in-process (no network): ops arriving one by one as live
 *   gossip does (many in flight), and in sync batches of 64. CPU is the whole process's (main thread
 *   plus the signature worker), so the figure is what an op costs the machine, not one thread.
 * - The CPU of one Ed25519 signature check, and the end-to-end rate that checking alone allows:
 *   each message is checked by 10 processes (9 clients and the relay), so at most
 *   cores / (10 x check) messages/s, with no network, storage or UI work at all.
 * - Throughput: 10 publishing client processes and one relay process in one public space; every
 *   publisher sends its share at once. Measured: the time until every client has received every
 *   other client's messages (their `message` events) and the relay holds all of them; the relay's
 *   and the clients' CPU per op from /proc/<pid>/stat. 12 processes share the machine's cores, so the
 *   end-to-end figure is bounded by the sum of everybody's CPU per op, not by one process.
 *
 * Targets (issue 12): >= 1,000 messages/s end to end with zero loss; relay CPU <= 0.5 ms per stored
 * op; client ingest <= 0.25 ms per op in batches.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { idFromString } from '../src/core/ids.js'
import { decodeOp, verifyOps } from '../src/core/op.js'
import { Signer } from '../src/core/signing.js'
import { Replica } from '../src/replica.js'
import { OpStore } from '../src/store/op-store.js'
import { LineClient } from './line-client.js'
import { startRelay } from './relay.js'

type Report = (name: string, value: string) => void

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
export async function cpuSeconds (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Waits (bounded) until `check` holds, re-checking every 50 ms. */
async function until (check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`load bench: ${what} not reached in ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** `n` signed message ops of one public space (its `space.create` first), authored in a scratch store. */
async function makeOps (dir: string, n: number): Promise<{ spaceId: string, ops: Uint8Array[] }> {
  const store = await OpStore.open(join(dir, 'load-author'))
  const replica = new Replica(store, Signer.fromSeed(new Uint8Array(randomBytes(32))))
  try {
    const create = await replica.author('space.create', null, { name: 'load', public: true, nonce: Replica.nonce() })
    const channel = idFromString(create.spaceId)
    const ops = [create.bytes]
    for (let i = 0; i < n; i++) ops.push((await replica.author('message.post', create.spaceId, { channel, text: `message number ${i} with some ordinary chat text` })).bytes)
    return { spaceId: create.spaceId, ops }
  } finally {
    await replica.close()
    await store.close()
  }
}

/** CPU ms per op and wall ms for one fresh replica ingesting `ops` the way `mode` says. */
async function ingestRun (dir: string, name: string, spaceId: string, ops: Uint8Array[], mode: 'gossip' | number): Promise<{ cpuPerOp: number, wallMs: number }> {
  const store = await OpStore.open(join(dir, name))
  const replica = new Replica(store, Signer.fromSeed(new Uint8Array(randomBytes(32))))
  try {
    await replica.want(spaceId)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    if (mode === 'gossip') {
      // as GossipSub's validators call it: one op per call, many calls in flight
      await Promise.all(ops.map(async b => await replica.ingest([b], 'peer')))
    } else {
      for (let i = 0; i < ops.length; i += mode) await replica.ingest(ops.slice(i, i + mode), 'peer')
    }
    const wallMs = performance.now() - t0
    const c = process.cpuUsage(c0)
    const held = store.spaces.get(spaceId)?.size ?? 0
    if (held !== ops.length) throw new Error(`load bench: ingest (${String(mode)}) applied ${held} of ${ops.length} ops`)
    return { cpuPerOp: (c.user + c.system) / 1000 / ops.length, wallMs }
  } finally {
    await replica.close()
    await store.close()
  }
}

async function ingestBench (dir: string, report: Report): Promise<void> {
  const N = 10_000
  const { spaceId, ops } = await makeOps(dir, N)
  let run = 0
  for (const mode of ['gossip', 64] as const) {
    const runs: Array<{ cpuPerOp: number, wallMs: number }> = []
    for (let k = 0; k < 3; k++) runs.push(await ingestRun(dir, `load-ingest-${run++}`, spaceId, ops, mode))
    runs.sort((a, b) => a.cpuPerOp - b.cpuPerOp)
    const mid = runs[1]
    const label = mode === 'gossip' ? 'one by one (as gossip)' : `in batches of ${mode}`
    report(`client ingest, ${label} (CPU/op, median of 3)`, `${mid.cpuPerOp.toFixed(3)} ms (${(ops.length / mid.wallMs * 1000).toFixed(0)} ops/s wall)`)
  }
  // Every receiver checks every op's Ed25519 signature (no peer is trusted to have done it), so with
  // 10 publishers + 1 relay each message is checked 10 times somewhere on this machine: that alone
  // caps the end-to-end rate at cores / (10 x check), before any network or storage work.
  const decoded = ops.map(b => decodeOp(b, { verify: false }))
  const c0 = process.cpuUsage()
  verifyOps(decoded)
  const c = process.cpuUsage(c0)
  const checkMs = (c.user + c.system) / 1000 / decoded.length
  const cores = availableParallelism()
  report('Ed25519 check per op; the ceiling it sets (10 checks per message)', `${(checkMs * 1000).toFixed(0)} us; ${(cores / (10 * checkMs) * 1000).toFixed(0)} msg/s on ${cores} cores with no other work`)
}

async function throughputBench (dir: string, report: Report): Promise<void> {
  const relayDir = join(dir, 'load-relay')
  await mkdir(relayDir, { recursive: true })
  const relay = await startRelay(relayDir, ['--max-op-rate', '100000', '--max-reservations-per-ip', '1000'])
  const publishers = 10
  const perClient = Number(process.env.LOAD_PER_CLIENT ?? 300)
  const clients = Array.from({ length: publishers }, (_, i) => new LineClient(['--account', join(dir, `load-pub-${i}.key`), '--relay', relay.addr]))
  try {
    await Promise.all(clients.map(async c => await c.ready))
    const spacesBefore = (await relay.health()).spaces
    const created = await clients[0].run('space create busy --public')
    const spaceId = created.data.spaceId as string
    await until(async () => (await relay.health()).spaces > spacesBefore, 10_000, 'the relay holding the space')
    for (const c of clients.slice(1)) {
      const joined = await c.run(`join ${spaceId}`)
      if (joined.ok !== true) throw new Error(`a publisher could not join: ${JSON.stringify(joined.error)}`)
    }
    // before the burst, every client has a GossipSub mesh for the space's topic
    await Promise.all(clients.map(async c => await c.until(net => (net.spaces.find((x: any) => x.spaceId === spaceId)?.meshPeers ?? 0) > 0, 30_000)))
    const total = publishers * perClient
    const received = clients.map(() => 0)
    const sent = clients.map(() => 0)
    const failed: string[] = []
    const offs = clients.map((c, i) => c.on(l => {
      if (l.type === 'event' && l.event === 'message' && l.data.spaceId === spaceId) received[i]++
      else if (l.type === 'result' && l.cmd === 'send') {
        if (l.ok === true) sent[i]++
        else failed.push(`${l.error?.code as string}: ${l.error?.message as string}`)
      }
    }))
    const relayBefore = (await relay.health()).ops
    const relayCpu0 = await relay.cpuS()
    const clientCpu0 = await Promise.all(clients.map(async c => await cpuSeconds(c.child.pid as number)))
    const t0 = performance.now()
    for (const [i, c] of clients.entries()) c.write(Array.from({ length: perClient }, (_, k) => `send client ${i} message ${k}`).join('\n'))
    let relayDone = 0
    let clientsDone = 0
    const expected = total - perClient
    try {
      await until(async () => {
        if (relayDone === 0 && (await relay.health()).ops >= relayBefore + total) relayDone = performance.now()
        if (clientsDone === 0 && received.every(n => n >= expected)) clientsDone = performance.now()
        return relayDone > 0 && clientsDone > 0
      }, 180_000, 'every message everywhere')
    } catch (err) {
      report('throughput, 10 publishers + relay', `INCOMPLETE: relay +${(await relay.health()).ops - relayBefore} of ${total}; clients received ${received.join(', ')} of ${expected} each; sends ok ${sent.join(', ')}; ${failed.length} failed${failed.length > 0 ? ` (first: ${failed[0]})` : ''}`)
      throw err
    }
    offs.forEach(off => { off() })
    const end = Math.max(relayDone, clientsDone)
    const secs = (end - t0) / 1000
    const relayCpu = (await relay.cpuS() - relayCpu0) * 1000 / total
    const clientCpu = (await Promise.all(clients.map(async (c, i) => await cpuSeconds(c.child.pid as number) - clientCpu0[i]))).reduce((a, b) => a + b, 0) * 1000
    report('throughput, 10 publisher processes + 1 relay', `${(total / secs).toFixed(0)} msg/s end to end (${total} messages everywhere in ${secs.toFixed(2)} s; relay had all at ${((relayDone - t0) / 1000).toFixed(2)} s)`)
    report('relay CPU per stored op (10 publishers)', `${relayCpu.toFixed(3)} ms`)
    // each client signs and publishes its own share and ingests everybody else's
    report('client CPU per op received (10 publishers)', `${(clientCpu / (publishers * expected)).toFixed(3)} ms (sign, publish, gossip, ingest, events; all clients' CPU / ops received)`)
  } finally {
    await Promise.all(clients.map(async c => await c.stop()))
    await relay.stop()
  }
}

/** The `load` part of `npm run bench`. */
export async function loadBench (dir: string, report: Report): Promise<void> {
  await ingestBench(dir, report)
  await throughputBench(dir, report)
}
