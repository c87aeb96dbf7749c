/**
 * `npm run bench -- hostile`: the attacks of issue 9 replayed against real processes. A relay
 * (dist/relay/main.js, defaults) and two honest clients, alice and bob (`--relay`), share a public
 * space alice created (and filled with 2,000 messages) and bob joined. The attacker lives in this
 * process: bare libp2p nodes speaking raw sync and GossipSub (bench/hostile-peer.ts).
 *
 * Each attack runs inside a window during which bob sends 200 messages, one every 50 ms, and alice
 * posts one a second; the window ends when the attack is over and bob's messages are in (or 30 s
 * after the last one). One line per attack (`hostile 0,7` runs only those):
 *
 *   <n> <attack> (<attacked process>)  p99 <ms> (bob's own send result <ms>)  lost <n>/200
 *     RSS alice <start>-><peak> MiB, relay <start>-><peak> MiB  CPU <attacked> <s> (<others>) in <s>  | details
 *
 *   p99     latency of bob's messages at alice: from the moment this process wrote bob's `send` line
 *           to the moment alice's `message` event line arrived here (p99 of 200); in brackets the p99
 *           of bob's own `send` result (signed and stored), which tells a slow bob from a slow alice
 *   lost    bob's messages that never reached alice, plus sends bob or alice failed
 *   RSS     VmRSS of alice's and of the relay's process at the start and at its peak during the
 *           window (sampled every 100 ms; it accumulates over the attacks, as the stores grow)
 *   CPU     utime + stime the attacked process spent during the window (and the others')
 *   details what the attacker did; whether its nodes were still connected to the attacked process at
 *           the end; what the attacked side counted (deltas of alice's `network` rejectedOps, heldOps,
 *           evictedOps and sync figures, or of the relay's spaceway_relay_* counters); alice's own sends
 *
 * Attacks (bounds of issue 9: client < 300 MB, relay < 1 GB, honest p99 < 1 s, nothing lost):
 *   0 baseline: no attack.
 *   1 concurrent heads: a public join, then 5,000 concurrent posts and 500 concurrent leaves (one dep
 *     each: the join) pushed to alice in one sync session.
 *   2 far-future HLC: two posts at (2^48-1, 2^32-1) and (2^48-1, 0) pushed to alice; then
 *     `invite create --expires 1h` at alice must work and timestamps stay sane.
 *   3 replayed rejected op: one post by a non-member (valid signature) sent 100,000 times in sync `ops`
 *     messages of 1,000 copies.
 *   4 forged gossip: 20,000 copies of a genuine op with the text changed (signature no longer valid)
 *     published on the space's topic.
 *   5 stalled sync messages: 4 identities x 16 sync streams, each a 4 MiB length prefix and 3 MiB of
 *     zeros, then nothing, held for the window; against alice (5a) and against the relay (5b).
 *   6 endless reconciliation: rounds of a `rec` with one random fingerprint over everything and
 *     `want` = every op id, 200 rounds (new sessions when the relay resets one), against the relay.
 *   7 backdated membership ops: an invited attacker made moderator by alice pushes 6,000 invite.create
 *     ops whose deps are the role.set that made it moderator and whose HLCs are just after it, i.e.
 *     before alice's later membership ops (3 invites). (Deps = [its join] alone would make them
 *     plainly forbidden: the permission is decided by the causal history.)
 *   8 holdback junk: 20,000 posts by a non-member, each with a dep that does not exist: 10,000 by
 *     sync, 10,000 by gossip.
 *   9 phantom spaces at the relay: 2,000 sync sessions each naming a random space with a one-id id
 *     list (4 identities); then a real new space alice creates must be held by the relay.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { decode, encode } from 'cborg'
import { idFromString, idToString } from '../src/core/ids.js'
import { syncIdOf } from '../src/core/rendezvous.js'
import { decodeToken, inviteProof } from '../src/core/invite.js'
import { decodeOp, type Op } from '../src/core/op.js'
import type { SpacewayNode } from '../src/net/node.js'
import { spaceTopic } from '../src/net/topics.js'
import { encodeSyncMessage } from '../src/sync/messages.js'
import { hostileNode, makeOp, newSigner, pullAll, pushOps, randomId, rawSync, userId } from './hostile-peer.js'
import { LineClient } from './line-client.js'
import { startRelay } from './relay.js'

type Report = (name: string, value: string) => void
type Relay = Awaited<ReturnType<typeof startRelay>>

const HONEST = 200
const HONEST_EVERY_MS = 50
const MiB = 1024 * 1024

async function procStat (pid: number): Promise<{ rssMiB: number, cpuS: number }> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')])
  const fields = stat.split(') ')[1]?.split(' ') ?? []
  return { rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuS: (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100 }
}

function pct (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]
}

const delay = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Resolves when `check` holds, polled every `every` ms; rejects after `ms`. */
async function until (check: () => Promise<boolean> | boolean, ms: number, what: string, every = 50): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`bench: ${what} not reached within ${ms} ms`)
    await delay(every)
  }
}

/** One command at a time on a LineClient (results are matched to commands in order). */
class Commands {
  private queue: Promise<unknown> = Promise.resolve()
  constructor (readonly client: LineClient) {}

  async run (line: string): Promise<any> {
    const p = this.queue.then(async () => await this.client.run(line))
    this.queue = p.catch(() => {})
    return await p
  }

  /** Writes many lines at once and resolves with their results. */
  async many (lines: string[]): Promise<any[]> {
    const p = this.queue.then(async () => {
      const out: any[] = []
      const all = this.client.next(l => l.type === 'result' && out.push(l) === lines.length)
      this.client.write(lines.join('\n'))
      await all
      return out
    })
    this.queue = p.catch(() => {})
    return await p
  }
}

interface Ctx {
  alice: LineClient
  bob: LineClient
  aliceCmd: Commands
  relay: Relay
  aliceAddr: string
  alicePeer: string
  relayPeer: string
  spaceId: string
  /** Nodes started by attacks; stopped after each window. */
  nodes: SpacewayNode[]
}

/** What an attack runs inside its window: `honestDone` resolves once bob has sent everything. */
type AttackRun = (honestDone: Promise<void>) => Promise<string>

async function metricsMap (relay: Relay): Promise<Map<string, number>> {
  const m = new Map<string, number>()
  for (const line of (await relay.metrics()).split('\n')) {
    if (!line.startsWith('spaceway_relay_')) continue
    const i = line.lastIndexOf(' ')
    m.set(line.slice('spaceway_relay_'.length, i), Number(line.slice(i + 1)))
  }
  return m
}

function relayDelta (a: Map<string, number>, b: Map<string, number>): string {
  const out: string[] = []
  for (const [k, v] of b) {
    const d = v - (a.get(k) ?? 0)
    if (d === 0 || !k.includes('_total')) continue
    out.push(k.includes('bytes') ? `${k} +${(d / MiB).toFixed(1)} MiB` : `${k} +${d}`)
  }
  return `relay ${out.length === 0 ? 'counters unchanged' : out.join(', ')}; spaces ${b.get('spaces') ?? '?'}`
}

function aliceDelta (a: any, b: any): string {
  const out: string[] = []
  for (const [k, v] of Object.entries(b.rejectedOps as Record<string, number>)) {
    const d = v - ((a.rejectedOps as Record<string, number>)[k] ?? 0)
    if (d !== 0) out.push(`${k} +${d}`)
  }
  const sync = ['refused', 'failed'].map(k => `${k} +${(b.sync[k] ?? 0) - (a.sync[k] ?? 0)}`).join(' ')
  return `alice rejected ${out.length === 0 ? 'none' : out.join(' ')}; held ${b.heldOps as number}, evicted ${b.evictedOps as number}; sync ${sync}`
}

/**
 * Runs `attack` while bob sends HONEST messages and alice posts; prints the attack's line.
 */
async function window (ctx: Ctx, report: Report, label: string, attacked: 'alice' | 'relay', attack: AttackRun, options: { showSkew?: boolean } = {}): Promise<void> {
  const { alice, bob, aliceCmd, relay } = ctx
  const pids = { alice: alice.child.pid as number, relay: relay.pid, bob: bob.child.pid as number }
  const netBefore = (await aliceCmd.run('network')).data
  const metricsBefore = await metricsMap(relay)
  const peak = { alice: 0, relay: 0 }
  const rss0 = { alice: (await procStat(pids.alice)).rssMiB, relay: (await procStat(pids.relay)).rssMiB }
  const cpu = async (): Promise<Record<'alice' | 'relay' | 'bob', number>> => ({ alice: (await procStat(pids.alice)).cpuS, relay: (await procStat(pids.relay)).cpuS, bob: (await procStat(pids.bob)).cpuS })
  const cpu0 = await cpu()
  const sample = async (): Promise<void> => {
    for (const who of ['alice', 'relay'] as const) peak[who] = Math.max(peak[who], (await procStat(pids[who])).rssMiB)
  }
  await sample()
  const sampler = setInterval(() => { void sample() }, 100)

  const tag = Math.random().toString(36).slice(2, 8)
  const sentAt = new Map<string, number>()
  const sentTimes = new Map<string, number>()
  const latency: number[] = []
  let maxSkewMs = -Infinity
  let allIn: () => void = () => {}
  const arrived = new Promise<void>(resolve => { allIn = resolve })
  const stopAlice = alice.on(l => {
    if (l.type !== 'event' || l.event !== 'message') return
    const t0 = sentAt.get(l.data.text)
    if (t0 == null) return
    latency.push(performance.now() - t0)
    sentAt.delete(l.data.text)
    maxSkewMs = Math.max(maxSkewMs, l.data.ts - Date.now())
    if (latency.length === HONEST) allIn()
  })
  let bobFailed = 0
  // how long bob's own client took to sign and store each message (its `send` result)
  const bobSide: number[] = []
  const stopBob = bob.on(l => {
    if (l.type !== 'result' || l.cmd !== 'send') return
    if (l.ok !== true) { bobFailed++; return }
    const t0 = sentTimes.get(l.data.text)
    if (t0 != null) bobSide.push(performance.now() - t0)
  })

  const honest = (async () => {
    const start = performance.now()
    for (let i = 0; i < HONEST; i++) {
      const wait = start + i * HONEST_EVERY_MS - performance.now()
      if (wait > 0) await delay(wait)
      const text = `h-${tag}-${i}`
      sentAt.set(text, performance.now())
      sentTimes.set(text, performance.now())
      bob.write(`send ${text}`)
    }
  })()
  let alicePosts = 0
  let aliceFailed = 0
  let aliceSlowest = 0
  const poster = (async () => {
    const start = Date.now()
    while (Date.now() - start < HONEST * HONEST_EVERY_MS) {
      const t = performance.now()
      const r = await aliceCmd.run(`send alice ${tag} ${alicePosts}`)
      aliceSlowest = Math.max(aliceSlowest, performance.now() - t)
      alicePosts++
      if (r.ok !== true) aliceFailed++
      else maxSkewMs = Math.max(maxSkewMs, r.data.ts - Date.now())
      await delay(1000)
    }
  })()
  const t0 = performance.now()
  let detail: string
  try {
    detail = await attack(honest)
  } catch (err) {
    detail = `attack failed: ${(err as Error).message}`
  }
  await honest
  await poster
  await Promise.race([arrived, delay(30_000)])
  const secs = (performance.now() - t0) / 1000
  const cpu1 = await cpu()
  clearInterval(sampler)
  await sample()
  stopAlice()
  stopBob()
  const attackedPeer = peerIdFromString(attacked === 'alice' ? ctx.alicePeer : ctx.relayPeer)
  const evil = ctx.nodes.splice(0)
  const stillConnected = evil.filter(n => n.getConnections(attackedPeer).length > 0).length
  for (const n of evil) await Promise.resolve(n.stop()).catch(() => {})

  const lost = HONEST - latency.length + bobFailed + aliceFailed
  const other = attacked === 'alice' ? 'relay' : 'alice'
  const counters = attacked === 'alice'
    ? aliceDelta(netBefore, (await aliceCmd.run('network')).data)
    : relayDelta(metricsBefore, await metricsMap(relay))
  const skew = maxSkewMs > 60_000
    ? `; TIMESTAMPS IN THE FUTURE (+${(maxSkewMs / 1000).toFixed(0)} s)`
    : options.showSkew === true ? `; newest timestamp shown ${(maxSkewMs / 1000).toFixed(1)} s from now` : ''
  const used = (who: 'alice' | 'relay' | 'bob'): string => `${(cpu1[who] - cpu0[who]).toFixed(2)} s`
  report(`${label} (${attacked})`,
    `p99 ${pct(latency, 99).toFixed(0).padStart(5)} ms (bob's own send result ${pct(bobSide, 99).toFixed(0)} ms)  lost ${lost}/${HONEST}  RSS alice ${rss0.alice.toFixed(0)}->${peak.alice.toFixed(0)} MiB, relay ${rss0.relay.toFixed(0)}->${peak.relay.toFixed(0)} MiB  ` +
    `CPU ${attacked} ${used(attacked)} (${other} ${used(other)}, bob ${used('bob')}) in ${secs.toFixed(1)} s  | ` +
    `${detail}; ${evil.length > 0 ? `attacker nodes still connected at the end ${stillConnected}/${evil.length}; ` : ''}${counters}${skew}; alice's own sends ${alicePosts - aliceFailed}/${alicePosts} ok, slowest ${aliceSlowest.toFixed(0)} ms`)
}

const post = (space: string, text: string): { channel: Uint8Array, text: string } => ({ channel: idFromString(space), text })

/** Splits `xs` into batches of `n`. */
function batches<T> (xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/** A hostile node connected to alice, subscribed to the space's topic and seeing alice subscribed. */
async function gossiper (ctx: Ctx): Promise<SpacewayNode> {
  const evil = await hostileNode(ctx.aliceAddr)
  ctx.nodes.push(evil)
  const topic = spaceTopic(ctx.spaceId)
  evil.services.pubsub.subscribe(topic)
  await until(() => evil.services.pubsub.getSubscribers(topic).some(p => p.toString() === ctx.alicePeer), 10_000, 'alice subscribed, seen by the attacker')
  return evil
}

async function attacker (ctx: Ctx, addr = ctx.aliceAddr): Promise<SpacewayNode> {
  const n = await hostileNode(addr)
  ctx.nodes.push(n)
  return n
}

async function concurrentHeads (ctx: Ctx, report: Report): Promise<void> {
  const s = newSigner()
  const wall = Date.now()
  const joinOp = makeOp(s, 'member.join', ctx.spaceId, { wall, counter: 0 }, [ctx.spaceId], { invite: null, proof: null })
  const ops: Op[] = [joinOp]
  for (let i = 0; i < 5000; i++) ops.push(makeOp(s, 'message.post', ctx.spaceId, { wall, counter: 1 + i }, [joinOp.id], post(ctx.spaceId, `spam ${i}`)))
  for (let i = 0; i < 500; i++) ops.push(makeOp(s, 'member.leave', ctx.spaceId, { wall, counter: 10_000 + i }, [joinOp.id], {}))
  const evil = await attacker(ctx)
  await window(ctx, report, '1 concurrent heads', 'alice', async () => {
    const r = await pushOps(evil, ctx.alicePeer, ctx.spaceId, batches(ops.map(o => o.bytes), 1000), undefined, AbortSignal.timeout(20_000))
    return `pushed ${ops.length} ops (1 join, 5,000 posts, 500 leaves): ${r.written} messages, ${r.outcome}`
  })
}

async function farFuture (ctx: Ctx, report: Report): Promise<void> {
  const s = newSigner()
  const joinOp = makeOp(s, 'member.join', ctx.spaceId, { wall: Date.now(), counter: 0 }, [ctx.spaceId], { invite: null, proof: null })
  const future = [
    makeOp(s, 'message.post', ctx.spaceId, { wall: 2 ** 48 - 1, counter: 2 ** 32 - 1 }, [joinOp.id], post(ctx.spaceId, 'end of time')),
    makeOp(s, 'message.post', ctx.spaceId, { wall: 2 ** 48 - 1, counter: 0 }, [joinOp.id], post(ctx.spaceId, 'year 10889'))
  ]
  const evil = await attacker(ctx)
  await window(ctx, report, '2 far-future HLC', 'alice', async () => {
    const r = await pushOps(evil, ctx.alicePeer, ctx.spaceId, [[joinOp.bytes, ...future.map(o => o.bytes)]], undefined, AbortSignal.timeout(10_000))
    const inv = await ctx.aliceCmd.run('invite create --expires 1h')
    const inMin = inv.ok === true ? (inv.data.expiresAt - Date.now()) / 60_000 : NaN
    const invite = inv.ok === true && inMin > 58 && inMin <= 60.5 ? `invite --expires 1h ok (expires in ${inMin.toFixed(0)} min)` : `INVITE --expires 1h FAILED: ${JSON.stringify(inv.error ?? inv.data)}`
    return `pushed a join and 2 far-future posts (${r.outcome}); ${invite}`
  }, { showSkew: true })
}

async function replayedRejected (ctx: Ctx, report: Report): Promise<void> {
  const outsider = newSigner()
  const bad = makeOp(outsider, 'message.post', ctx.spaceId, { wall: Date.now(), counter: 0 }, [ctx.spaceId], post(ctx.spaceId, 'not a member'))
  const copies = Array.from({ length: 1000 }, () => bad.bytes)
  const evil = await attacker(ctx)
  await window(ctx, report, '3 replayed rejected op', 'alice', async () => {
    const r = await pushOps(evil, ctx.alicePeer, ctx.spaceId, Array.from({ length: 100 }, () => copies), [bad.id], AbortSignal.timeout(15_000))
    return `sent ${(r.written * 1000).toLocaleString('en')} of 100,000 copies (${r.outcome === 'done' ? 'all accepted for reading' : 'then alice cut the stream'})`
  })
}

async function forgedGossip (ctx: Ctx, report: Report): Promise<void> {
  const evil = await gossiper(ctx)
  const topic = spaceTopic(ctx.spaceId)
  const genuine = new Promise<Uint8Array>(resolve => {
    const on = (evt: any): void => {
      if (evt.detail.topic !== topic) return
      const op = decodeOp(evt.detail.data, { verify: false })
      if (op.type === 'message.post') { evil.services.pubsub.removeEventListener('message', on); resolve(evt.detail.data) }
    }
    evil.services.pubsub.addEventListener('message', on)
  })
  await ctx.aliceCmd.run('send a genuine message')
  const raw = decode(await Promise.race([genuine, delay(10_000).then(() => { throw new Error('bench: no genuine op gossiped to the attacker') })])) as Record<string, unknown>
  const forged = Array.from({ length: 20_000 }, (_, i) => encode({ ...raw, payload: { ...(raw.payload as object), text: `forged ${i}` } }))
  await window(ctx, report, '4 forged gossip', 'alice', async () => {
    const end = Date.now() + 10_000
    const t = performance.now()
    let sent = 0
    for (const f of forged) {
      if (Date.now() > end) break
      await evil.services.pubsub.publish(topic, f).catch(() => {})
      sent++
    }
    const published = performance.now() - t
    const alice = peerIdFromString(ctx.alicePeer)
    const cut = await until(() => evil.getConnections(alice).length === 0, 10_000, 'disconnected').then(() => true, () => false)
    return `published ${sent.toLocaleString('en')} forged ops in ${published.toFixed(0)} ms; ${cut ? `alice had disconnected it ${(performance.now() - t).toFixed(0)} ms after the first` : 'ALICE DID NOT DISCONNECT IT'}`
  })
}

async function stalled (ctx: Ctx, report: Report, target: 'alice' | 'relay'): Promise<void> {
  const addr = target === 'alice' ? ctx.aliceAddr : ctx.relay.addr
  const peer = target === 'alice' ? ctx.alicePeer : ctx.relayPeer
  const evils = await Promise.all(Array.from({ length: 4 }, async () => await attacker(ctx, addr)))
  await window(ctx, report, `5${target === 'alice' ? 'a' : 'b'} stalled sync messages`, target, async (honestDone) => {
    const chans: Array<Awaited<ReturnType<typeof rawSync>>> = []
    let refused = 0
    await Promise.all(evils.map(async evil => {
      for (let i = 0; i < 16; i++) {
        try {
          const ch = await rawSync(evil, peer, AbortSignal.timeout(5000))
          // a length prefix of 4 MiB, then 3 MiB of it, then nothing
          ch.sendRaw(new Uint8Array([0x80, 0x80, 0x80, 0x02]))
          ch.sendRaw(new Uint8Array(3 * MiB))
          chans.push(ch)
        } catch {
          refused++
        }
      }
    }))
    await honestDone
    for (const c of chans) c.abort()
    return `4 x 16 streams: ${chans.length} opened, ${refused} refused at open`
  })
}

async function endlessReconciliation (ctx: Ctx, report: Report): Promise<void> {
  const evil = await attacker(ctx, ctx.relay.addr)
  const all = await pullAll(evil, ctx.relayPeer, ctx.spaceId)
  const ids = all.ops.map(b => decodeOp(b, { verify: false }).id)
  await window(ctx, report, '6 endless reconciliation', 'relay', async () => {
    let drawn = 0
    let sent = 0
    let rounds = 0
    let sessions = 0
    const end = Date.now() + 15_000
    while (rounds < 200 && Date.now() < end) {
      sessions++
      let ch: Awaited<ReturnType<typeof rawSync>>
      try { ch = await rawSync(evil, ctx.relayPeer, AbortSignal.timeout(15_000)) } catch { break }
      for (; rounds < 200; rounds++) {
        const rec = { t: 'rec' as const, space: syncIdOf(ctx.spaceId), ranges: [{ upper: null, mode: 'fp' as const, fp: new Uint8Array(randomBytes(16)) }], want: ids }
        sent += encodeSyncMessage(rec).length
        try { await ch.send(rec) } catch { break }
        let m = await ch.next()
        while (m?.t === 'ops') { drawn += encodeSyncMessage(m).length; m = await ch.next() }
        if (m?.t !== 'rec') break
      }
      ch.abort()
    }
    return `${rounds} rounds in ${sessions} sessions: sent ${(sent / MiB).toFixed(1)} MiB of requests, drew ${(drawn / MiB).toFixed(2)} MiB (the whole space is ${ids.length} ops, ${(all.bytes / MiB).toFixed(2)} MiB)`
  })
}

async function backdatedMembership (ctx: Ctx, report: Report): Promise<void> {
  const s = newSigner()
  const evil = await attacker(ctx)
  const inv = await ctx.aliceCmd.run('invite create')
  if (inv.ok !== true) throw new Error(`bench: invite create failed: ${JSON.stringify(inv.error)}`)
  const token = decodeToken(inv.data.invite)
  const inviteOp = decodeOp((await pullAll(evil, ctx.alicePeer, ctx.spaceId)).ops.find(b => decodeOp(b, { verify: false }).id === token.inviteId) as Uint8Array, { verify: false })
  const joinOp = makeOp(s, 'member.join', ctx.spaceId, { wall: inviteOp.hlc.wall, counter: inviteOp.hlc.counter + 1 }, [token.inviteId],
    { invite: idFromString(token.inviteId), proof: inviteProof(token.seed, ctx.spaceId, s.publicKey) })
  const pushed = await pushOps(evil, ctx.alicePeer, ctx.spaceId, [[joinOp.bytes]])
  let role: any
  await until(async () => { role = await ctx.aliceCmd.run(`role ${userId(s)} moderator`); return role.ok === true }, 10_000, `the attacker made moderator (join ${pushed.outcome}, role: ${JSON.stringify(role?.error)})`, 100)
  const roleOp = (await pullAll(evil, ctx.alicePeer, ctx.spaceId)).ops.map(b => decodeOp(b, { verify: false }))
    .find(o => o.type === 'role.set' && idToString((o.payload as { user: Uint8Array }).user) === userId(s)) as Op
  // alice's membership ops after the role: the backdated ones land before them in (HLC, id) order
  for (let i = 0; i < 3; i++) await ctx.aliceCmd.run('invite create')
  const ops = Array.from({ length: 6000 }, (_, i) => makeOp(s, 'invite.create', ctx.spaceId, { wall: roleOp.hlc.wall, counter: roleOp.hlc.counter + 1 + i }, [roleOp.id],
    { key: new Uint8Array(randomBytes(32)), maxUses: 0, expiresAt: 0 }))
  await window(ctx, report, '7 backdated membership ops', 'alice', async () => {
    const r = await pushOps(evil, ctx.alicePeer, ctx.spaceId, batches(ops.map(o => o.bytes), 1000), undefined, AbortSignal.timeout(30_000))
    return `moderator pushed 6,000 backdated invite.create: ${r.written} messages, ${r.outcome}`
  })
}

async function holdbackJunk (ctx: Ctx, report: Report): Promise<void> {
  const outsider = newSigner()
  const wall = Date.now()
  const junk = Array.from({ length: 20_000 }, (_, i) => makeOp(outsider, 'message.post', ctx.spaceId, { wall, counter: i }, [randomId()], post(ctx.spaceId, `junk ${i}`)).bytes)
  const evil = await gossiper(ctx)
  const topic = spaceTopic(ctx.spaceId)
  await window(ctx, report, '8 holdback junk', 'alice', async () => {
    const [r, sent] = await Promise.all([
      pushOps(evil, ctx.alicePeer, ctx.spaceId, batches(junk.slice(0, 10_000), 1000), undefined, AbortSignal.timeout(20_000)),
      (async () => {
        let n = 0
        for (const b of junk.slice(10_000)) { await evil.services.pubsub.publish(topic, b).catch(() => {}); n++ }
        return n
      })()
    ])
    return `10,000 by sync (${r.written} messages, ${r.outcome}), ${sent.toLocaleString('en')} by gossip`
  })
}

async function phantomSpaces (ctx: Ctx, report: Report): Promise<void> {
  const evils = await Promise.all(Array.from({ length: 4 }, async () => await attacker(ctx, ctx.relay.addr)))
  const before = (await ctx.relay.health()).spaces
  await window(ctx, report, '9 phantom spaces', 'relay', async () => {
    let sessions = 0
    let asked = 0
    const end = Date.now() + 10_000
    await Promise.all(evils.map(async evil => {
      for (let i = 0; i < 500 && Date.now() < end; i++) {
        sessions++
        try {
          const ch = await rawSync(evil, ctx.relayPeer, AbortSignal.timeout(5000))
          await ch.send({ t: 'rec', space: randomId(), ranges: [{ upper: null, mode: 'ids', ids: [randomId()] }], want: [] })
          // a rec asking for everything: the relay then waits for the space.create, which never comes
          if ((await ch.next(5000))?.t === 'rec') { asked++; await ch.send({ t: 'ops', ops: [new Uint8Array([1, 2, 3])] }) }
          await ch.close()
        } catch {}
      }
    }))
    const spaces = (await ctx.relay.health()).spaces
    const created = await ctx.aliceCmd.run('space create after-phantoms --public')
    let held = false
    await until(async () => (held = (await ctx.relay.health()).spaces > spaces), 10_000, 'the relay holds the new space').catch(() => {})
    const real = created.ok === true && held ? `held by the relay (/health spaces ${spaces} -> ${(await ctx.relay.health()).spaces as number})` : `NOT HELD BY THE RELAY (/health spaces ${spaces})`
    return `${sessions} sessions (${asked} answered with a rec), /health spaces ${before} -> ${spaces}; then alice's new space: ${real}`
  })
}

export async function hostileBench (dir: string, report: Report): Promise<void> {
  const t0 = performance.now()
  const relay = await startRelay(join(dir, 'hostile-relay'))
  const alice = new LineClient(['--account', join(dir, 'h-alice.key'), '--relay', relay.addr])
  const bob = new LineClient(['--account', join(dir, 'h-bob.key'), '--relay', relay.addr])
  const nodes: SpacewayNode[] = []
  try {
    const [ready, bobReady] = await Promise.all([alice.ready, bob.ready])
    const aliceCmd = new Commands(alice)
    const bobCmd = new Commands(bob)
    const relayUp = (net: any): boolean => net.relays.some((r: any) => r.connected === true)
    await Promise.all([alice.until(relayUp), bob.until(relayUp)])
    const created = await aliceCmd.run('space create hostile --public')
    const spaceId: string = created.data.spaceId
    await until(async () => (await relay.health()).spaces >= 1, 10_000, 'the relay holds the space')
    const posted = await aliceCmd.many(Array.from({ length: 2000 }, (_, i) => `send history ${i}: a message of ordinary length, like people write`))
    if (posted.some(r => r.ok !== true)) throw new Error('bench: alice could not post the history')
    const joined = await bobCmd.run(`join ${spaceId}`)
    if (joined.ok !== true) throw new Error(`bench: bob could not join: ${JSON.stringify(joined.error)}`)
    const ctx: Ctx = { alice, bob, aliceCmd, relay, aliceAddr: ready.addrs[0], alicePeer: ready.peerId, relayPeer: relay.addr.split('/p2p/')[1], spaceId, nodes }
    const ops = (): Promise<number> => aliceCmd.run('network').then(r => r.data.spaces.find((x: any) => x.spaceId === spaceId)?.ops ?? 0)
    await until(async () => (await relay.health()).ops >= await ops(), 30_000, 'the relay holds the history', 200).catch(() => {})
    const peers = (await aliceCmd.run('peers')).data.peers.map((p: any) => p.peerId)
    report('hostile set-up', `relay + alice + bob, space of ${await ops()} ops (relay: ${(await relay.health()).ops as number}); bob ${peers.includes(bobReady.peerId) ? 'also directly connected to alice' : 'reaches alice through the relay only'}; ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    const attacks: Array<[string, () => Promise<void>]> = [
      ['0', async () => { await window(ctx, report, '0 baseline, no attack', 'alice', async () => 'nothing') }],
      ['1', async () => { await concurrentHeads(ctx, report) }],
      ['2', async () => { await farFuture(ctx, report) }],
      ['3', async () => { await replayedRejected(ctx, report) }],
      ['4', async () => { await forgedGossip(ctx, report) }],
      ['5a', async () => { await stalled(ctx, report, 'alice') }],
      ['5b', async () => { await stalled(ctx, report, 'relay') }],
      ['6', async () => { await endlessReconciliation(ctx, report) }],
      ['7', async () => { await backdatedMembership(ctx, report) }],
      ['8', async () => { await holdbackJunk(ctx, report) }],
      ['9', async () => { await phantomSpaces(ctx, report) }]
    ]
    // `hostile 0,7` runs the set-up and only those attacks (to look at one in isolation)
    const only = process.argv[3]?.split(',')
    for (const [n, run] of attacks) if (only == null || only.includes(n)) await run()
    report('hostile total', `${((performance.now() - t0) / 1000).toFixed(0)} s`)
  } finally {
    for (const n of nodes) await Promise.resolve(n.stop()).catch(() => {})
    await Promise.all([alice.stop(), bob.stop()])
    await relay.stop()
  }
}
