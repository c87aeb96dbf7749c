/**
 * `npm run sim [-- --no-measure] [-- --nodes 24 --rate 10 --seconds 10]`: the scale model of
 * docs/SCALE.md (bench/sim-model.ts) as tables - one space of 100 to 10,000 peers under GossipSub,
 * a DHT of up to 1,000,000 peers under Kademlia, a relay's storage and bandwidth - from measured op
 * sizes, and the model set beside a small in-process GossipSub network (bench/sim-measure.ts).
 * Figures are kept in bench/results/<time>-sim.json.
 */
import '../src/polyfill.js'
import { Command } from 'commander'
import { dhtCost, type GossipParams, KAD_JS, KAD_PAPER, LIBP2P_DEFAULTS, OURS, providerCost, relayCost, spaceCost, type WireSizes } from './sim-model.js'
import { gossipCheck, opSizes } from './sim-measure.js'
import { Recorder } from './results.js'

const opts = new Command('sim')
  .option('--no-measure', 'skip the measurements (op sizes from the last known figures, no gossip check)')
  .option('--nodes <n>', 'nodes of the measured GossipSub network', (v: string) => Number(v), 24)
  .option('--rate <n>', 'messages per second published in the measured network', (v: string) => Number(v), 10)
  .option('--seconds <n>', 'length of the measured run, s', (v: string) => Number(v), 10)
  .parse(process.argv)
  .opts()

const recorder = new Recorder('sim')
const out = (s = ''): void => { process.stdout.write(s + '\n') }
const fig = (name: string, value: string): void => { out(`${name.padEnd(56)} ${value}`); recorder.add(name, value) }
const row = (cells: Array<string | number>, widths: number[]): string => cells.map((c, i) => String(c).padStart(widths[i])).join(' ')
const kb = (b: number): string => b < 1024 ? `${b.toFixed(0)} B` : b < 1024 ** 2 ? `${(b / 1024).toFixed(1)} KiB` : b < 1024 ** 3 ? `${(b / 1024 ** 2).toFixed(1)} MiB` : `${(b / 1024 ** 3).toFixed(2)} GiB`
const f = (x: number, d = 1): string => x.toFixed(d)

// measured inputs (or the figures of the last measured run, 2026-11-22, when --no-measure)
const sizes = opts.measure !== false ? await opSizes(2000) : { publicMsg: 290, sealedMsg: 370, storedPerOpPublic: 480, storedPerOpSealed: 560, n: 0 }
out('== inputs')
fig('op size, 60-char message, public (bytes)', String(sizes.publicMsg))
fig('op size, 60-char message, sealed private (bytes)', String(sizes.sealedMsg))
fig(`LevelDB bytes per message op, public / sealed (${sizes.n} ops)`, `${f(sizes.storedPerOpPublic, 0)} / ${f(sizes.storedPerOpSealed, 0)}`)
const wire = (op: number): WireSizes => ({ op, msgOverhead: 95, id: 34, ihaveOverhead: 95 })
const C = 20
out(`assumed: each peer connected to c = ${C} members of the space (flood publish reaches all c); no churn; ids 32 bytes`)

out('\n== one space, per peer per second (in; out is the same on average)')
const W = [8, 7, 6, 5, 5, 9, 8, 7, 11, 11, 11]
out(row(['params', 'n', 'msg/s', 'mesh', 'lazy', 'copies', 'msgs in', 'IHAVE', 'ids in', 'push', 'gossip', 'hops lnD', 'ln(D-1)'], [...W, 8, 8]))
for (const [label, p] of [['ours', OURS], ['defaults', LIBP2P_DEFAULTS]] as Array<[string, GossipParams]>) {
  for (const n of [100, 1000, 10_000]) {
    for (const rate of [1, 10, 100]) {
      const s = spaceCost(n, C, rate, p, wire(sizes.publicMsg))
      const line = row([label, n, rate, s.mesh, s.lazy, f(s.copiesPerMsg, 2), f(s.msgsIn), f(s.ihaveIn, 2), f(s.idsIn), `${kb(s.bytesPush)}/s`, `${kb(s.bytesGossip)}/s`, f(s.hopsLogD), f(s.hopsLogD1)], [...W, 8, 8])
      out(line)
      if (n === 10_000) recorder.add(`space ${label} n=${n} rate=${rate}`, line.trim())
    }
  }
}

out('\n== DHT (Kademlia)')
out(row(['N', 'params', 'bound', 'expected', 'RPCs/lookup', 'buckets', 'entries', 'refresh RPC/s'], [9, 10, 6, 9, 12, 8, 8, 14]))
for (const N of [1000, 10_000, 1_000_000]) {
  for (const [label, p] of [['paper', KAD_PAPER], ['kad-dht16', KAD_JS]] as const) {
    const d = dhtCost(N, p)
    const line = row([N, label, d.hopsBound, f(d.hopsExpected), f(d.rpcsPerLookup, 0), f(d.buckets), f(d.tableEntries, 0), f(d.refreshRpcsPerS, 2)], [9, 10, 6, 9, 12, 8, 8, 14])
    out(line)
    if (N === 1_000_000) recorder.add(`dht N=${N} ${label}`, line.trim())
  }
}
const prov = providerCost(1_000_000, 5, 10_000, 12 * 3600, KAD_JS, 100)
fig('providers, 1M peers x 5 spaces, re-announce 12 h: RPC/s per peer', f(prov.rpcsPerPeerPerS, 4))
fig('provider records per DHT node (average)', f(prov.recordsPerNode, 0))
fig('hot spot: each of the k closest to a 10,000-member space', `${prov.hotRecords} records, ${kb(prov.hotBytes)}, ${f(prov.hotAddsPerS, 2)} ADD_PROVIDER/s`)

out('\n== a relay holding a space of 10,000 members (3 relays; each member away 12 h, catching up once a day)')
out(row(['msg/s', 'store/day pub', 'sealed', 'to 512 MiB cap', 'catch-up out', 'mesh in'], [6, 14, 12, 15, 14, 12]))
for (const rate of [1, 10, 100]) {
  const s = spaceCost(10_000, C, rate, OURS, wire(sizes.publicMsg))
  const r = relayCost(10_000, rate, sizes.storedPerOpPublic, sizes.publicMsg, s, 3, 12 * 3600, 86_400)
  const rs = relayCost(10_000, rate, sizes.storedPerOpSealed, sizes.sealedMsg, s, 3, 12 * 3600, 86_400)
  const days = 512 * 1024 ** 2 / r.storePerDay
  const line = row([rate, kb(r.storePerDay), kb(rs.storePerDay), days >= 1 ? `${f(days)} days` : `${f(days * 24)} h`, `${kb(r.catchUpBytesPerS)}/s`, `${kb(r.meshBytesPerS)}/s`], [6, 14, 12, 15, 14, 12])
  out(line)
  recorder.add(`relay n=10000 rate=${rate}`, line.trim())
}

if (opts.measure !== false) {
  out(`\n== model vs measured: ${opts.nodes} in-process nodes (our GossipSub configuration), ${opts.rate} msg/s of ${sizes.publicMsg} bytes for ${opts.seconds} s`)
  const m = await gossipCheck(opts.nodes, 3, opts.rate, opts.seconds, sizes.publicMsg)
  fig('measured: topic peers per node / mesh degree (mean)', `${f(m.meanConnections, 2)} / ${f(m.meanMesh, 2)}`)
  const nominal = spaceCost(m.n, m.meanConnections, m.rate, OURS, wire(sizes.publicMsg))
  const atMesh = spaceCost(m.n, m.meanConnections, m.rate, { ...OURS, D: m.meanMesh }, wire(sizes.publicMsg))
  const gap = (model: number, got: number): string => `${got >= model ? '+' : ''}${f((got / model - 1) * 100, 0)}%`
  fig('copies received per message: measured', f(m.copiesPerMsg, 2))
  fig('  model at D=4 / at the measured mesh degree', `${f(nominal.copiesPerMsg, 2)} (${gap(nominal.copiesPerMsg, m.copiesPerMsg)}) / ${f(atMesh.copiesPerMsg, 2)} (${gap(atMesh.copiesPerMsg, m.copiesPerMsg)})`)
  fig('IHAVE ids received per node per second: measured', f(m.idsIn, 1))
  fig('  model at D=4 / at the measured mesh degree', `${f(nominal.idsIn, 1)} (${gap(nominal.idsIn, m.idsIn)}) / ${f(atMesh.idsIn, 1)} (${gap(atMesh.idsIn, m.idsIn)})`)
  fig('IHAVE messages per node per second: measured / model', `${f(m.ihaveIn, 2)} / ${f(atMesh.ihaveIn, 2)}`)
  fig('IWANT ids per node per second (model: ~0)', f(m.iwantIds, 2))
  fig('delivered (fraction of messages each node got)', f(m.delivered, 3))
}
await recorder.save()
process.exit(0)
