/**
 * The programs' lifecycle (src/cli/lifecycle.ts) against a stand-in process: bounded stops, quiet
 * stop on closed output, an exception handler that never loops.
 */
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { FORCED_EXIT_CODE, installLifecycle, type LifecycleProcess } from '../../src/cli/lifecycle.js'

class FakeProcess extends EventEmitter {
  readonly written = { stdout: [] as string[], stderr: [] as string[] }
  readonly stdout = this.sink('stdout')
  readonly stderr = this.sink('stderr')
  readonly exits: number[] = []
  private onExit: Array<(code: number) => void> = []

  exit (code = 0): void {
    this.exits.push(code)
    for (const f of this.onExit.splice(0)) f(code)
  }

  /** The first exit code (bounded wait). */
  async exited (ms = 2000): Promise<number> {
    if (this.exits.length > 0) return this.exits[0]
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error('no exit')) }, ms)
      this.onExit.push((code) => { clearTimeout(t); resolve(code) })
    })
  }

  private sink (name: 'stdout' | 'stderr'): Writable {
    return new Writable({ write: (chunk, _enc, cb) => { this.written[name].push(String(chunk)); cb() } })
  }
}

const never = async (): Promise<void> => await new Promise(() => {})

describe('lifecycle', () => {
  it('a signal stops cleanly and exits 0; a second signal during a stuck stop forces the exit', async () => {
    const p = new FakeProcess()
    const l = installLifecycle({ label: 'internal error', proc: p as unknown as LifecycleProcess, deadlineMs: 60_000 })
    let stopped = 0
    l.setStop(async () => { stopped++ })
    p.emit('SIGTERM')
    expect(await p.exited()).toBe(0)
    expect(stopped).toBe(1)

    const q = new FakeProcess()
    installLifecycle({ label: 'internal error', proc: q as unknown as LifecycleProcess, deadlineMs: 60_000 }).setStop(never)
    q.emit('SIGINT')
    expect(q.exits).toEqual([])
    q.emit('SIGTERM')
    expect(await q.exited()).toBe(FORCED_EXIT_CODE)
  })

  it('a stuck stop is forced at the deadline, saying on stderr which step it was in', async () => {
    const p = new FakeProcess()
    installLifecycle({ label: 'internal error', proc: p as unknown as LifecycleProcess, deadlineMs: 50 }).setStop(never, () => 'closing connections')
    p.emit('SIGTERM')
    expect(await p.exited()).toBe(FORCED_EXIT_CODE)
    expect(p.written.stderr.join('')).toBe('stop forced: stop took more than 50 ms (while closing connections)\n')
  })

  it('a failed stdout stops the program once, quietly, with status 0', async () => {
    const p = new FakeProcess()
    const l = installLifecycle({ label: 'internal error', proc: p as unknown as LifecycleProcess })
    let stopped = 0
    l.setStop(async () => { stopped++ })
    p.stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    expect(await p.exited()).toBe(0)
    l.writeOut('dropped\n')
    p.stdout.emit('error', new Error('again'))
    expect(stopped).toBe(1)
    expect(p.exits).toEqual([0])
    expect(p.written.stderr).toEqual([])
    expect(l.outputClosed).toBe(true)
  })

  it('uncaught exceptions are reported while stderr works, and never written to a dead stderr', async () => {
    const p = new FakeProcess()
    const l = installLifecycle({ label: 'internal error (keeps running)', proc: p as unknown as LifecycleProcess })
    l.setStop(async () => {})
    p.emit('uncaughtException', new Error('first'))
    expect(p.written.stderr.join('')).toMatch(/^internal error \(keeps running\): Error: first/)
    p.stderr.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    for (let i = 0; i < 1000; i++) p.emit('uncaughtException', new Error('more'))
    expect(await p.exited()).toBe(0)
    expect(p.written.stderr).toHaveLength(1)
  })

  it('an exception raised while reporting is not reported again (no re-entry)', () => {
    const p = new FakeProcess()
    let writes = 0
    ;(p.stderr as unknown as { write: () => boolean }).write = () => {
      writes++
      p.emit('uncaughtException', new Error('raised by the report'))
      return true
    }
    installLifecycle({ label: 'internal error', proc: p as unknown as LifecycleProcess })
    p.emit('uncaughtException', new Error('first'))
    expect(writes).toBe(1)
  })
})
