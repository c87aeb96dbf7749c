/**
 * A spaceway client process in `--json` line mode (docs/cli-json.md), for figures measured across
 * real processes. Always on 127.0.0.1 without mDNS.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const CLIENT = fileURLToPath(new URL('../../bin/spaceway.js', import.meta.url))

export class LineClient {
  readonly child: ChildProcessByStdio<Writable, Readable, null>
  /** The `ready` line. */
  readonly ready: Promise<any>
  private readonly waiting: Array<(l: any) => boolean> = []

  /** @param args flags after the fixed ones, e.g. `['--account', file, '--relay', addr]` */
  constructor (args: string[]) {
    this.child = spawn(process.execPath, [...(process.env.BENCH_PROF != null ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), CLIENT, '--json', '--no-mdns', '--host', '127.0.0.1', '--trust-loopback', ...args], { stdio: ['pipe', 'pipe', process.env.BENCH_STDERR === '1' ? 'inherit' : 'ignore'] })
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const l = JSON.parse(text)
      for (let i = 0; i < this.waiting.length; i++) if (this.waiting[i](l)) this.waiting.splice(i--, 1)
    })
    this.ready = this.next(l => l.type === 'ready')
  }

  /** The next line matching `pred`. */
  async next (pred: (l: any) => boolean): Promise<any> {
    return await new Promise(resolve => this.waiting.push(l => { if (pred(l)) { resolve(l); return true } return false }))
  }

  /** Calls `listener` with every output line from now on; returns a function that stops it. */
  on (listener: (l: any) => void): () => void {
    let on = true
    this.waiting.push(l => { if (on) listener(l); return !on })
    return () => { on = false }
  }

  /** Writes input lines without waiting for their results. */
  write (lines: string): void {
    this.child.stdin.write(lines + '\n')
  }

  /** Runs one command and resolves with its result line. */
  async run (line: string): Promise<any> {
    const p = this.next(l => l.type === 'result')
    this.write(line)
    return await p
  }

  /** Re-runs `network` until `pred` holds on its data (bounded by `ms`). */
  async until (pred: (net: any) => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms
    while (!pred((await this.run('network')).data)) {
      if (Date.now() > end) throw new Error('bench condition not met in time')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  /** Ends input (clean shutdown) and waits for exit. */
  async stop (): Promise<void> {
    this.child.stdin.end()
    await new Promise(resolve => this.child.on('exit', resolve))
  }
}
