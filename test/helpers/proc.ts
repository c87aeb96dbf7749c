/**
 * Drives a real `spaceway` process in `--json` line mode, as a script or bot would
 * (docs/cli-json.md). Every wait is bounded.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'

export const BIN = fileURLToPath(new URL('../../bin/spaceway.js', import.meta.url))

export interface JsonLine { type: string, [k: string]: any }

export class SpacewayProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: JsonLine[] = []
  stderr = ''
  private waiters: Array<{ pred: (l: JsonLine) => boolean, from: number, resolve: (l: JsonLine) => void }> = []
  readonly exited: Promise<number | null>

  constructor (args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, '--json', '--no-mdns', '--host', '127.0.0.1', '--trust-loopback', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.child.stderr.on('data', (d) => { this.stderr += String(d) })
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as JsonLine
      this.lines.push(line)
      const idx = this.lines.length - 1
      this.waiters = this.waiters.filter(w => {
        if (idx >= w.from && w.pred(line)) { w.resolve(line); return false }
        return true
      })
    })
    this.exited = new Promise(resolve => this.child.on('exit', (code) => resolve(code)))
  }

  /** Resolves with the first line (at index >= from) matching `pred`; rejects after `ms`. */
  async waitFor (pred: (l: JsonLine) => boolean, ms = 10_000, from = 0): Promise<JsonLine> {
    const found = this.lines.slice(from).find(pred)
    if (found != null) return found
    return await new Promise((resolve, reject) => {
      const w = { pred, from, resolve: (l: JsonLine) => { clearTimeout(t); resolve(l) } }
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter(x => x !== w)
        reject(new Error(`timed out after ${ms} ms waiting for a line; stderr: ${this.stderr.slice(-2000)}; lines: ${JSON.stringify(this.lines.slice(-5))}`))
      }, ms)
      this.waiters.push(w)
    })
  }

  /** The `ready` line. */
  async ready (): Promise<JsonLine> {
    return await this.waitFor(l => l.type === 'ready')
  }

  /** Sends one command line and resolves with its result. */
  async cmd (line: string, ms = 15_000): Promise<JsonLine> {
    const before = this.lines.filter(l => l.type === 'result').length
    this.child.stdin.write(line + '\n')
    let seen = 0
    return await this.waitFor(l => l.type === 'result' && seen++ === before, ms)
  }

  /** Sends a command and returns its data, failing the test if it did not succeed. */
  async ok (line: string, ms?: number): Promise<any> {
    const r = await this.cmd(line, ms)
    if (r.ok !== true) throw new Error(`${line} failed: ${JSON.stringify(r.error)}`)
    return r.data
  }

  /** Ends stdin (clean shutdown) and waits for exit. */
  async quit (): Promise<number | null> {
    this.child.stdin.end()
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}

/**
 * Registers per-test set-up and tear-down: a fresh temp dir, and every process started through the
 * returned `start` is quit at the end. `dir()` is the current test's folder.
 */
export function e2eFixture (): { start: (name: string, extra?: string[]) => SpacewayProcess, dir: () => string } {
  let dir = ''
  const procs: SpacewayProcess[] = []
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spaceway-e2e-')) })
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.quit()))
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir: () => dir,
    start: (name, extra = []) => {
      const p = new SpacewayProcess(['--account', join(dir, `${name}.key`), ...extra])
      procs.push(p)
      return p
    }
  }
}

export const RELAY_BIN = fileURLToPath(new URL('../../dist/relay/main.js', import.meta.url))

/** A relay process (`dist/relay/main.js --json`) on 127.0.0.1. */
export class RelayProcess {
  readonly child: ChildProcessWithoutNullStreams
  stderr = ''
  readonly ready: Promise<{ peerId: string, addrs: string[], metricsPort: number }>
  readonly exited: Promise<number | null>

  constructor (dataDir: string, extra: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [RELAY_BIN, '--json', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--trust-loopback', '--data-dir', dataDir, ...extra], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    this.child.stderr.on('data', (d) => { this.stderr += String(d) })
    this.exited = new Promise(resolve => this.child.on('exit', (code) => resolve(code)))
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`relay not ready: ${this.stderr}`)), 15_000)
      createInterface({ input: this.child.stdout }).once('line', (line) => { clearTimeout(t); resolve(JSON.parse(line)) })
    })
  }

  /** GET /health. */
  async health (): Promise<{ healthy: boolean, connectedPeers: number, reservations: number, spaces: number, ops: number, uptimeS: number }> {
    const { metricsPort } = await this.ready
    return await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json() as any
  }

  /** GET /metrics (Prometheus text). */
  async metrics (): Promise<string> {
    const { metricsPort } = await this.ready
    return await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode != null || this.child.signalCode != null) return this.child.exitCode
    this.child.kill(signal)
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}

/**
 * Re-checks `check` every `intervalMs` until it holds (bounded by `ms`). For state that lives in
 * another process and announces no event (e.g. a relay's /health).
 */
export async function eventually<T> (check: () => Promise<T | false | null | undefined>, ms = 10_000, intervalMs = 50, what = 'condition'): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== false && v != null) return v
    } catch (err) { last = err }
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms${last != null ? `: ${String(last)}` : ''}`)
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}
