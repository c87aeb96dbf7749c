/**
 * Drives the real interactive UI (`bin/spaceway.js`, the ink app) in a pseudo-terminal, as a user at
 * a terminal would: keys go in through the pty, and everything the app prints is parsed by a headless
 * xterm of the same size, so tests assert on the rendered screen. Every wait is bounded. Waits on the
 * screen are re-checked each time xterm has parsed a chunk of output (no polling), except inside a
 * synchronized update (a frame the app wraps in `ESC[?2026h` ... `ESC[?2026l`, which a terminal shows
 * at once; its rows can arrive in several chunks); the one state without an event, whether the app
 * reads keys in raw mode yet, is read with `stty` (`inputReady`).
 */
import { spawn as ptySpawn, type IPty } from '@lydell/node-pty'
import xtermHeadless from '@xterm/headless'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach } from 'vitest'
import { BIN, SpacewayProcess } from './proc.js'

// @xterm/headless is CommonJS: under Node's ESM loader only its default export (module.exports) is
// visible.
const { Terminal } = xtermHeadless
type Terminal = InstanceType<typeof Terminal>

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The `bin/spaceway.js` the pty clients run: this checkout's, or the one the environment variable
 * `SPACEWAY_BIN` names (a path to another checkout's `bin/spaceway.js`, e.g. an old build's, to see
 * which tests fail there). Only the clients in the pty change: `--json` peers (`peer` of
 * `usePtyClients`) always run this checkout's build.
 */
export const PTY_BIN = process.env.SPACEWAY_BIN != null && process.env.SPACEWAY_BIN !== '' ? resolve(process.env.SPACEWAY_BIN) : BIN

/**
 * Variables that change how the app draws, removed from the inherited environment unless `env`
 * sets them: under `CI` (set on CI runners) ink draws only the final frame at exit, and the kitty
 * hints make ink query the terminal for a keyboard protocol.
 */
const SCRUBBED_ENV = ['CI', 'CONTINUOUS_INTEGRATION', 'TERM_PROGRAM', 'KITTY_WINDOW_ID']

/** Begin and end of a synchronized update: the terminal shows what is between at once. */
const SYNC_BEGIN = '\u001b[?2026h'
const SYNC_END = '\u001b[?2026l'

/** How a `PtyClient` is started. */
export interface PtyOptions {
  /** Terminal width (default 100). */
  cols?: number
  /** Terminal height (default 30). */
  rows?: number
  /** Extra environment, over the test process's own. */
  env?: Record<string, string>
  /** spaceway flags after the fixed ones, e.g. `['--account', file]`. */
  args: string[]
}

/** How a `PtyClient`'s process ended: `code` is null when a signal ended it. */
export interface PtyExit { code: number | null, signal: number | null }

interface Waiter {
  check: () => void
  fail: (why: string) => void
}

/**
 * One `spaceway` process in a pseudo-terminal, started with `--no-mdns --host 127.0.0.1
 * --trust-loopback` before `options.args`, its output rendered by a headless xterm.
 */
export class PtyClient {
  /** The pseudo-terminal running the process. */
  readonly pty: IPty
  /** The headless terminal the output is written into. */
  readonly term: Terminal
  /** Resolves once the process has exited and all its output has been parsed. */
  readonly exited: Promise<PtyExit>
  private received = ''
  /** Set once the process has exited (`ended` only once its last output has been parsed too). */
  private gone = false
  private ended: PtyExit | null = null
  private readonly waiters = new Set<Waiter>()
  private killTimer: NodeJS.Timeout | undefined
  private rawSeen = false
  /** Output received so far ends inside a synchronized update; the last bytes, to find a sequence cut in two. */
  private syncing = false
  private syncTail = ''
  /** Output parsed so far ends inside a synchronized update (a frame half drawn: not checked). */
  private torn = false

  /** Starts a client: see `PtyOptions`. Prefer the `spawn` of `usePtyClients()` in tests. */
  static spawn (options: PtyOptions): PtyClient {
    return new PtyClient(options)
  }

  private constructor (options: PtyOptions) {
    const cols = options.cols ?? 100
    const rows = options.rows ?? 30
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) {
      if (v != null && !SCRUBBED_ENV.includes(k)) env[k] = v
    }
    Object.assign(env, { TERM: 'xterm-256color', FORCE_COLOR: '1' }, options.env)
    this.term = new Terminal({ cols, rows, allowProposedApi: true, logLevel: 'off' })
    this.pty = ptySpawn(process.execPath, [PTY_BIN, '--no-mdns', '--host', '127.0.0.1', '--trust-loopback', ...options.args], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: ROOT,
      env
    })
    this.pty.onData((data) => {
      this.received += data
      const torn = this.sync(data)
      this.term.write(data, () => {
        this.torn = torn
        if (!torn) this.recheck()
      })
    })
    // What the terminal itself answers (cursor position and device reports) goes back to the app,
    // as from a real terminal.
    this.term.onData((data) => { if (!this.gone) this.pty.write(data) })
    this.exited = new Promise(resolve => {
      this.pty.onExit(({ exitCode, signal }) => {
        this.gone = true
        clearTimeout(this.killTimer)
        // An empty write is parsed after everything received before it: the final screen is complete.
        this.term.write('', () => {
          this.ended = signal != null && signal !== 0 ? { code: null, signal } : { code: exitCode, signal: null }
          this.torn = false
          this.recheck()
          for (const w of [...this.waiters]) w.fail(`the process exited (${JSON.stringify(this.ended)})`)
          resolve(this.ended)
        })
      })
    })
  }

  /** Every byte received from the process so far (escape sequences included), for debugging. */
  get output (): string {
    return this.received
  }

  /** The visible rows of the active buffer (normal or alternate), trailing spaces trimmed. */
  screen (): string[] {
    const buffer = this.term.buffer.active
    const rows: string[] = []
    for (let y = 0; y < this.term.rows; y++) rows.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '')
    return rows
  }

  /** The visible screen as one string, rows joined by `\n`. */
  text (): string {
    return this.screen().join('\n')
  }

  /** Whether the alternate screen buffer is active (full-screen apps draw there). */
  get alternate (): boolean {
    return this.term.buffer.active.type === 'alternate'
  }

  /**
   * The input line as the UI draws it: the last row that starts with a prompt (`> `, or `? ` while
   * a y/N question is asked) and its cursor, the one cell of it drawn in inverse video. `text` is
   * the row after the prompt; the cell the cursor is drawn on at the end of the text (a blank) is
   * not part of it, and blanks at the end of the text are not drawn unless the cursor follows them
   * (so they are missing from `text` then). A row truncated to the terminal's width ends in `…`. `cursor` is an index into `text` (-1 when no cell is inverse). Null when no row
   * starts with a prompt. Only the first row of a multi-line input is read.
   */
  inputLine (): { prompt: string, text: string, cursor: number } | null {
    const rows = this.screen()
    const buffer = this.term.buffer.active
    for (let y = rows.length - 1; y >= 0; y--) {
      const prompt = rows[y].slice(0, 2)
      if (prompt !== '> ' && prompt !== '? ') continue
      const line = buffer.getLine(buffer.baseY + y)
      let cursor = -1
      for (let x = 2; line != null && x < rows[y].length; x++) {
        if (line.getCell(x)?.isInverse() !== 0) { cursor = x - 2; break }
      }
      let text = rows[y].slice(2)
      if (cursor === text.length - 1 && text.endsWith(' ')) text = text.slice(0, -1)
      return { prompt, text, cursor }
    }
    return null
  }

  /** The cursor, 0-based: `x` the column, `y` the row of `screen()`. */
  cursor (): { x: number, y: number } {
    const buffer = this.term.buffer.active
    return { x: buffer.cursorX, y: buffer.cursorY }
  }

  /**
   * Resolves with the screen text once `pred` holds for it, checked now and after each chunk of
   * output is parsed (and after a resize). Rejects after `ms`, or when the process exits first, with
   * the last screen in the message. `what` names the wait in that message.
   */
  async waitFor (pred: (screen: string) => boolean, ms = 10_000, what = 'a screen matching the predicate'): Promise<string> {
    const now = this.text()
    if (!this.torn && pred(now)) return now
    return await new Promise((resolve, reject) => {
      const done = (): void => { clearTimeout(timer); this.waiters.delete(waiter) }
      const waiter: Waiter = {
        check: () => {
          let text: string
          try {
            text = this.text()
            if (!pred(text)) return
          } catch (err) {
            done()
            reject(err)
            return
          }
          done()
          resolve(text)
        },
        fail: (why) => {
          done()
          reject(new Error(`waiting for ${what}: ${why}; last screen:\n${this.framed()}`))
        }
      }
      const timer = setTimeout(() => { waiter.fail(`timed out after ${ms} ms`) }, ms)
      this.waiters.add(waiter)
      if (this.ended != null) waiter.fail(`the process had exited (${JSON.stringify(this.ended)})`)
    })
  }

  /** `waitFor` the screen to contain `needle` (a substring, or a match of a RegExp). */
  async waitForText (needle: string | RegExp, ms?: number): Promise<string> {
    const pred = typeof needle === 'string' ? (s: string) => s.includes(needle) : (s: string) => needle.test(s)
    return await this.waitFor(pred, ms, `${typeof needle === 'string' ? JSON.stringify(needle) : String(needle)} on screen`)
  }

  /**
   * Resolves once the app reads its terminal in raw mode. ink switches to it only after its first
   * paint (in an effect), so keys sent on seeing the first screen can still meet the terminal's
   * line mode: echoed by the kernel, held until Enter, Ctrl-C a SIGINT. There is no event for it:
   * the pty's settings are read with `stty` until they show `-icanon` (each read a few ms; bounded
   * by `ms`). Resolves at once after the first success, and on Windows.
   */
  async inputReady (ms = 10_000): Promise<void> {
    if (this.rawSeen || process.platform === 'win32') return
    const tty = (this.pty as IPty & { ptsName?: string }).ptsName
    if (tty == null) throw new Error('the pty does not name its terminal device (ptsName)')
    const flag = process.platform === 'darwin' ? '-f' : '-F'
    const end = Date.now() + ms
    for (;;) {
      if (this.gone) throw new Error(`the process exited before reading keys; last screen:\n${this.framed()}`)
      const settings = await new Promise<string>((resolve, reject) => {
        execFile('stty', [flag, tty, '-a'], { timeout: 5_000 }, (err, stdout) => { if (err != null) reject(err); else resolve(stdout) })
      })
      if (/(^|\s)-icanon(\s|$)/.test(settings)) break
      if (Date.now() > end) throw new Error(`the app did not switch its terminal to raw mode within ${ms} ms; last screen:\n${this.framed()}`)
    }
    this.rawSeen = true
  }

  /**
   * Resolves with the screen once the app is up and takes keys: a row starts with an input prompt
   * (`> `) and the terminal is in raw mode (`inputReady`). It reads nothing else of the screen, so it
   * holds for any build of the UI. Rejects after `ms`.
   */
  async started (ms = 15_000): Promise<string> {
    const end = Date.now() + ms
    await this.waitFor(s => /^> /m.test(s), ms, 'an input line')
    await this.inputReady(Math.max(1, end - Date.now()))
    return this.text()
  }

  /**
   * Sends raw keys at once: `'\x01'` is Ctrl-A, `'\x1b[200~…\x1b[201~'` a bracketed paste. For the
   * first keys after start, `await inputReady()` before (`type` does). The full-screen UI decodes
   * every key of a chunk in order (Node's `readline.emitKeypressEvents`): `'\x7f\x7f'` is two
   * backspaces, `'one\rtwo\r'` two lines. (ink's own input, which the UI before it used, took what
   * arrived in one read as one key unless it held escape sequences.)
   */
  write (data: string): void {
    if (this.gone) throw new Error('cannot write to a process that has exited')
    this.pty.write(data)
  }

  /**
   * Types `text` as one chunk of input once the app reads keys (`inputReady`): `'help\r'` types a
   * line and submits it, the way the input line takes a paste.
   */
  async type (text: string): Promise<void> {
    await this.inputReady()
    this.write(text)
  }

  /** Resizes the terminal and then the pty (the process gets SIGWINCH), as a terminal window would. */
  resize (cols: number, rows: number): void {
    this.term.resize(cols, rows)
    if (!this.gone) this.pty.resize(cols, rows)
    if (!this.torn) this.recheck()
  }

  /**
   * Resolves with the exit code (null if a signal ended it) once the process has exited by itself,
   * e.g. after `quit` or Ctrl-C. After `ms` it is killed and the wait rejects with the last screen.
   */
  async exit (ms = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the process did not exit within ${ms} ms; last screen:\n${this.framed()}`))
        this.kill()
      }, ms)
    })
    try {
      return (await Promise.race([this.exited, late])).code
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends SIGTERM, then SIGKILL if the process is still running `ms` later. */
  kill (ms = 10_000): void {
    if (this.gone || this.killTimer != null) return
    this.pty.kill('SIGTERM')
    this.killTimer = setTimeout(() => { if (!this.gone) this.pty.kill('SIGKILL') }, ms)
    this.killTimer.unref()
  }

  /** Kills the process if it still runs, waits (bounded) for it to end, and frees the terminal. */
  async close (): Promise<void> {
    this.kill(5_000)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise(resolve => { timer = setTimeout(resolve, 10_000) })])
    clearTimeout(timer)
    this.term.dispose()
  }

  /** Whether the output, up to the end of `data`, is inside a synchronized update (DEC private mode 2026). */
  private sync (data: string): boolean {
    const text = this.syncTail + data
    const begin = text.lastIndexOf(SYNC_BEGIN)
    const end = text.lastIndexOf(SYNC_END)
    if (begin !== end) this.syncing = begin > end
    this.syncTail = text.slice(-(SYNC_BEGIN.length - 1))
    return this.syncing
  }

  private recheck (): void {
    for (const w of [...this.waiters]) w.check()
  }

  /** The screen with a margin, for error messages. */
  private framed (): string {
    return this.screen().map(row => `  |${row}`).join('\n')
  }
}

/**
 * Registers per-test set-up and tear-down for pty clients: a fresh temp dir (`dir()`, for account
 * files), and every client started through the returned `spawn` is killed, and every `--json` peer
 * started through `peer` (`SpacewayProcess`, account `<dir>/<name>.key`) quit, after each test,
 * and the dir removed.
 */
export function usePtyClients (): { spawn: (options: PtyOptions) => PtyClient, peer: (name: string, args?: string[]) => SpacewayProcess, dir: () => string } {
  let dir = ''
  const clients: PtyClient[] = []
  const peers: SpacewayProcess[] = []
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spaceway-pty-')) })
  afterEach(async () => {
    await Promise.all([
      ...clients.splice(0).map(async c => { await c.close() }),
      ...peers.splice(0).map(async p => { await p.quit() })
    ])
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir: () => dir,
    spawn: (options) => {
      const client = PtyClient.spawn(options)
      clients.push(client)
      return client
    },
    peer: (name, args = []) => {
      const p = new SpacewayProcess(['--account', join(dir, `${name}.key`), ...args])
      peers.push(p)
      return p
    }
  }
}

// --- the full-screen UI's screen (src/ui), for the tests that read it ---

/** The status line: ` <name> │ online: N peers, relay down │ <space> #<channel> ` (or `offline: no peers`). */
export const STATUS_ROW = /^ \S.* │ (?:online|offline)\b.* │ /m

/** The rows of `screen` (a `text()`) that are status lines. */
export function statusRows (screen: string): string[] {
  return screen.split('\n').filter(row => STATUS_ROW.test(row))
}

/** `text` as a RegExp source that matches it literally. */
export function literal (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * A message row in the pane: `HH:MM <badge><author>: <text>` and then what follows it on the row
 * (delivery, id) or the end of the row. `text` is the whole text of its first row.
 */
export function messageRow (author: string, text: string): RegExp {
  return new RegExp(`\\d\\d:\\d\\d [★◆•]?${literal(author)}: ${literal(text)}(?:  | · | ✓|$)`, 'm')
}
