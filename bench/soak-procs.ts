/**
 * The processes of the soak (bench/soak-run.ts): real `spaceway` clients in `--json` line mode
 * (docs/cli-json.md) and real relays (`dist/relay/main.js --json`), all on 127.0.0.1 without mDNS.
 * Every wait is bounded; nothing here sleeps for ordering.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'

/** The repository root (the folder holding package.json), from source (bench/) or compiled (dist/bench/). */
export const ROOT = ((): string => {
  let d = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d)
  return d
})()
const CLIENT_BIN = join(ROOT, 'bin', 'spaceway.js')
const RELAY_BIN = join(ROOT, 'dist', 'relay', 'main.js')

/**
 * Every child started here and still running: killed (-9) when this process exits, however it
 * exits (a crash, a test runner's worker ending on a timeout), so no relay outlives its soak.
 */
const children = new Set<ChildProcessByStdio<Writable, Readable, Readable>>()
process.once('exit', () => { for (const c of children) c.kill('SIGKILL') })
function adopt (child: ChildProcessByStdio<Writable, Readable, Readable>): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/** Resident set size of a live process, MiB (VmRSS of /proc/<pid>/status); null once it is gone. */
export async function rssMiB (pid: number | undefined): Promise<number | null> {
  if (pid == null) return null
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1]
  return kb == null ? null : Number(kb) / 1024
}

/** Resolves when `child` has exited (at once if it already has). */
async function exitOf (child: ChildProcessByStdio<Writable, Readable, Readable>): Promise<number | null> {
  if (child.exitCode != null || child.signalCode != null) return child.exitCode
  return await new Promise(resolve => child.once('exit', code => resolve(code)))
}

/** Keeps the last `max` characters written to a stream, for error reports. */
function tail (stream: Readable, max = 4000): () => string {
  let text = ''
  stream.on('data', (d) => { text = (text + String(d)).slice(-max) })
  return () => text
}

/** One `spaceway --json` process. Results are matched to commands in input order (line mode runs them in order). */
export class SoakClient {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  /** The `ready` line; rejects if the process exits first. */
  readonly ready: Promise<any>
  readonly exited: Promise<number | null>
  readonly stderr: () => string
  private readonly pending: Array<(l: any) => void> = []
  private readonly listeners = new Set<(l: any) => void>()

  /** @param account key file (the data dir is `<account>.data` beside it, so a restart reuses it); `extra` flags after the fixed ones */
  constructor (account: string, extra: string[]) {
    this.child = spawn(process.execPath, [CLIENT_BIN, '--json', '--no-mdns', '--host', '127.0.0.1', '--trust-loopback', '--account', account, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] })
    adopt(this.child)
    this.stderr = tail(this.child.stderr)
    this.child.stdin.on('error', () => {}) // EPIPE after a kill
    this.exited = exitOf(this.child)
    this.ready = new Promise((resolve, reject) => {
      const off = this.on(l => { if (l.type === 'ready') { off(); resolve(l) } })
      void this.exited.then(code => reject(new Error(`client exited (${code}) before ready: ${this.stderr().slice(-500)}`)))
    })
    this.ready.catch(() => {})
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      let l: any
      try { l = JSON.parse(text) } catch { return }
      if (l.type === 'result') this.pending.shift()?.(l)
      for (const f of this.listeners) f(l)
    })
    // a process that dies fails every command still waiting for its result
    void this.exited.then(() => { for (const p of this.pending.splice(0)) p({ type: 'result', ok: false, error: { code: 'EXITED', message: 'process exited' } }) })
  }

  get pid (): number | undefined { return this.child.pid }
  get alive (): boolean { return this.child.exitCode == null && this.child.signalCode == null }

  /** Calls `f` with every stdout line; returns a function that stops it. */
  on (f: (l: any) => void): () => void {
    this.listeners.add(f)
    return () => { this.listeners.delete(f) }
  }

  /**
   * Runs one command; resolves with its result line, or a synthetic failed result (`TIMEOUT` after
   * `ms`, `EXITED` if the process dies first). Never rejects.
   */
  async run (line: string, ms = 30_000): Promise<any> {
    if (!this.alive) return { type: 'result', ok: false, error: { code: 'EXITED', message: 'process exited' } }
    return await new Promise(resolve => {
      const t = setTimeout(() => resolve({ type: 'result', ok: false, error: { code: 'TIMEOUT', message: `${line}: no result in ${ms} ms` } }), ms)
      this.pending.push(l => { clearTimeout(t); resolve(l) })
      this.child.stdin.write(line + '\n')
    })
  }

  /** Clean shutdown (end of input); SIGKILL if it has not exited within `ms`. Resolves with the exit code. */
  async quit (ms = 15_000): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    this.child.stdin.end()
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms)
    const code = await this.exited
    clearTimeout(t)
    return code
  }

  /** SIGKILL, and wait for the exit. */
  async kill (): Promise<void> {
    if (!this.alive) return
    this.child.kill('SIGKILL')
    await this.exited
  }
}

/** The relay's GET /health (relay/metrics.ts Health). */
export interface RelayHealth { healthy: boolean, connectedPeers: number, spaces: number, ops: number, peerRelays: number, peerRelaysConnected: number, heldOps: number }

/** One relay process on a fixed port and data dir, so a restart keeps its address and store. */
export class SoakRelay {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  readonly ready: Promise<{ peerId: string, addrs: string[], metricsPort: number }>
  readonly exited: Promise<number | null>
  readonly stderr: () => string

  /** @param peers `--peer-relay` multiaddrs of the other relays */
  constructor (readonly dataDir: string, port: number, peers: string[], peerSyncIntervalMs: number) {
    this.child = spawn(process.execPath, [RELAY_BIN, '--json', '--host', '127.0.0.1', '--port', String(port), '--metrics-port', '0', '--trust-loopback', '--data-dir', dataDir,
      '--peer-sync-interval', String(peerSyncIntervalMs), ...peers.flatMap(p => ['--peer-relay', p])], { stdio: ['pipe', 'pipe', 'pipe'] })
    adopt(this.child)
    this.stderr = tail(this.child.stderr)
    this.exited = exitOf(this.child)
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`relay not ready in 20 s: ${this.stderr().slice(-500)}`)), 20_000)
      createInterface({ input: this.child.stdout }).once('line', (line) => { clearTimeout(t); resolve(JSON.parse(line)) })
      void this.exited.then(code => { clearTimeout(t); reject(new Error(`relay exited (${code}) before ready: ${this.stderr().slice(-500)}`)) })
    })
    this.ready.catch(() => {})
  }

  get pid (): number | undefined { return this.child.pid }
  get alive (): boolean { return this.child.exitCode == null && this.child.signalCode == null }

  /** GET /health, bounded by 5 s; null if the relay does not answer. */
  async health (): Promise<RelayHealth | null> {
    try {
      const { metricsPort } = await this.ready
      const res = await fetch(`http://127.0.0.1:${metricsPort}/health`, { signal: AbortSignal.timeout(5000) })
      return await res.json() as RelayHealth
    } catch { return null }
  }

  /** Sends `signal`; SIGKILL if still running after 15 s. Resolves with the exit code. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    this.child.kill(signal)
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}

