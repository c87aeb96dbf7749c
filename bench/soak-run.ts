/**
 * The soak (issue 12): one public space on real processes (bench/soak-procs.ts) - relays that back
 * each other up (`--peer-relay`) and clients using all of them - while, on a seeded random schedule,
 * peers join, leave (clean quit), come back, are killed (-9) and restarted on their data dir, and a
 * relay is killed (-9) and restarted. Every client that is up sends a message every `sendIntervalMs`.
 *
 * Zero loss: every message whose `send` returned ok ("acked") must, after a bounded settle, be listed
 * by `messages` on every client still running and be in the store of every relay (opened after a
 * clean stop). RSS of every process is sampled from /proc/<pid>/status; the flatness rule is in
 * bench/soak-rss.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OpStore } from '../src/store/op-store.js'
import { rssMiB, SoakClient, SoakRelay } from './soak-procs.js'
import { freePorts, relayIdentity } from './ports.js'
import { type Flatness, flatness, type RssSample, slopePerMin, summary } from './soak-rss.js'

export interface SoakOptions {
  /** Length of the churn phase, minutes (fractions allowed). */
  minutes: number
  /** Seed of the schedule (mulberry32). */
  seed: number
  relays: number
  /** Clients besides the owner at the start; the population stays within [minPeers, maxPeers] (owner included). */
  initialPeers: number
  minPeers: number
  maxPeers: number
  /** One churn event every churnMinMs..churnMaxMs (uniform). */
  churnMinMs: number
  churnMaxMs: number
  /** Each client that is up sends one message per interval, ms. */
  sendIntervalMs: number
  rssIntervalMs: number
  /** Longest wait for convergence after the churn phase, ms. */
  settleMs: number
  rssTolerance: number
  /** Judge RSS flatness (off for runs too short to have a warm-up). */
  rssCheck: boolean
  peerSyncIntervalMs: number
  /** Progress lines (default: none). */
  log: (line: string) => void
}

export const SOAK_DEFAULTS: SoakOptions = {
  minutes: 5, seed: 1, relays: 3, initialPeers: 5, minPeers: 4, maxPeers: 9, churnMinMs: 2000, churnMaxMs: 6000, sendIntervalMs: 2000,
  rssIntervalMs: 10_000, settleMs: 120_000, rssTolerance: 0.10, rssCheck: true, peerSyncIntervalMs: 5000, log: () => {}
}

/**
 * One process's memory over the run: RSS samples, and for the processes that live through it (the
 * stable ones) also V8 heap used + external memory (`heap`, MiB, from `network` / `/health`), the
 * V8 heap committed (`heapTotal`, MiB: what the heap holds of RSS, live or not; V8 grows it with the
 * live size and rarely gives it back) and the ops it holds (`ops`, as `mib` = op count), to tell
 * growth of data, of the JS heap and of memory outside it apart. (Measured in session 8: two
 * clients and 23,000 messages, no churn: the receiver's anonymous RSS stayed heapTotal + ~19 MiB.
 * In the 12-minute soak, with churn, heapTotal stayed flat after the warm-up while anonymous RSS
 * grew ~2 MiB/min. Session 9: live malloc bytes stayed flat under jemalloc's profiler, so that
 * growth is freed memory glibc's arenas keep, not a native leak.)
 */
export interface RssSeries { name: string, kind: 'client' | 'relay', stable: boolean, samples: RssSample[], heap: RssSample[], heapTotal: RssSample[], ops: RssSample[] }

export interface SoakResult {
  sendsTried: number
  acked: number
  sendsFailed: Record<string, number>
  /** Acked messages missing, by holder (`client p3`, `relay r1`). */
  lost: Record<string, number>
  lostTotal: number
  /** Holders checked: running clients and relays. */
  holders: string[]
  events: Record<string, number>
  settleMs: number
  converged: boolean
  uncleanExits: string[]
  rss: RssSeries[]
  flat: Array<{ name: string, kind: string, verdict: Flatness | null }>
  rssOk: boolean
  ok: boolean
}

/** `: <last non-empty line>` of a process's stderr tail (the reason of a forced stop), or ''. */
function lastLine (stderr: string): string {
  const line = stderr.trim().split('\n').pop()?.trim() ?? ''
  return line === '' ? '' : `: ${line.slice(0, 200)}`
}

/** mulberry32: a small seeded PRNG (returns [0, 1)). */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const delay = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await new Promise<void>(resolve => {
    const t = setTimeout(done, Math.max(0, ms))
    function done (): void { clearTimeout(t); signal?.removeEventListener('abort', done); resolve() }
    signal?.addEventListener('abort', done)
  })
}

/** Re-checks `check` every `every` ms until true or `ms` passed; returns whether it held. */
async function waitUntil (check: () => Promise<boolean>, ms: number, every = 250): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    if (await check().catch(() => false)) return true
    if (Date.now() > end) return false
    await delay(every)
  }
}

/** A client of the soak; `joined` once a `join` has succeeded (until then every start joins again). */
interface Peer { name: string, account: string, stable: boolean, proc: SoakClient | null, state: 'starting' | 'up' | 'quit' | 'killed', inc: number, loop: Promise<void> | null, joined: boolean }
interface Relay { name: string, dir: string, port: number, addr: string, stable: boolean, proc: SoakRelay | null, inc: number, up: boolean }

/** Runs the soak; never throws for a loss (it is in the result), throws only if the set-up fails. */
export async function runSoak (partial: Partial<SoakOptions> = {}): Promise<SoakResult> {
  const o = { ...SOAK_DEFAULTS, ...partial }
  const churnMs = o.minutes * 60_000
  const bound = Math.ceil(churnMs / o.sendIntervalMs) * o.maxPeers
  if (bound > 10_000) throw new Error(`up to ${bound} messages: over the 10,000 that one \`messages\` lists; raise --send-interval or lower --max-peers`)
  const rand = rng(o.seed)
  const between = (a: number, b: number): number => a + rand() * (b - a)
  const dir = await mkdtemp(join(tmpdir(), 'spaceway-soak-'))
  const acked = new Map<string, string>() // message id -> sender
  const sendsFailed: Record<string, number> = {}
  const events: Record<string, number> = {}
  const series = new Map<string, RssSeries>()
  const pending = new Set<Promise<void>>()
  const uncleanExits: string[] = []
  /** Quits `p` cleanly; a non-zero exit is recorded with the last line it wrote on stderr. */
  const quitClean = async (p: Peer): Promise<void> => {
    const code = await (p.proc as SoakClient).quit()
    if (code !== 0) uncleanExits.push(`${p.name}.${p.inc} exit ${code}${lastLine((p.proc as SoakClient).stderr())}`)
  }
  let sendsTried = 0
  let stopping = false
  const stop = new AbortController() // ends the pauses of the schedule when the churn phase is over
  let t0 = Date.now()
  const stamp = (): string => `${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s`
  const note = (what: string): void => { events[what] = (events[what] ?? 0) + 1 }
  /** Keeps a background step (a restart, a quit) so the end can wait for it; a failure is logged and counted, never unhandled. */
  const track = (p: Promise<void>): void => {
    const q = p.catch((err: Error) => { o.log(`${stamp()} error: ${err.message.slice(0, 400)}`); note('step failed') })
    pending.add(q)
    void q.finally(() => pending.delete(q))
  }

  // relays: ports and identities first, so each can be told the others' addresses
  const ports = await freePorts(o.relays)
  const relays: Relay[] = await Promise.all(ports.map(async (port, i) => {
    const rdir = join(dir, `r${i}`)
    const peerId = await relayIdentity(rdir)
    return { name: `r${i}`, dir: rdir, port, addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`, stable: i === 0, proc: null, inc: 0, up: false }
  }))
  const startRelay = async (r: Relay): Promise<void> => {
    r.proc = new SoakRelay(r.dir, r.port, relays.filter(x => x !== r).map(x => x.addr), o.peerSyncIntervalMs)
    r.inc++
    await r.proc.ready
    r.up = true
  }
  const relayFlags = relays.flatMap(r => ['--relay', r.addr])
  const peers: Peer[] = []
  let spaceId = ''

  const sender = async (p: Peer, proc: SoakClient): Promise<void> => {
    let seq = 0
    let next = Date.now() + rand() * o.sendIntervalMs
    while (!stopping && p.proc === proc && proc.alive) {
      await delay(next - Date.now(), stop.signal)
      next += o.sendIntervalMs
      if (stopping || !proc.alive) break
      sendsTried++
      const r = await proc.run(`send soak ${p.name}.${p.inc} #${seq++} ${'x'.repeat(36)}`)
      if (r.ok === true) acked.set(r.data.id, p.name)
      else sendsFailed[r.error?.code ?? '?'] = (sendsFailed[r.error?.code ?? '?'] ?? 0) + 1
    }
  }

  /** Starts (or restarts) a client; one that has not joined yet joins the space, a returning member switches to it. */
  const startPeer = async (p: Peer): Promise<void> => {
    p.state = 'starting'
    const proc = new SoakClient(p.account, relayFlags)
    p.proc = proc
    p.inc++
    try {
      await proc.ready
    } catch (err) {
      p.state = p.state === 'starting' ? 'killed' : p.state // restarted at the end, or by a later event
      throw err
    }
    const cmd = p.joined ? `space ${spaceId}` : `join ${spaceId}`
    let last: any = null
    const ok = await waitUntil(async () => { last = await proc.run(cmd); return last.ok === true }, 30_000, 500)
    if (!ok) { o.log(`${stamp()} ${p.name}: ${cmd} failed for 30 s (last: ${JSON.stringify(last?.error)}); quitting it`); note('join failed'); await proc.quit(); p.state = 'quit'; return }
    p.state = 'up'
    p.joined = true
    p.loop = sender(p, proc)
  }

  const sampleRss = async (): Promise<void> => {
    const procs: Array<[string, 'client' | 'relay', boolean, number | undefined]> = [
      ...peers.filter(p => p.proc?.alive === true).map(p => [`${p.name}.${p.inc}`, 'client', p.stable, p.proc?.pid] as [string, 'client', boolean, number | undefined]),
      ...relays.filter(r => r.proc?.alive === true).map(r => [`${r.name}.${r.inc}`, 'relay', r.stable, r.proc?.pid] as [string, 'relay', boolean, number | undefined])
    ]
    const t = Date.now() - t0
    await Promise.all(procs.map(async ([name, kind, stable, pid]) => {
      const mib = await rssMiB(pid)
      if (mib == null) return
      let s = series.get(name)
      if (s == null) { s = { name, kind, stable, samples: [], heap: [], heapTotal: [], ops: [] }; series.set(name, s) }
      s.samples.push({ t, mib })
      if (!stable) return
      const m = kind === 'client'
        ? (await peers.find(p => `${p.name}.${p.inc}` === name)?.proc?.run('network', 5000))?.data
        : await relays.find(r => `${r.name}.${r.inc}` === name)?.proc?.health()
      const memory = (m as { memory?: { heapUsed: number, heapTotal: number, external: number } } | undefined)?.memory
      if (memory != null) {
        s.heap.push({ t, mib: (memory.heapUsed + memory.external) / 1048576 })
        s.heapTotal.push({ t, mib: memory.heapTotal / 1048576 })
      }
      const ops = kind === 'client' ? (m as any)?.spaces?.find((x: any) => x.spaceId === spaceId)?.ops : (m as any)?.ops
      if (typeof ops === 'number') s.ops.push({ t, mib: ops })
    }))
  }

  try {
    await Promise.all(relays.map(startRelay))
    await waitUntil(async () => (await Promise.all(relays.map(async r => await r.proc?.health()))).every(h => h?.peerRelaysConnected === o.relays - 1), 20_000)
    o.log(`${stamp()} set-up: ${o.relays} relays ready`)
    const owner: Peer = { name: 'p0', account: join(dir, 'p0.key'), stable: true, proc: null, state: 'starting', inc: 0, loop: null, joined: true }
    peers.push(owner)
    owner.proc = new SoakClient(owner.account, relayFlags)
    owner.inc = 1
    await owner.proc.ready
    await waitUntil(async () => (await owner.proc!.run('network')).data?.relays?.every((x: any) => x.connected === true) === true, 20_000)
    const created = await owner.proc.run('space create Soak --public')
    if (created.ok !== true) throw new Error(`space create failed: ${JSON.stringify(created.error)}`)
    spaceId = created.data.spaceId
    owner.state = 'up'
    owner.loop = sender(owner, owner.proc)
    const newPeer = (stable: boolean): Peer => {
      const p: Peer = { name: `p${peers.length}`, account: join(dir, `p${peers.length}.key`), stable, proc: null, state: 'starting', inc: 0, loop: null, joined: false }
      peers.push(p)
      return p
    }
    o.log(`${stamp()} set-up: space created`)
    await Promise.all(Array.from({ length: o.initialPeers }, (_, i) => startPeer(newPeer(i < 2))))
    t0 = Date.now()
    o.log(`${stamp()} start: ${o.relays} relays, ${peers.length} clients, space ${spaceId}, seed ${o.seed}, churn ${o.minutes} min`)
    const rssTimer = setInterval(() => { void sampleRss() }, o.rssIntervalMs)
    await sampleRss()

    // the churn phase
    while (Date.now() - t0 < churnMs) {
      await delay(between(o.churnMinMs, o.churnMaxMs))
      if (Date.now() - t0 >= churnMs) break
      const live = peers.filter(p => p.state === 'up' || p.state === 'starting').length
      const churnable = peers.filter(p => p.state === 'up' && !p.stable)
      const away = peers.filter(p => p.state === 'quit')
      const x = rand()
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]
      // a relay kill at least once, from 30% of the churn phase on, whatever the draw
      const relayDue = events['relay kill -9'] == null && Date.now() - t0 > churnMs * 0.3
      // and a client kill -9 from half-way on
      const killDue = !relayDue && events['kill -9'] == null && Date.now() - t0 > churnMs * 0.5 && churnable.length > 0
      if ((x < 0.12 || relayDue) && relays.every(r => r.up && r.proc?.alive === true)) {
        const r = pick(relays.filter(r => !r.stable))
        const downMs = between(5000, 15_000)
        o.log(`${stamp()} relay ${r.name} killed -9 (restart in ${(downMs / 1000).toFixed(1)} s)`)
        note('relay kill -9')
        r.up = false
        await r.proc!.stop('SIGKILL')
        track((async () => {
          await delay(downMs, stop.signal)
          // a restart that fails (slow start-up under load) is tried again, else the relay stayed
          // down and no later relay kill could be drawn (all must be up)
          for (let attempt = 1; !stopping && !r.up; attempt++) {
            try {
              await startRelay(r)
              o.log(`${stamp()} relay ${r.name} restarted`)
              note('relay restart')
            } catch (err) {
              await r.proc?.stop('SIGKILL')
              if (attempt >= 3) throw err
              o.log(`${stamp()} relay ${r.name} restart failed (${(err as Error).message.slice(0, 200)}); trying again`)
            }
          }
        })())
      } else if (x < 0.37 && live < o.maxPeers && !killDue) {
        const p = newPeer(false)
        o.log(`${stamp()} ${p.name} joins`)
        note('join')
        track(startPeer(p))
      } else if (x < 0.52 && away.length > 0 && live < o.maxPeers && !killDue) {
        const p = pick(away)
        o.log(`${stamp()} ${p.name} comes back`)
        note('return')
        track(startPeer(p))
      } else if (x < 0.76 && churnable.length > 0 && live > o.minPeers && !killDue) {
        const p = pick(churnable)
        o.log(`${stamp()} ${p.name} leaves (clean quit)`)
        note('leave')
        p.state = 'quit'
        track(quitClean(p))
      } else if (churnable.length > 0 && (live > o.minPeers || killDue)) {
        const p = pick(churnable)
        const downMs = between(3000, 10_000)
        o.log(`${stamp()} ${p.name} killed -9 (restart in ${(downMs / 1000).toFixed(1)} s)`)
        note('kill -9')
        p.state = 'killed'
        await p.proc!.kill()
        track((async () => { await delay(downMs, stop.signal); if (!stopping) { note('restart'); await startPeer(p) } })())
      }
    }
    const churnEnd = Date.now() - t0
    stopping = true
    stop.abort()
    o.log(`${stamp()} churn over; waiting for sends in flight and restarts`)
    await Promise.all([...pending, ...peers.map(async p => await p.loop)])
    // whatever is down comes back, so every acked message has a running holder to reach
    await Promise.all(relays.filter(r => r.proc?.alive !== true).map(async r => { await startRelay(r); note('relay restart') }))
    const failed = (await Promise.allSettled(peers.filter(p => p.state === 'killed').map(async p => { note('restart'); await startPeer(p) }))).filter(x => x.status === 'rejected')
    for (const f of failed) o.log(`${stamp()} a final restart failed: ${String((f as PromiseRejectedResult).reason).slice(0, 400)}`)
    const running = peers.filter(p => p.state === 'up')
    const ids = [...acked.keys()]
    o.log(`${stamp()} settling: ${acked.size} acked messages, ${running.length} clients, ${relays.length} relays`)

    // settle: op counts agree everywhere, then every client lists every acked message
    const s0 = Date.now()
    const missingAt = async (p: Peer): Promise<number> => {
      const r = await p.proc!.run('messages 10000', 60_000)
      if (r.ok !== true) return ids.length
      const have = new Set(r.data.messages.map((m: any) => m.id))
      return ids.filter(id => !have.has(id)).length
    }
    const converged = await waitUntil(async () => {
      const counts = await Promise.all(running.map(async p => (await p.proc!.run('network')).data?.spaces?.find((s: any) => s.spaceId === spaceId)?.ops ?? -1))
      const relayOps = await Promise.all(relays.map(async r => (await r.proc!.health())?.ops ?? -2))
      const all = [...counts, ...relayOps]
      if (!all.every(c => c === all[0])) return false
      return (await Promise.all(running.map(missingAt))).every(n => n === 0)
    }, o.settleMs, 1000)
    const settleMs = Date.now() - s0
    clearInterval(rssTimer)
    o.log(`${stamp()} ${converged ? 'converged' : 'NOT converged'} after ${(settleMs / 1000).toFixed(1)} s`)

    // the exact checks: running clients by `messages`, relays by their store after a clean stop
    const lost: Record<string, number> = {}
    for (const p of running) lost[`client ${p.name}`] = await missingAt(p)
    await Promise.all(running.map(quitClean))
    for (const r of relays) {
      const code = await r.proc!.stop('SIGTERM')
      if (code !== 0) uncleanExits.push(`relay ${r.name}.${r.inc} exit ${code}`)
      const store = await OpStore.open(join(r.dir, 'db'))
      const held = store.spaces.get(spaceId)
      lost[`relay ${r.name}`] = ids.filter(id => held?.byId.has(id) !== true).length
      await store.close()
    }
    const rss = [...series.values()]
    const flat = rss.filter(s => s.stable).map(s => ({ name: s.name, kind: s.kind, verdict: flatness(s.samples, churnEnd, o.rssTolerance) }))
    const rssOk = !o.rssCheck || flat.every(f => f.verdict?.flat === true)
    const lostTotal = Object.values(lost).reduce((a, b) => a + b, 0)
    return { sendsTried, acked: acked.size, sendsFailed, lost, lostTotal, holders: Object.keys(lost), events, settleMs, converged, uncleanExits, rss, flat, rssOk, ok: lostTotal === 0 && rssOk }
  } finally {
    stopping = true
    stop.abort()
    await Promise.all([...peers.map(async p => await p.proc?.kill()), ...relays.map(async r => { await r.proc?.stop('SIGKILL') })])
    await rm(dir, { recursive: true, force: true })
  }
}

/** The human-readable report: counts, RSS per kind (first/last/max), the stable processes' series and verdicts. */
export function formatSoak (r: SoakResult, o: { rssCheck: boolean }): string {
  const out: string[] = []
  const mib = (x: number): string => `${x.toFixed(0)} MiB`
  out.push(`messages: ${r.sendsTried} sends tried, ${r.acked} acked, failed: ${JSON.stringify(r.sendsFailed)}`)
  const expected = r.acked * r.holders.length
  out.push(`delivered: ${expected - r.lostTotal} of ${expected} (${r.acked} acked x ${r.holders.length} holders: ${r.holders.join(', ')})`)
  out.push(`lost: ${r.lostTotal}${r.lostTotal > 0 ? ' ' + JSON.stringify(r.lost) : ''}`)
  out.push(`events: ${JSON.stringify(r.events)}; settle ${(r.settleMs / 1000).toFixed(1)} s (${r.converged ? 'converged' : 'NOT converged'})`)
  if (r.uncleanExits.length > 0) out.push(`unclean exits on clean stop: ${r.uncleanExits.join(', ')}`)
  for (const kind of ['client', 'relay'] as const) {
    const all = r.rss.filter(s => s.kind === kind)
    const per = all.map(s => summary(s.samples))
    if (per.length === 0) continue
    out.push(`RSS ${kind}s (${all.length} process lives): first ${mib(Math.min(...per.map(x => x.first)))}-${mib(Math.max(...per.map(x => x.first)))}, last ${mib(Math.min(...per.map(x => x.last)))}-${mib(Math.max(...per.map(x => x.last)))}, max ${mib(Math.max(...per.map(x => x.max)))}`)
  }
  for (const s of r.rss.filter(x => x.stable)) {
    out.push(`  ${s.kind} ${s.name} series (s:MiB): ${s.samples.map(x => `${(x.t / 1000).toFixed(0)}:${x.mib.toFixed(0)}`).join(' ')}`)
    out.push(`  ${s.kind} ${s.name} heap + external (s:MiB): ${s.heap.map(x => `${(x.t / 1000).toFixed(0)}:${x.mib.toFixed(0)}`).join(' ')}`)
    out.push(`  ${s.kind} ${s.name} heap committed (s:MiB): ${s.heapTotal.map(x => `${(x.t / 1000).toFixed(0)}:${x.mib.toFixed(0)}`).join(' ')}`)
    // after the warm-up, as the rule
    const w = r.flat.find(f => f.name === s.name)?.verdict?.warmupMs ?? 0
    const after = (xs: RssSample[]): RssSample[] => xs.filter(x => x.t >= w)
    out.push(`  ${s.kind} ${s.name} after ${(w / 1000).toFixed(0)} s: RSS slope ${slopePerMin(after(s.samples)).toFixed(2)} MiB/min, heap committed slope ${slopePerMin(after(s.heapTotal)).toFixed(2)} MiB/min, heap used + external slope ${slopePerMin(after(s.heap)).toFixed(2)} MiB/min, ops held ${slopePerMin(after(s.ops)).toFixed(0)} more per min`)
  }
  for (const f of r.flat) {
    const v = f.verdict
    out.push(v == null
      ? `  ${f.kind} ${f.name}: too few samples to judge`
      : `  ${f.kind} ${f.name}: warm-up ${(v.warmupMs / 1000).toFixed(0)} s, base ${mib(v.base)} (${v.nBase} samples), last ${mib(v.last)} (${v.nLast}), growth ${v.growth.toFixed(1)} MiB, limit ${mib(v.limit)}: ${v.flat ? 'flat' : 'GREW'}; slope ${v.slopePerMin.toFixed(2)} MiB/min`)
  }
  out.push(`RSS check: ${o.rssCheck ? (r.rssOk ? 'pass' : 'FAIL') : 'skipped'}`)
  out.push(r.ok ? 'SOAK PASS' : 'SOAK FAIL')
  return out.join('\n')
}
