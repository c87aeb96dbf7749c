/**
 * `npm run bench -- ui`: the interactive UI in a real pseudo-terminal (@lydell/node-pty), its screen
 * rendered by @xterm/headless, as a person sees it. Figures:
 * - start-up to the first painted screen (target <= 1 s);
 * - keystroke -> screen updated, p50/p99, while another client posts 200 messages/s in another
 *   channel of the same space (target p99 <= 16 ms);
 * - switching to a channel of 100,000 messages: command -> its newest message painted (target
 *   <= 100 ms), and the client's RSS then beside an empty client's (target: within 30 MiB).
 * The 100,000 messages (#huge of a space of their own) are signed and stored before the UI starts
 * (replica.ingest, in batches of 1,000).
 */
import { freePort } from './ports.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { idFromString } from '../src/core/ids.js'
import { createOp, type Op } from '../src/core/op.js'
import { LineClient } from './line-client.js'

const CLIENT = fileURLToPath(new URL('../../bin/spaceway.js', import.meta.url))
const require = createRequire(import.meta.url)

interface Pty { write: (d: string) => void, onData: (cb: (d: string) => void) => void, kill: (s?: string) => void, pid: number, onExit: (cb: () => void) => void }
interface Term { write: (d: string, cb?: () => void) => void, buffer: { active: { length: number, baseY: number, getLine: (y: number) => { translateToString: (trim: boolean) => string } | undefined } } }

/** The real client in a pty, its screen in a headless xterm; `waitFor` resolves when a predicate on the screen holds. */
class Screen {
  readonly pty: Pty
  readonly term: Term
  private waiters: Array<{ pred: (s: string) => boolean, resolve: (at: number) => void }> = []
  readonly exited: Promise<void>

  constructor (args: string[], cols = 120, rows = 40) {
    const { spawn } = require('@lydell/node-pty') as { spawn: (file: string, args: string[], o: object) => Pty }
    const { Terminal } = require('@xterm/headless') as { Terminal: new (o: object) => Term }
    this.term = new Terminal({ cols, rows, allowProposedApi: true })
    const env: Record<string, string> = { ...process.env as Record<string, string>, TERM: 'xterm-256color' }
    delete env.CI
    this.pty = spawn(process.execPath, [...(process.env.BENCH_PROF != null ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), CLIENT, '--no-mdns', '--host', '127.0.0.1', '--trust-loopback', '--no-bell', ...args], { name: 'xterm-256color', cols, rows, env })
    this.pty.onData(d => { this.term.write(d, () => { this.check() }) })
    this.exited = new Promise(resolve => { this.pty.onExit(() => { resolve() }) })
  }

  text (): string {
    const b = this.term.buffer.active
    const out: string[] = []
    for (let y = b.baseY; y < b.length; y++) out.push(b.getLine(y)?.translateToString(true) ?? '')
    return out.join('\n')
  }

  private check (): void {
    if (this.waiters.length === 0) return
    const text = this.text()
    const now = performance.now()
    this.waiters = this.waiters.filter(w => { if (w.pred(text)) { w.resolve(now); return false } return true })
  }

  /** When (performance.now()) the screen first satisfied `pred`; rejects after `ms`. */
  async waitFor (pred: (s: string) => boolean, ms = 20_000): Promise<number> {
    if (pred(this.text())) return performance.now()
    return await new Promise((resolve, reject) => {
      const w = { pred, resolve: (at: number) => { clearTimeout(t); resolve(at) } }
      const t = setTimeout(() => { this.waiters = this.waiters.filter(x => x !== w); reject(new Error(`screen never matched; it shows:\n${this.text()}`)) }, ms)
      this.waiters.push(w)
    })
  }

  async rss (): Promise<number> {
    const status = await readFile(`/proc/${this.pty.pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  }

  async quit (): Promise<void> {
    this.pty.write('\u0004')
    const t = setTimeout(() => { this.pty.kill('SIGKILL') }, 10_000)
    await this.exited
    clearTimeout(t)
  }
}

/** Types `n` letters one at a time, each once the previous one is on screen: ms from key to screen. */
async function typing (ui: Screen, n: number): Promise<number[]> {
  const lat: number[] = []
  let typed = ''
  for (let i = 0; i < n; i++) {
    const ch = String.fromCharCode(97 + (i % 26))
    typed += ch
    const expect = `> ${typed}`
    const at = performance.now()
    ui.pty.write(ch)
    const seen = await ui.waitFor(s => s.includes(expect), 5000)
    lat.push(seen - at)
    if (typed.length >= 60) {
      ui.pty.write('\u0015')
      typed = ''
      await ui.waitFor(s => !s.includes('> a'), 5000)
    }
  }
  ui.pty.write('\u0015')
  return lat
}


function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]
}

/** Stores `n` messages by the account's own user in a new channel of a public space (signed, ingested in batches). */
async function seed (dir: string, n: number): Promise<{ spaceId: string }> {
  const a = await App.start({ account: join(dir, 'ui.key'), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true })
  try {
    // the channel of n messages (#huge) is in a space of its own, so the peer's catch-up (of space "bench") stays small
    const archive = await actions.spaceCreate(a, 'archive', true)
    const huge = await actions.channelCreate(a, 'huge')
    await actions.channelSwitch(a, 'general') // the space opens in #general: the bench then switches to #huge
    const { spaceId } = await actions.spaceCreate(a, 'bench', true)
    await actions.channelCreate(a, 'busy')
    await actions.channelSwitch(a, 'general')
    await actions.send(a, 'hello from general')
    const state = a.store.spaces.get(archive.spaceId)
    let prev = [...(state?.heads ?? [])]
    // one wall time just after the heads', counters in order: HLCs above every dep's, none from the future
    const wall = Date.now() + 1
    for (let i = 0; i < n; i += 1000) {
      const batch: Op[] = []
      for (let j = i; j < Math.min(n, i + 1000); j++) {
        const op = createOp({ type: 'message.post', space: idFromString(archive.spaceId), hlc: { wall, counter: j + 1 }, deps: prev.map(idFromString), payload: { channel: idFromString(huge.channelId), text: `m${j} an ordinary line of chat about the release` } }, a.account.signer)
        batch.push(op)
        prev = [op.id]
      }
      const results = await a.replica.ingest(batch.map(o => o.bytes))
      const refused = results.find(r => r.status !== 'applied' && r.status !== 'duplicate')
      if (refused != null) throw new Error(`seeding refused an op: ${JSON.stringify(refused)}`)
    }
    return { spaceId }
  } finally {
    await a.stop()
  }
}

/** The `ui` figures; `report(name, value)` prints a line. */
export async function uiBench (root: string, report: (name: string, value: string) => void): Promise<void> {
  const dir = await mkdtemp(join(root, 'ui-'))
  const N = Number(process.env.BENCH_UI_MESSAGES ?? 100_000)
  try {
    // an empty client: start-up to first paint, and its RSS
    const t0 = performance.now()
    const empty = new Screen(['--account', join(dir, 'empty.key')])
    const painted = await empty.waitFor(s => s.includes('no space') && s.includes('> '))
    report('start-up to first painted screen (empty)', `${(painted - t0).toFixed(0)} ms`)
    const emptyRss = await empty.rss()
    await empty.quit()

    const t1 = performance.now()
    const { spaceId } = await seed(dir, N)
    report(`seed: ${N} messages signed and stored`, `${((performance.now() - t1) / 1000).toFixed(1)} s`)

    // the engine alone (line mode) with the same store: what of the RSS is not the UI's
    const engine = new LineClient(['--account', join(dir, 'ui.key')])
    await engine.ready
    await engine.run('messages 1')
    const engineRss = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${engine.child.pid as number}/status`, 'utf8'))?.[1] ?? 0) / 1024
    await engine.stop()
    report(`RSS of line mode with ${N} messages stored`, `${engineRss.toFixed(0)} MiB`)

    // the UI alone with the store: start-up, then the channel of N messages, scrolled through
    const t2 = performance.now()
    const alone = new Screen(['--account', join(dir, 'ui.key')])
    const first = await alone.waitFor(s => s.includes('hello from general') && s.includes('#general'))
    report(`start-up to first painted screen (${N} messages stored)`, `${(first - t2).toFixed(0)} ms`)
    const paintedRss = await alone.rss()
    alone.pty.write('/space archive\r')
    await alone.waitFor(s => s.includes('archive #general'))
    const at = performance.now()
    alone.pty.write('/channel huge\r')
    const shown = await alone.waitFor(s => s.includes(`m${N - 1} an ordinary`))
    report(`switch to a channel of ${N} messages -> painted`, `${(shown - at).toFixed(0)} ms`)
    // twenty pages back (more history read from the store as it goes), then the first and the newest message
    for (let i = 0; i < 20; i++) alone.pty.write('\u001b[5~')
    alone.pty.write('\u001b[1;5H')
    await alone.waitFor(s => s.includes('m0 an ordinary'))
    alone.pty.write('\u001b[1;5F')
    await alone.waitFor(s => s.includes(`m${N - 1} an ordinary`))
    const switchedRss = await alone.rss()
    report('RSS: empty client / first paint / after the switch and scrolling', `${emptyRss.toFixed(0)} / ${paintedRss.toFixed(0)} / ${switchedRss.toFixed(0)} MiB (the UI's own part: +${(switchedRss - paintedRss).toFixed(0)} MiB)`)
    await alone.quit()

    // the UI with a peer that has caught up; the peer then posts 200 messages/s into #busy while we type in #general
    const port = await freePort()
    const ui = new Screen(['--account', join(dir, 'ui.key'), '--port', String(port)])
    await ui.waitFor(s => s.includes('archive') && s.includes('> '))
    ui.pty.write('/space bench\r')
    await ui.waitFor(s => s.includes('hello from general'))
    const peer = new LineClient(['--account', join(dir, 'peer.key')])
    await peer.ready
    await peer.run(`connect /ip4/127.0.0.1/tcp/${port}`)
    const joined = await peer.run(`join ${spaceId}`)
    if (joined.ok !== true) throw new Error(`the peer could not join: ${JSON.stringify(joined)}`)
    await peer.run('messages 1')
    const idle = await typing(ui, 200)
    report('keystroke -> screen, idle (p50 / p99)', `${pct(idle, 50).toFixed(1)} ms / ${pct(idle, 99).toFixed(1)} ms (n=${idle.length})`)
    await peer.run('channel busy')
    let posting = true
    let posted = 0
    const postLoop = (async () => {
      const began = performance.now()
      while (posting) {
        const due = Math.floor((performance.now() - began) / 5)
        const lines: string[] = []
        while (posted < due) lines.push(`send busy ${posted++}`)
        if (lines.length > 0) peer.write(lines.join('\n'))
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    })()
    await ui.waitFor(s => /#busy\s+\d+/.test(s), 20_000)
    const lat = await typing(ui, 300)
    posting = false
    await postLoop
    report('keystroke -> screen, 200 msg/s elsewhere (p50 / p99)', `${pct(lat, 50).toFixed(1)} ms / ${pct(lat, 99).toFixed(1)} ms (n=${lat.length}, ${posted} posted)`)
    await ui.quit()
    await peer.stop()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

