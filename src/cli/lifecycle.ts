/**
 * How the two programs (the client, `spaceway`, and the relay) end: every stop is bounded, output
 * that goes away ends the program quietly, and the last-resort exception handler can never loop.
 *
 * - SIGINT/SIGTERM start a clean stop (the program's `stop`: node, store); a second signal, or
 *   `deadlineMs` after the first request, forces the exit (status 1).
 * - When stdout or stderr fails (EPIPE: the reader went away, e.g. `| head -2` or a supervisor that
 *   died; or the stream was destroyed), the program stops cleanly and exits 0 without printing
 *   anything: there is nobody left to read it, and writing to a dead stream is what looped before.
 * - An uncaught exception is reported on stderr once, if stderr still works; a report that itself
 *   fails, or an exception raised while reporting, is dropped (no re-entry).
 *
 * A closed pipe is noticed at the next write to it (stdout: results and events; stderr: debug logs
 * and reports).
 */
import { logger } from '@libp2p/logger'

const log = logger('spaceway:lifecycle')

/** Longest a stop may take before the exit is forced, ms. */
export const STOP_DEADLINE_MS = 5000

/** Exit status of a forced exit (a second signal, or the deadline). */
export const FORCED_EXIT_CODE = 1

/** What the lifecycle needs from the process (tests pass a stand-in). */
export interface LifecycleProcess {
  on: (event: any, listener: (...args: any[]) => void) => unknown
  exit: (code?: number) => never | undefined
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export interface LifecycleOptions {
  /** First words of an uncaught exception's report, e.g. `internal error (spaceway keeps running)`. */
  label: string
  /** Longest a stop may take before the exit is forced, ms (default STOP_DEADLINE_MS). */
  deadlineMs?: number
  /** Unhandled rejections: reported on stderr (true), or only in the debug log (default). */
  reportRejections?: boolean
  /** The process (default: the real one). */
  proc?: LifecycleProcess
}

/** True when `stream` can still be written to (not destroyed, ended or failed). */
function usable (stream: NodeJS.WritableStream): boolean {
  const s = stream as NodeJS.WritableStream & { destroyed?: boolean, writableEnded?: boolean, errored?: unknown }
  return s.writable !== false && s.destroyed !== true && s.writableEnded !== true && s.errored == null
}

/**
 * The end of one program: `install()` the handlers first thing, `setStop()` once the program runs,
 * `shutdown()` when it is done. Output goes through `writeOut` / `report`, which drop text once the
 * stream has failed.
 */
export class Lifecycle {
  private readonly proc: LifecycleProcess
  private readonly deadlineMs: number
  private stopFn: (() => Promise<void>) | undefined
  private stopPhase: (() => string | null) | undefined
  private stopping: Promise<void> | undefined
  private exited = false
  private reporting = false
  private closed = { stdout: false, stderr: false }

  constructor (private readonly options: LifecycleOptions) {
    this.proc = options.proc ?? process
    this.deadlineMs = options.deadlineMs ?? STOP_DEADLINE_MS
  }

  /** Registers the signal, output and exception handlers. Call once, first thing. */
  install (): this {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      this.proc.on(sig, () => {
        if (this.stopping != null) this.force(`second ${sig}`)
        else void this.shutdown(0, sig)
      })
    }
    for (const name of ['stdout', 'stderr'] as const) {
      this.proc[name].on('error', (err: NodeJS.ErrnoException) => { this.outputFailed(name, err) })
    }
    this.proc.on('uncaughtException', (err: Error) => { this.report(`${this.options.label}: ${err?.stack ?? String(err)}`) })
    this.proc.on('unhandledRejection', (err: unknown) => {
      const text = `unhandled rejection: ${(err as Error)?.stack ?? String(err)}`
      if (this.options.reportRejections === true) this.report(text)
      else log.error('%s', text)
    })
    return this
  }

  /**
   * What a stop does (the program's clean shutdown). Until set, a stop request exits at once.
   * `phase` names the step a stop is in (e.g. `closing connections`), for the stderr line of a
   * forced exit.
   */
  setStop (stop: () => Promise<void>, phase?: () => string | null): void {
    this.stopFn = stop
    this.stopPhase = phase
  }

  /** True once stdout or stderr failed: nothing more is written to it. */
  get outputClosed (): boolean {
    return this.closed.stdout || this.closed.stderr
  }

  /** Writes `text` to stdout if it still works; drops it otherwise. Never throws. */
  writeOut (text: string): void {
    this.write('stdout', text)
  }

  /** Writes `text` to stderr if it still works; drops it otherwise. Never throws, never re-enters. */
  report (text: string): void {
    if (this.reporting) return
    this.reporting = true
    try {
      this.write('stderr', text.endsWith('\n') ? text : text + '\n')
    } finally {
      this.reporting = false
    }
  }

  /**
   * Stops the program (once; later calls return the same promise) and exits with `code`. The stop is
   * bounded: after `deadlineMs`, or on a second signal, the exit is forced with FORCED_EXIT_CODE.
   * Resolves only where `exit` returns (tests).
   */
  async shutdown (code: number, why: string): Promise<void> {
    if (this.stopping != null) return await this.stopping
    log('stopping (%s)', why)
    const deadline = setTimeout(() => { this.force(`stop took more than ${this.deadlineMs} ms`) }, this.deadlineMs)
    this.stopping = (async () => {
      try {
        await this.stopFn?.()
      } catch (err) {
        log.error('stop failed: %s', (err as Error)?.stack ?? String(err))
      } finally {
        clearTimeout(deadline)
      }
      this.exit(code)
    })()
    return await this.stopping
  }

  /** Exits with FORCED_EXIT_CODE, saying on stderr why and, if known, which step of the stop was under way. */
  private force (why: string): void {
    log('forcing the exit: %s', why)
    let phase: string | null = null
    try { phase = this.stopPhase?.() ?? null } catch {}
    this.report(`stop forced: ${why}${phase != null ? ` (while ${phase})` : ''}`)
    this.exit(FORCED_EXIT_CODE)
  }

  private exit (code: number): void {
    if (this.exited) return
    this.exited = true
    this.proc.exit(code)
  }

  private write (name: 'stdout' | 'stderr', text: string): void {
    const stream = this.proc[name]
    if (this.closed[name] || !usable(stream)) return
    try {
      stream.write(text)
    } catch (err) {
      this.outputFailed(name, err as NodeJS.ErrnoException)
    }
  }

  private outputFailed (name: 'stdout' | 'stderr', err: NodeJS.ErrnoException): void {
    if (this.closed[name]) return
    this.closed[name] = true
    log('%s failed (%s): stopping', name, err?.code ?? err?.message)
    void this.shutdown(0, `${name} closed`)
  }
}

/**
 * Creates and installs the lifecycle of a program; call before anything else can fail.
 * @example
 *   const lifecycle = installLifecycle({ label: 'internal error (the relay keeps running)' })
 *   const relay = await RelayServer.start(...)
 *   lifecycle.setStop(async () => { await relay.stop() })
 */
export function installLifecycle (options: LifecycleOptions): Lifecycle {
  return new Lifecycle(options).install()
}
