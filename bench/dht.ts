/**
 * DHT figures on a 20-node loopback network (issue 3): time to a non-empty routing table, put/get
 * latency, join through the DHT, failing fast on an empty table and on a missing key.
 */
import { joinSpace } from '../src/net/join-service.js'
import { join } from 'node:path'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { tableSize } from '../src/dht/bootstrapper.js'
import { descriptorKey, encodeDescriptor } from '../src/dht/records.js'
import { decodeOp, type Op } from '../src/core/op.js'
import { percentile } from '../src/dht/stats.js'

type Report = (name: string, value: string) => void
const ms = (x: number | null): string => x == null ? '-' : `${x.toFixed(1)} ms`

async function waitTable (app: App, bound: number): Promise<number> {
  const t0 = performance.now()
  const table = (app.node.services.dht as unknown as { routingTable: EventTarget }).routingTable
  if (tableSize(app.node) === 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, bound)
      function done (): void { clearTimeout(t); table.removeEventListener('peer:add', done); resolve() }
      table.addEventListener('peer:add', done)
    })
  }
  return performance.now() - t0
}

export async function dhtBench (dir: string, report: Report): Promise<void> {
  const apps: App[] = []
  try {
    const start = async (name: string, bootstrap: string[] = []): Promise<App> => {
      const a = await App.start({ account: join(dir, `${name}.key`), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true, bootstrap })
      apps.push(a)
      return a
    }
    const alone = await start('dht-alone')
    const emptyGet: number[] = []
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now()
      await alone.dht.get(descriptorKey('a'.repeat(52)), 'x').catch(() => {})
      emptyGet.push(performance.now() - t0)
    }
    report('DHT get on an empty table -> NO_DHT_PEERS (p50/max)', `${ms(percentile(emptyGet, 50))} / ${ms(Math.max(...emptyGet))}`)

    const toTable: number[] = []
    const first = await start('dht-0')
    for (let i = 1; i < 20; i++) {
      const t0 = performance.now()
      const n = await start(`dht-${i}`, [apps[1 + Math.floor(Math.random() * i)].addresses()[0]])
      await waitTable(n, 10_000)
      toTable.push(performance.now() - t0)
    }
    report('start -> non-empty routing table (20 nodes, p50/p95)', `${ms(percentile(toTable, 50))} / ${ms(percentile(toTable, 95))}`)
    const nodes = apps.slice(1)

    // put/get of real descriptor records from random nodes
    const puts: number[] = []
    const gets: number[] = []
    const spaces: string[] = []
    for (let i = 0; i < 20; i++) {
      const owner = nodes[i % nodes.length]
      const { spaceId } = await actions.spaceCreate(owner, `bench ${i}`, true)
      spaces.push(spaceId)
      const create = decodeOp((await owner.store.getBytes(spaceId)) as Uint8Array) as Op<'space.create'>
      let t0 = performance.now()
      await owner.dht.put(descriptorKey(spaceId), encodeDescriptor(create), 'descriptor')
      puts.push(performance.now() - t0)
      const reader = nodes[(i * 7 + 3) % nodes.length]
      t0 = performance.now()
      await reader.dht.get(descriptorKey(spaceId), 'descriptor')
      gets.push(performance.now() - t0)
    }
    report('DHT put (p50/p95, n=20)', `${ms(percentile(puts, 50))} / ${ms(percentile(puts, 95))}`)
    report('DHT get (p50/p95, n=20)', `${ms(percentile(gets, 50))} / ${ms(percentile(gets, 95))}`)

    const missing: number[] = []
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now()
      await nodes[i].dht.get(descriptorKey(`${'m'.repeat(50)}${'abcdefghij'[i]}a`), 'missing').catch(() => {})
      missing.push(performance.now() - t0)
    }
    report('DHT get of a missing key, healthy (p50/max)', `${ms(percentile(missing, 50))} / ${ms(Math.max(...missing))} (query bound now ${nodes[0].dht.currentTimeout()} ms)`)

    // join through the DHT: a fresh node that knows only `first` (not a member) joins by id
    const joins: number[] = []
    for (let i = 0; i < 5; i++) {
      const owner = nodes[(i * 3) % nodes.length]
      const { spaceId } = await actions.spaceCreate(owner, `join ${i}`, true)
      await new Promise<void>(resolve => {
        const check = (): void => { if (owner.announcer.list().some(s => s.spaceId === spaceId && s.status === 'done')) { owner.announcer.off('change', check); resolve() } }
        owner.announcer.on('change', check)
        check()
      })
      const joiner = await start(`joiner-${i}`, [first.addresses()[0]])
      await waitTable(joiner, 10_000)
      for (const c of joiner.node.getConnections()) if (!c.remotePeer.equals(first.node.peerId)) await joiner.node.hangUp(c.remotePeer)
      const t0 = performance.now()
      await joinSpace(joiner, spaceId)
      joins.push(performance.now() - t0)
    }
    report('join <space id> through the DHT (p50/max, n=5)', `${ms(percentile(joins, 50))} / ${ms(Math.max(...joins))}`)
    report('seed client, for comparison', 'space create 30-60 s before, about 10 s after its fix')
  } finally {
    await Promise.all(apps.map(async a => await a.stop()))
  }
}
