/**
 * Relay figures (issue 4): catch-up from the relay of 1,000 and 10,000 missed ops, the cost of one
 * missed op in a 10,000-op space, relay ops/s stored with 10 publishing clients, relay RSS with 100
 * connected clients. The relay is a real process; clients are in-process nodes.
 */
import { joinSpace } from '../src/net/join-service.js'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { idFromString } from '../src/core/ids.js'
import { createNode, type SpacewayNode } from '../src/net/node.js'
import { LineClient } from './line-client.js'

type Report = (name: string, value: string) => void
const RELAY = fileURLToPath(new URL('../relay/main.js', import.meta.url))

export async function startRelay (dir: string, extra: string[] = []): Promise<{ addr: string, pid: number, health: () => Promise<any>, metrics: () => Promise<string>, cpuS: () => Promise<number>, rssMiB: () => Promise<number>, stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_PROF != null ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}/relay`] : []), RELAY, '--json', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--trust-loopback', '--data-dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  const ready = await new Promise<any>(resolve => createInterface({ input: child.stdout }).once('line', l => resolve(JSON.parse(l))))
  return {
    addr: ready.addrs[0],
    pid: child.pid as number,
    health: async () => await (await fetch(`http://127.0.0.1:${ready.metricsPort}/health`)).json(),
    metrics: async () => await (await fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`)).text(),
    cpuS: async () => {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1].split(' ')
      return (Number(fields[11]) + Number(fields[12])) / 100
    },
    rssMiB: async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    stop: async () => { child.kill('SIGTERM'); await new Promise(resolve => child.on('exit', resolve)) }
  }
}

async function until (check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('bench condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

export async function relayBench (dir: string, report: Report): Promise<void> {
  const apps: App[] = []
  const nodes: SpacewayNode[] = []
  // every client comes from 127.0.0.1: lift the per-IP reservation cap (default 16)
  const relay = await startRelay(join(dir, 'relay'), ['--max-op-rate', '100000', '--max-reservations-per-ip', '1000'])
  const app = async (name: string): Promise<App> => {
    const a = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true, relays: [relay.addr] })
    apps.push(a)
    await new Promise<void>(resolve => { const c = (): void => { if (a.relays.connectedRelays().length > 0) { a.off('change', c); resolve() } }; a.on('change', c); c() })
    return a
  }
  try {
    for (const n of [1000, 10_000]) {
      const base = (await relay.health()).ops
      const author = await app(`relay-author-${n}`)
      const { spaceId } = await actions.spaceCreate(author, `catch-up ${n}`, true)
      const channel = idFromString(spaceId)
      for (let i = 0; i < n; i++) await author.replica.author('message.post', spaceId, { channel, text: `message number ${i} with some ordinary chat text` })
      await author.sync.syncWith(author.relays.connectedRelays()[0], spaceId)
      const stored = author.store.spaces.get(spaceId)?.size ?? 0
      await until(async () => (await relay.health()).ops >= base + stored, 60_000)
      await author.stop()
      apps.splice(apps.indexOf(author), 1)

      const reader = await app(`relay-reader-${n}`)
      const t0 = performance.now()
      await joinSpace(reader, spaceId)
      const ms = performance.now() - t0
      report(`catch-up of ${n} ops from the relay`, `${ms.toFixed(0)} ms, ${(reader.sync.totals.bytesReceived / 1024).toFixed(0)} KiB received`)
      if (n === 10_000) {
        // A member holding the whole space signs one op without publishing it: the sync that hands
        // it to the relay reconciles 10,000+ ops that agree and one that differs.
        const writer = await app('relay-one-more')
        const held = (await relay.health()).ops
        await joinSpace(writer, spaceId)
        // its member.join and profile.set reach the relay first (background sync after a join)
        await until(async () => (await relay.health()).ops >= held + 2, 10_000)
        await writer.replica.author('message.post', spaceId, { channel, text: 'the one op the relay lacks' })
        const before = writer.sync.totals.bytesReceived + writer.sync.totals.bytesSent
        const stats = await writer.sync.syncWith(writer.relays.connectedRelays()[0], spaceId)
        report('1 op of a 10,001-op space differs, synced to the relay', `${writer.sync.totals.bytesReceived + writer.sync.totals.bytesSent - before} bytes, ${stats.opsSent} op sent`)
      }
    }

    for (const a of apps.splice(0)) await a.stop()
    // 10 publishing clients in one space, each its own process (so the figure is the relay's, not
    // one bench process validating everybody's gossip)
    const clients = Array.from({ length: 10 }, (_, i) => new LineClient(['--account', join(dir, `pub-${i}.key`), '--relay', relay.addr]))
    await Promise.all(clients.map(async c => await c.ready))
    const spacesBefore = (await relay.health()).spaces
    const created = await clients[0].run('space create busy --public')
    await until(async () => (await relay.health()).spaces > spacesBefore, 10_000)
    for (const c of clients.slice(1)) {
      const joined = await c.run(`join ${created.data.spaceId as string}`)
      if (joined.ok !== true) throw new Error(`a publisher could not join: ${JSON.stringify(joined.error)}`)
    }
    const before = (await relay.health()).ops
    const perClient = 300
    const cpu0 = await relay.cpuS()
    const t0 = performance.now()
    for (const [i, c] of clients.entries()) c.write(Array.from({ length: perClient }, (_, k) => `send client ${i} message ${k}`).join('\n'))
    try {
      await until(async () => (await relay.health()).ops >= before + clients.length * perClient, 120_000)
    } catch (err) {
      const rejected = (await relay.metrics()).split('\n').filter(l => l.startsWith('spaceway_relay_ops_rejected_total')).join('; ')
      report('relay ops stored, 10 publishing client processes', `INCOMPLETE: ${(await relay.health()).ops - before} of ${clients.length * perClient} after 120 s; rejected: ${rejected === '' ? 'none' : rejected}`)
      throw err
    }
    const secs = (performance.now() - t0) / 1000
    const cpuPerOp = (await relay.cpuS() - cpu0) / (clients.length * perClient) * 1000
    report('relay ops stored/s, 10 publishing client processes', `${(clients.length * perClient / secs).toFixed(0)} ops/s (${clients.length * perClient} ops in ${secs.toFixed(2)} s; 12 processes share 2 cores)`)
    report('relay CPU per stored op (10 publishers)', `${cpuPerOp.toFixed(2)} ms, i.e. ~${(1000 / cpuPerOp).toFixed(0)} ops/s per core`)
    await Promise.all(clients.map(async c => await c.stop()))

    // 100 connected clients (bare nodes)
    for (let i = 0; i < 100; i++) {
      const n = await createNode({ privateKey: await generateKeyPair('Ed25519'), host: '127.0.0.1', mdns: false, trustLoopback: true, listen: ['/ip4/127.0.0.1/tcp/0'] })
      await n.start()
      await n.dial((await import('@multiformats/multiaddr')).multiaddr(relay.addr))
      nodes.push(n)
    }
    await until(async () => (await relay.health()).connectedPeers >= 95, 30_000)
    report('relay RSS with 100 connected clients', `${(await relay.rssMiB()).toFixed(0)} MiB (${(await relay.health()).connectedPeers as number} peers connected)`)
  } finally {
    await Promise.all(apps.map(async a => await a.stop()))
    await Promise.all(nodes.map(async n => await n.stop()))
    await relay.stop()
  }
}
