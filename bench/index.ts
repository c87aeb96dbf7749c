/**
 * `npm run bench`: figures for the client on loopback. Prints one line per figure; not a test.
 * Targets (issue 2): space create p99 <= 50 ms; send->delivered p50 <= 10 ms, p99 <= 50 ms and at most
 * 2x a bare GossipSub publish->receive; 10,000-op catch-up <= 3 s; start-up <= 1.5 s.
 */
import { joinSpace } from '../src/net/join-service.js'
import '../src/polyfill.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { randomBytes } from 'node:crypto'
import { idFromString } from '../src/core/ids.js'
import { createOp } from '../src/core/op.js'
import { Signer } from '../src/core/signing.js'
import { createNode } from '../src/net/node.js'
import { dhtBench } from './dht.js'
import { relayBench } from './relay.js'
import { LineClient } from './line-client.js'
import { dhtProcessBench } from './dht-procs.js'
import { scaleProcsBench } from './scale-procs.js'
import { idleBench } from './idle.js'
import { churnBench } from './churn.js'
import { membersBench } from './members.js'
import { hostileBench } from './hostile.js'
import { cryptoBench } from './crypto.js'
import { uiBench } from './ui.js'
import { loadBench } from './load.js'
import { openBench } from './open.js'
import { Recorder } from './results.js'
import { scaleBench } from './scale.js'


function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]
}
const recorder = new Recorder(process.argv[2] ?? 'all')
function report (name: string, value: string): void {
  process.stdout.write(`${name.padEnd(48)} ${value}\n`)
  recorder.add(name, value)
}
const ms = (x: number): string => `${x.toFixed(2)} ms`

let dir = ''
const apps: App[] = []
async function app (name: string): Promise<App> {
  const a = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
  apps.push(a)
  return a
}

async function startup (): Promise<void> {
  const times: number[] = []
  let rss = 0
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    const client = new LineClient(['--account', join(dir, `s${i}.key`)])
    await client.ready
    times.push(performance.now() - t0)
    if (i === 4) {
      // idle: give it a moment of nothing, bounded, then read its resident set size
      await new Promise(resolve => setTimeout(resolve, 1000))
      const status = await readFile(`/proc/${client.child.pid}/status`, 'utf8').catch(() => '')
      rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
    }
    await client.stop()
  }
  report('start-up to ready (process, p50 / max of 5)', `${ms(pct(times, 50))} / ${ms(Math.max(...times))}`)
  report('idle RSS (process)', `${rss.toFixed(0)} MiB`)
}

async function spaceCreate (): Promise<void> {
  const a = await app('creator')
  const lat: number[] = []
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now()
    await actions.spaceCreate(a, `s${i}`, true)
    lat.push(performance.now() - t0)
  }
  report('space create, alone (p50 / p99, n=200)', `${ms(pct(lat, 50))} / ${ms(pct(lat, 99))}`)
  // a fresh pair, so the first node's 200 queued announcements do not weigh on this figure
  const c = await app('creator-2')
  const b = await app('creator-peer')
  await actions.connect(b, c.addresses()[0])
  const lat2: number[] = []
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now()
    await actions.spaceCreate(c, `t${i}`, true)
    lat2.push(performance.now() - t0)
  }
  report('space create, one peer connected (p50 / p99)', `${ms(pct(lat2, 50))} / ${ms(pct(lat2, 99))}`)
  // their 400 background announcements must not weigh on the next figures
  for (const x of [a, b, c]) { await x.stop(); apps.splice(apps.indexOf(x), 1) }
}

async function bareGossip (n: number): Promise<number[]> {
  const [ka, kb] = [await generateKeyPair('Ed25519'), await generateKeyPair('Ed25519')]
  const a = await createNode({ privateKey: ka, host: '127.0.0.1', mdns: false, trustLoopback: true })
  const b = await createNode({ privateKey: kb, host: '127.0.0.1', mdns: false, trustLoopback: true })
  await a.start()
  await b.start()
  const topic = '/bench/1'
  a.services.pubsub.subscribe(topic)
  b.services.pubsub.subscribe(topic)
  await b.dial(a.getMultiaddrs()[0])
  // ready when each side has seen the other's subscription (streams are open both ways)
  await Promise.all([a, b].map(async n => await new Promise<void>(resolve => {
    const check = (): void => { if (n.services.pubsub.getSubscribers(topic).length > 0) resolve() }
    n.services.pubsub.addEventListener('subscription-change', check)
    check()
  })))
  const lat: number[] = []
  for (let i = 0; i < n; i++) {
    const data = new TextEncoder().encode(`bare ${i} ${Math.random()}`)
    const got = new Promise<void>(resolve => {
      const on = (evt: any): void => { if (evt.detail.topic === topic) { b.services.pubsub.removeEventListener('message', on); resolve() } }
      b.services.pubsub.addEventListener('message', on)
    })
    const t0 = performance.now()
    await a.services.pubsub.publish(topic, data)
    await got
    lat.push(performance.now() - t0)
  }
  await a.stop()
  await b.stop()
  return lat
}

async function delivery (): Promise<void> {
  const a = await app('sender')
  const b = await app('receiver')
  const { spaceId } = await actions.spaceCreate(a, 'latency', true)
  await actions.connect(b, a.addresses()[0])
  await joinSpace(b, spaceId)
  await new Promise<void>(resolve => {
    const check = (): void => { if (a.topics.subscribers(spaceId).length > 0) resolve() }
    a.node.services.pubsub.addEventListener('subscription-change', check)
    check()
  })
  const lat: number[] = []
  for (let i = 0; i < 300; i++) {
    const got = new Promise<void>(resolve => b.once('message', () => resolve()))
    const t0 = performance.now()
    await actions.send(a, `m${i}`)
    await got
    lat.push(performance.now() - t0)
  }
  const bare = await bareGossip(300)
  report('send -> delivered, spaceway (p50 / p99, n=300)', `${ms(pct(lat, 50))} / ${ms(pct(lat, 99))}`)
  report('publish -> receive, bare GossipSub (p50 / p99)', `${ms(pct(bare, 50))} / ${ms(pct(bare, 99))}`)
  report('ratio spaceway / bare (p50 / p99)', `${(pct(lat, 50) / pct(bare, 50)).toFixed(2)}x / ${(pct(lat, 99) / pct(bare, 99)).toFixed(2)}x`)
}

async function catchUp (): Promise<void> {
  const a = await app('history')
  const { spaceId } = await actions.spaceCreate(a, 'big', true)
  const channel = idFromString(spaceId)
  const N = 10_000
  const t0 = performance.now()
  for (let i = 0; i < N; i++) await a.replica.author('message.post', spaceId, { channel, text: `message number ${i} with some ordinary chat text` })
  const dt = performance.now() - t0
  report('sign + store throughput (10,000 ops, awaited)', `${(N / dt * 1000).toFixed(0)} ops/s`)

  const b = await app('latecomer')
  await actions.connect(b, a.addresses()[0])
  const t1 = performance.now()
  await joinSpace(b, spaceId)
  const stats = await b.sync.syncWith(a.node.peerId, spaceId)
  const elapsed = performance.now() - t1
  const total = b.store.spaces.get(spaceId)?.size ?? 0
  const bytesIn = b.sync.totals.bytesReceived
  report(`late joiner catch-up (${total} ops)`, `${ms(elapsed)}, ${(bytesIn / 1024 / 1024).toFixed(2)} MiB received`)

  // one op differs: a stranger's join reaches a by sync only (nothing publishes it), b reconciles
  const heads = [...(a.store.spaces.get(spaceId)?.heads ?? [])]
  const stranger = Signer.fromSeed(new Uint8Array(randomBytes(32)))
  const lacked = createOp({ type: 'member.join', space: idFromString(spaceId), hlc: { wall: Date.now(), counter: 0 }, deps: heads.map(idFromString), payload: { invite: null, proof: null } }, stranger)
  await a.replica.ingest([lacked.bytes])
  const one = await b.sync.syncWith(a.node.peerId, spaceId)
  report('sync when 1 op of 10,001 differs', `${one.bytesSent + one.bytesReceived} bytes, ${one.rounds} rounds, got ${one.opsReceived} op`)
  void stats
}

async function catchUpProcesses (): Promise<void> {
  const a = new LineClient(['--account', join(dir, 'proc-a.key')])
  const ready = await a.ready
  const { data } = await a.run('space create big --public')
  const N = 10_000
  let left = N
  const all = a.next(l => l.type === 'result' && --left === 0)
  a.write(Array.from({ length: N }, (_, i) => `send message number ${i} with some ordinary chat text`).join('\n'))
  await all
  const b = new LineClient(['--account', join(dir, 'proc-b.key')])
  await b.ready
  await b.run(`connect ${ready.addrs[0]}`)
  const t0 = performance.now()
  const joined = await b.run(`join ${data.spaceId}`)
  const elapsed = performance.now() - t0
  const net = await b.run('network')
  const space = net.data.spaces.find((s: any) => s.spaceId === data.spaceId)
  report(`late joiner catch-up, 2 processes (${space?.ops} ops)`, `${ms(elapsed)}, ${(net.data.sync.bytesReceived / 1024 / 1024).toFixed(2)} MiB received${joined.ok === true ? '' : ' FAILED'}`)
  await a.stop()
  await b.stop()
}

async function main (): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'spaceway-bench-'))
  const only = process.argv[2]
  const parts = { dht: dhtBench, relay: relayBench, 'dht-procs': dhtProcessBench, members: membersBench, hostile: hostileBench, crypto: cryptoBench, ui: uiBench, load: loadAndDelivery, open: openBench, scale: scaleBench, 'scale-procs': scaleProcsBench, idle: idleBench, churn: churnBench }
  if (only != null && only in parts) {
    try { await parts[only as keyof typeof parts](dir, report) } finally { await rm(dir, { recursive: true, force: true }) }
    await saved()
    return
  }
  try {
    if (only === 'core') {
      await spaceCreate()
      await delivery()
      await catchUp()
      await catchUpProcesses()
    } else await all()
  } finally {
    await Promise.all(apps.map(async a => await a.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  await saved()
}

/** The `load` part: bench/load.ts, then send -> delivered beside bare GossipSub (the ratio targets of issue 12). */
async function loadAndDelivery (): Promise<void> {
  try {
    await loadBench(dir, report)
    await delivery()
  } finally {
    await Promise.all(apps.splice(0).map(async a => await a.stop()))
  }
}

/** Every part, in order. */
async function all (): Promise<void> {
  await startup()
  await spaceCreate()
  await delivery()
  await catchUp()
  await catchUpProcesses()
  await dhtBench(dir, report)
  await dhtProcessBench(dir, report)
  await relayBench(dir, report)
  await membersBench(dir, report)
  await cryptoBench(dir, report)
  await uiBench(dir, report)
}

/** Writes this run's record (bench/results.ts) and says where. */
async function saved (): Promise<void> {
  const file = await recorder.save()
  if (file != null) process.stdout.write(`figures kept in ${file}\n`)
}

await main()
process.exit(0)
