/**
 * A pure line-editor model for the interactive UI: a text buffer with a cursor, history, a kill ring,
 * reverse incremental history search and bracketed paste. It does no I/O and renders nothing; the
 * UI feeds it keypresses and renders `text`, `cursor`, `searching` and `pasting`.
 *
 * Keys are expected as Node decodes them with `readline.emitKeypressEvents(stream)`: every
 * `'keypress'` event is `(str, key)`, which goes straight to {@link LineEditor.feed}. Bindings follow
 * GNU Readline's emacs mode (https://tiswww.case.edu/php/chet/readline/readline.html#Commands-For-Moving
 * and the sections after it), restricted to the commands listed on {@link LineEditor}; every other
 * key with Ctrl or Alt is handed back to the UI as `unhandled`.
 *
 * Positions are indexes into the JavaScript string (UTF-16 code units), but the cursor only ever
 * sits on a code point boundary: moving and deleting step over a surrogate pair (an emoji) whole.
 */

/**
 * One keypress as Node's `readline.emitKeypressEvents` decodes it (the second argument of the
 * `'keypress'` event). `name` is e.g. `'a'`, `'return'`, `'enter'`, `'backspace'`, `'left'`,
 * `'paste-start'`; it is absent for characters Node has no name for (`'é'`, `'"'`). With Alt,
 * Node sets `meta` (and a lone Escape arrives as `name: 'escape'` with `meta: true`).
 */
export interface KeyPress {
  /** The raw bytes of the key as a string, e.g. `'\x1b[3~'` for Delete. */
  sequence?: string
  /** Node's name for the key, lower case for letters (`'a'` with `shift` for `'A'`). */
  name?: string
  /** Ctrl was held (Ctrl-A arrives as `name: 'a', ctrl: true`). */
  ctrl?: boolean
  /** Alt (Meta) was held, or the key was prefixed by Escape. */
  meta?: boolean
  /** Shift was held (only reported for letters and some escape sequences). */
  shift?: boolean
}

/**
 * What the UI should do after a keypress.
 * - `none`: the editor consumed the key; `text`/`cursor`/`searching`/`pasting` may have changed.
 * - `submit`: Enter outside a paste; `text` is the whole buffer (it may hold `'\n'` from a paste).
 *   The buffer has been cleared and the text pushed to history.
 * - `refused`: Enter while the buffer holds more than `maxChars` code points; the buffer is kept
 *   unchanged for editing; `reason` is e.g. `"message is 4919 characters; the limit is 4000"`.
 * - `complete`: Tab; the UI computes a completion for `text`/`cursor` and applies it with
 *   {@link LineEditor.setText} or {@link LineEditor.insert}.
 * - `unhandled`: a key the editor does not own (PageUp/PageDown, Ctrl-Home/End, Alt-1..9, Alt-A,
 *   Ctrl-N/P, Ctrl-C, Ctrl-D on an empty buffer, Ctrl-L, Escape, ...); the buffer is unchanged and
 *   `key` is a copy of the key as fed (`sequence`, `name`, strict booleans; `name` filled in when
 *   the editor decoded a bare character itself; Node's extra `code` field is not kept).
 */
export type EditorAction =
  | { type: 'none' }
  | { type: 'submit', text: string }
  | { type: 'refused', text: string, reason: string }
  | { type: 'complete' }
  | { type: 'unhandled', key: KeyPress }

/** Options of {@link LineEditor}. */
export interface LineEditorOptions {
  /** Largest message accepted by Enter, in code points (`[...text].length`). Default 4000. */
  maxChars?: number
  /** Most history entries kept (the oldest are dropped). Default 500; 0 keeps none. */
  historySize?: number
  /** Initial history, oldest first (e.g. loaded from disk); only the newest `historySize` are kept. */
  history?: string[]
}

/** The state of a reverse incremental history search (Ctrl-R), for the UI to render. */
export interface SearchState {
  /** What has been typed since Ctrl-R. */
  query: string
  /** The history entry currently matched, or null when nothing matches (or the query is empty). */
  match: string | null
}

const DEFAULT_MAX_CHARS = 4000
const DEFAULT_HISTORY_SIZE = 500
/** Readline's default number of kills remembered. */
const KILL_RING_SIZE = 10

const NONE: EditorAction = Object.freeze({ type: 'none' })

/** The commands bound, named as in GNU Readline (plus `delete-char-or-eof` for Ctrl-D, `complete` for Tab). */
type Command =
  | 'beginning-of-line' | 'end-of-line' | 'backward-char' | 'forward-char' | 'backward-word' | 'forward-word'
  | 'previous-history' | 'next-history' | 'backward-delete-char' | 'delete-char' | 'delete-char-or-eof'
  | 'unix-line-discard' | 'kill-line' | 'unix-word-rubout' | 'kill-word' | 'backward-kill-word' | 'yank'
  | 'reverse-search-history' | 'accept-line' | 'complete'

/** Bindings of keys with Ctrl, by Node's key name (Maps, so names such as `'constructor'` find nothing). */
const CTRL_BINDINGS = new Map<string, Command>([
  ['a', 'beginning-of-line'],
  ['e', 'end-of-line'],
  ['b', 'backward-char'],
  ['f', 'forward-char'],
  ['h', 'backward-delete-char'],
  ['d', 'delete-char-or-eof'],
  ['u', 'unix-line-discard'],
  ['k', 'kill-line'],
  ['w', 'unix-word-rubout'],
  ['y', 'yank'],
  ['r', 'reverse-search-history'],
  ['left', 'backward-word'],
  ['right', 'forward-word']
])

/** Bindings of keys with Alt (Meta). */
const META_BINDINGS = new Map<string, Command>([
  ['b', 'backward-word'],
  ['f', 'forward-word'],
  ['d', 'kill-word'],
  ['backspace', 'backward-kill-word']
])

/** Bindings of keys without Ctrl or Alt (Shift is ignored, except that Shift-Tab is not Tab). */
const PLAIN_BINDINGS = new Map<string, Command>([
  ['return', 'accept-line'],
  ['enter', 'accept-line'],
  ['tab', 'complete'],
  ['backspace', 'backward-delete-char'],
  ['delete', 'delete-char'],
  ['left', 'backward-char'],
  ['right', 'forward-char'],
  ['home', 'beginning-of-line'],
  ['end', 'end-of-line'],
  ['up', 'previous-history'],
  ['down', 'next-history']
])

/** A key after normalisation: every field defined, booleans strict. */
interface Key {
  sequence: string
  name: string | undefined
  ctrl: boolean
  meta: boolean
  shift: boolean
}

interface Search {
  query: string
  /** Index in history of the current match, null when the query matches nothing. */
  match: number | null
  /** Index of the last successful match, where Ctrl-R and further typing continue from. */
  pos: number | null
}

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u
const SPACE_CHAR = /^\s$/u

function isHigh (c: number): boolean { return c >= 0xd800 && c <= 0xdbff }
function isLow (c: number): boolean { return c >= 0xdc00 && c <= 0xdfff }

/** Index of the code point boundary before `i` in `s` (0 if at the start). */
function prevBoundary (s: string, i: number): number {
  if (i <= 0) return 0
  if (i >= 2 && isLow(s.charCodeAt(i - 1)) && isHigh(s.charCodeAt(i - 2))) return i - 2
  return i - 1
}

/** Index of the code point boundary after `i` in `s` (`s.length` if at the end). */
function nextBoundary (s: string, i: number): number {
  if (i >= s.length) return s.length
  if (i + 1 < s.length && isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) return i + 2
  return i + 1
}

/** The code point starting at `i`, as a string. */
function charAt (s: string, i: number): string { return s.slice(i, nextBoundary(s, i)) }

/** The code point ending at `i`, as a string. */
function charBefore (s: string, i: number): string { return s.slice(prevBoundary(s, i), i) }

function isWord (ch: string): boolean { return WORD_CHAR.test(ch) }
function isSpace (ch: string): boolean { return SPACE_CHAR.test(ch) }

/** Number of code points in `s` (`[...s].length` without building the array). */
function codePoints (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i = nextBoundary(s, i)) n++
  return n
}

/** Text that may be inserted as typed: non-empty and free of control characters. */
function isPrintable (s: string | undefined): s is string {
  if (s === undefined || s === '') return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false // C0, DEL, C1
  }
  return true
}

/** Line breaks as the buffer holds them: `'\r\n'` and `'\r'` become `'\n'`. */
function normalizeBreaks (s: string): string { return s.replace(/\r\n?/g, '\n') }

/**
 * The key Node's decoder would report for a single character typed on its own: the control
 * characters readline binds (Enter, Tab, Backspace, Escape, Ctrl-letter); no name otherwise.
 */
function keyOfChar (ch: string): Key {
  const key: Key = { sequence: ch, name: undefined, ctrl: false, meta: false, shift: false }
  const c = ch.length === 1 ? ch.charCodeAt(0) : -1
  if (ch === '\r') {
    key.name = 'return'
  } else if (ch === '\n') {
    key.name = 'enter'
  } else if (ch === '\t') {
    key.name = 'tab'
  } else if (ch === '\x7f' || ch === '\b') {
    key.name = 'backspace'
  } else if (ch === '\x1b') {
    key.name = 'escape'
    key.meta = true // as Node reports a lone Escape
  } else if (c >= 1 && c <= 26) {
    key.name = String.fromCharCode(c + 96)
    key.ctrl = true
  } else if (ch === ' ') {
    key.name = 'space'
  }
  return key
}

/** A defensive copy of whatever the caller passed as a key, with strict booleans. */
function normalizeKey (str: string | undefined, key: KeyPress | undefined | null): Key {
  const k: Partial<KeyPress> = typeof key === 'object' && key !== null ? key : {}
  const name = typeof k.name === 'string' ? k.name : undefined
  const ctrl = k.ctrl === true
  const meta = k.meta === true
  if (name === undefined && !ctrl && !meta && str !== undefined && codePoints(str) === 1) {
    // A bare character (no key given, or a key Node left unnamed): decode it as Node would.
    return keyOfChar(str)
  }
  return {
    sequence: typeof k.sequence === 'string' ? k.sequence : (str ?? ''),
    name,
    ctrl,
    meta,
    shift: k.shift === true
  }
}

/** The key as handed back to the UI in `unhandled`. */
function publicKey (k: Key): KeyPress {
  const out: KeyPress = { sequence: k.sequence, ctrl: k.ctrl, meta: k.meta, shift: k.shift }
  if (k.name !== undefined) out.name = k.name
  return out
}

function unhandled (k: Key): EditorAction { return { type: 'unhandled', key: publicKey(k) } }

function positiveInt (value: number | undefined, fallback: number, min: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`)
  return value
}

/**
 * The editor. Construct one per input line of the UI and feed it every keypress:
 *
 * ```ts
 * readline.emitKeypressEvents(process.stdin)
 * process.stdin.on('keypress', (str, key) => handle(editor.feed(str, key)))
 * ```
 *
 * Bindings (GNU Readline emacs mode):
 * - printable text: inserted at the cursor; a `str` of several characters (from a caller that
 *   does not split keys as Node does) is applied one code point at a time, so `'\r'`/`'\n'` in it
 *   submit the text before them and `'\t'` is Tab.
 * - Ctrl-A / Home, Ctrl-E / End: start / end of the buffer. Ctrl-B / Left, Ctrl-F / Right: one
 *   code point. Alt-B / Ctrl-Left, Alt-F / Ctrl-Right: one word (a run of letters and digits).
 * - Backspace / Ctrl-H: delete the code point before the cursor. Delete, and Ctrl-D on a
 *   non-empty buffer: delete the code point under the cursor. Ctrl-D on an empty buffer: unhandled.
 * - Ctrl-U: kill to the start; Ctrl-K: kill to the end; Ctrl-W: kill the previous
 *   whitespace-delimited word; Alt-D: kill to the end of the next word; Alt-Backspace: kill to the
 *   start of the previous word. Consecutive kills accumulate into one kill-ring entry (appended
 *   when killing forward, prepended when killing backward); Ctrl-Y yanks the latest entry.
 * - Up / Down: previous / next history entry; the line being edited (the draft) comes back when
 *   moving down past the newest entry. Edits made to a recalled entry are dropped when moving on.
 * - Ctrl-R: reverse incremental search (see {@link LineEditor.searching}).
 * - Enter: submit (see {@link EditorAction}); Tab: `complete`.
 * - `paste-start` ... `paste-end` (bracketed paste): everything in between is inserted literally.
 * - Everything else with Ctrl or Alt, Escape, PageUp/PageDown, function keys: `unhandled`.
 */
export class LineEditor {
  private readonly maxChars: number
  private readonly historySize: number
  /** History, oldest first. */
  private readonly entries: string[]
  /** Position in history while browsing with Up/Down; `entries.length` is the draft. */
  private histPos: number
  private draft = ''
  /** The buffer is `left + right`; the cursor sits between them, so typing appends to `left`. */
  private left = ''
  private right = ''
  /** Kill ring, oldest first. */
  private readonly kills: string[] = []
  /** Whether the previous command was a kill (the next kill then accumulates). */
  private lastWasKill = false
  private search: Search | null = null
  /** The last non-empty search query, reused by Ctrl-R Ctrl-R as readline does. */
  private lastQuery = ''
  private inPaste = false
  /** Inside a paste, the last inserted character was a '\r' (so a following '\n' is its pair). */
  private pasteCR = false

  /**
   * @param options.maxChars - largest submittable message in code points (default 4000, >= 1)
   * @param options.historySize - history entries kept (default 500, >= 0)
   * @param options.history - initial history, oldest first; copied
   * @throws RangeError if `maxChars` or `historySize` is not an integer in range
   */
  constructor (options: LineEditorOptions = {}) {
    this.maxChars = positiveInt(options.maxChars, DEFAULT_MAX_CHARS, 1, 'maxChars')
    this.historySize = positiveInt(options.historySize, DEFAULT_HISTORY_SIZE, 0, 'historySize')
    const initial = (options.history ?? []).filter((h): h is string => typeof h === 'string')
    this.entries = this.historySize === 0 ? [] : initial.slice(-this.historySize)
    this.histPos = this.entries.length
  }

  /** The whole buffer; may contain `'\n'` (from a paste) and tabs. While searching, the line as it was before Ctrl-R. */
  get text (): string { return this.left + this.right }

  /** The cursor, an index into {@link text} in UTF-16 code units, always on a code point boundary. */
  get cursor (): number { return this.left.length }

  /**
   * The reverse-i-search state while Ctrl-R is active, else null; render it as
   * ``(reverse-i-search)`query': match``. While searching: printable keys extend the query and
   * search from the current match towards older entries (before any repeated Ctrl-R that is the
   * newest entry containing the query; matching is case-sensitive); Ctrl-R moves to the next older
   * match (on an empty query it reuses the previous search's query); Backspace shortens the query
   * and searches again from the newest entry; Enter accepts the match into the buffer (cursor at
   * the end) without submitting; Escape or Ctrl-G cancels, leaving the buffer as before Ctrl-R; any
   * other key accepts the match and is then applied as usual (so keys the UI owns are returned
   * `unhandled` after accepting).
   */
  get searching (): SearchState | null {
    const s = this.search
    if (s === null) return null
    return { query: s.query, match: s.match === null ? null : this.entries[s.match] ?? null }
  }

  /** True between `paste-start` and `paste-end` of a bracketed paste. */
  get pasting (): boolean { return this.inPaste }

  /**
   * Applies one keypress, exactly as Node's `readline.emitKeypressEvents` reports it: `str` is the
   * character(s) typed (undefined for escape sequences such as arrows), `key` the decoded key
   * (either may be undefined; a bare `str` is decoded like Node would). Never throws.
   *
   * A `str` of several code points (Node never produces one, other decoders may) is applied as
   * consecutive keys; it can hold several lines, and this returns only the first action that is
   * not `none` — the rest of the chunk is then inserted literally, line breaks as `'\n'` and
   * trailing line breaks dropped, for the user to review and send. Use {@link feedAll} to get every
   * action instead.
   *
   * @returns what the UI should do (see {@link EditorAction})
   */
  feed (str: string | undefined, key: KeyPress | undefined): EditorAction {
    try {
      const s = typeof str === 'string' ? str : undefined
      if (s === undefined || this.inPaste || codePoints(s) <= 1) return this.step(s, key)
      for (let i = 0; i < s.length;) {
        const j = nextBoundary(s, i)
        const action = this.step(s.slice(i, j), undefined)
        i = j
        if (action.type !== 'none') {
          const rest = normalizeBreaks(s.slice(i)).replace(/\n+$/, '')
          if (rest !== '') this.insertText(rest)
          return action
        }
      }
      return NONE
    } catch {
      return NONE // unreachable by design; the UI must never crash on a key
    }
  }

  /**
   * Like {@link feed}, but applies every code point of a multi-character `str` as its own key and
   * returns every action that is not `none`, in order (so `'one\rtwo\r'` gives two submits).
   * Returns an empty array when the keys only edited the buffer. Never throws.
   */
  feedAll (str: string | undefined, key: KeyPress | undefined): EditorAction[] {
    const out: EditorAction[] = []
    try {
      const s = typeof str === 'string' ? str : undefined
      if (s === undefined || this.inPaste || codePoints(s) <= 1) {
        const action = this.step(s, key)
        if (action.type !== 'none') out.push(action)
        return out
      }
      for (let i = 0; i < s.length;) {
        const j = nextBoundary(s, i)
        const action = this.step(s.slice(i, j), undefined)
        i = j
        if (action.type !== 'none') out.push(action)
      }
    } catch {
      // unreachable by design
    }
    return out
  }

  /**
   * Replaces the buffer, e.g. with a completion. `cursor` (UTF-16 index, default the end) is
   * clamped to the text and moved off the middle of a surrogate pair. Ends a search (without
   * accepting its match) and the current kill sequence; does not move in history.
   */
  setText (text: string, cursor?: number): void {
    const t = typeof text === 'string' ? text : ''
    let c = cursor === undefined || Number.isNaN(cursor) ? t.length : Math.trunc(cursor)
    c = Math.max(0, Math.min(t.length, c))
    if (c > 0 && c < t.length && isLow(t.charCodeAt(c)) && isHigh(t.charCodeAt(c - 1))) c--
    this.left = t.slice(0, c)
    this.right = t.slice(c)
    this.search = null
    this.lastWasKill = false
    this.pasteCR = false
  }

  /**
   * Inserts `text` at the cursor literally (no key is interpreted; `'\r\n'` and `'\r'` become
   * `'\n'`) and moves the cursor after it. During a search, accepts the match first.
   */
  insert (text: string): void {
    if (typeof text !== 'string') return
    if (this.search !== null) this.acceptSearch()
    this.lastWasKill = false
    this.insertText(normalizeBreaks(text))
  }

  /** The history, oldest first (a copy; at most `historySize` entries). */
  history (): readonly string[] {
    return this.entries.slice()
  }

  // --- dispatch -------------------------------------------------------------------------------

  /** One key. */
  private step (str: string | undefined, rawKey: KeyPress | undefined): EditorAction {
    if ((str === undefined || str === '') && (rawKey === undefined || rawKey === null)) return NONE
    const k = normalizeKey(str, rawKey)
    if (k.name === 'paste-start') {
      if (this.search !== null) this.acceptSearch()
      this.inPaste = true
      this.pasteCR = false
      this.lastWasKill = false
      return NONE
    }
    if (k.name === 'paste-end') {
      this.inPaste = false
      this.pasteCR = false
      return NONE
    }
    if (this.inPaste) {
      this.pasteKey(str, k)
      return NONE
    }
    if (this.search !== null) return this.searchKey(str, k)
    return this.editKey(str, k)
  }

  /** A key inside a bracketed paste: text goes in literally. */
  private pasteKey (str: string | undefined, k: Key): void {
    let text: string | undefined
    if (k.name === 'return' || k.name === 'enter') text = str ?? (k.name === 'return' ? '\r' : '\n')
    else if (k.name === 'tab') text = str ?? '\t'
    else text = str
    if (text === undefined || text === '') return
    if (this.pasteCR && text.startsWith('\n')) text = text.slice(1) // the '\n' of a '\r\n'
    this.pasteCR = text.endsWith('\r')
    this.insertText(normalizeBreaks(text))
  }

  private searchKey (str: string | undefined, k: Key): EditorAction {
    const s = this.search as Search
    const { name, ctrl, meta } = k
    if (name === 'escape' || (ctrl && !meta && name === 'g')) {
      this.endSearch()
      return NONE
    }
    if (ctrl && !meta && name === 'r') {
      if (s.query === '') {
        if (this.lastQuery === '') return NONE
        s.query = this.lastQuery
        s.match = this.find(s.query, this.entries.length - 1)
      } else {
        const from = (s.match ?? s.pos ?? this.entries.length) - 1
        const older = this.find(s.query, from)
        if (older !== null) s.match = older // else stay on the current match, as readline does
      }
      if (s.match !== null) s.pos = s.match
      return NONE
    }
    if (!ctrl && !meta && (name === 'return' || name === 'enter')) {
      this.acceptSearch()
      return NONE
    }
    if (!meta && ((name === 'backspace' && !ctrl) || (ctrl && name === 'h'))) {
      if (s.query !== '') {
        s.query = s.query.slice(0, prevBoundary(s.query, s.query.length))
        s.match = this.find(s.query, this.entries.length - 1)
        s.pos = s.match
      }
      return NONE
    }
    if (!ctrl && !meta && isPrintable(str)) {
      s.query += str
      s.match = this.find(s.query, s.pos ?? this.entries.length - 1)
      if (s.match !== null) s.pos = s.match
      return NONE
    }
    this.acceptSearch()
    return this.editKey(str, k)
  }

  /** Index of the newest history entry at or before `from` containing `query`; null if none or if `query` is empty. */
  private find (query: string, from: number): number | null {
    if (query === '') return null
    for (let i = Math.min(from, this.entries.length - 1); i >= 0; i--) {
      if ((this.entries[i] as string).includes(query)) return i
    }
    return null
  }

  private acceptSearch (): void {
    const s = this.search
    if (s === null) return
    if (s.match !== null) {
      if (this.histPos === this.entries.length) this.draft = this.text
      this.histPos = s.match
      this.left = this.entries[s.match] as string
      this.right = ''
    }
    this.endSearch()
  }

  private endSearch (): void {
    if (this.search !== null && this.search.query !== '') this.lastQuery = this.search.query
    this.search = null
  }

  /** A key in normal editing. */
  private editKey (str: string | undefined, k: Key): EditorAction {
    const wasKill = this.lastWasKill
    this.lastWasKill = false
    const name = k.name ?? ''
    if (name === 'escape' || (k.ctrl && k.meta)) return unhandled(k)
    const table = k.ctrl ? CTRL_BINDINGS : k.meta ? META_BINDINGS : PLAIN_BINDINGS
    const command = table.get(name)
    if (command !== undefined) return this.run(command, k, wasKill)
    if (k.ctrl || k.meta) return unhandled(k)
    const text = str ?? (isPrintable(k.sequence) ? k.sequence : undefined)
    if (!isPrintable(text)) return unhandled(k)
    this.insertText(text)
    return NONE
  }

  /** Runs a bound command (named as in GNU Readline). */
  private run (command: Command, k: Key, wasKill: boolean): EditorAction {
    switch (command) {
      case 'beginning-of-line':
        this.moveTo(0)
        break
      case 'end-of-line':
        this.moveTo(this.text.length)
        break
      case 'backward-char':
        this.moveTo(prevBoundary(this.left, this.left.length))
        break
      case 'forward-char':
        this.moveTo(this.left.length + nextBoundary(this.right, 0))
        break
      case 'backward-word':
        this.moveTo(this.wordStart())
        break
      case 'forward-word':
        this.moveTo(this.wordEnd())
        break
      case 'previous-history':
        this.historyMove(-1)
        break
      case 'next-history':
        this.historyMove(1)
        break
      case 'backward-delete-char':
        this.deleteBackward()
        break
      case 'delete-char':
        this.deleteForward()
        break
      case 'delete-char-or-eof':
        if (this.left === '' && this.right === '') return unhandled(k)
        this.deleteForward()
        break
      case 'unix-line-discard':
        this.killBackward(0, wasKill)
        break
      case 'kill-line':
        this.killForward(this.text.length, wasKill)
        break
      case 'unix-word-rubout':
        this.killBackward(this.unixWordStart(), wasKill)
        break
      case 'kill-word':
        this.killForward(this.wordEnd(), wasKill)
        break
      case 'backward-kill-word':
        this.killBackward(this.wordStart(), wasKill)
        break
      case 'yank':
        this.yank()
        break
      case 'reverse-search-history':
        this.search = { query: '', match: null, pos: null }
        break
      case 'accept-line':
        return this.submit()
      case 'complete':
        return k.shift ? unhandled(k) : { type: 'complete' }
    }
    return NONE
  }

  // --- editing --------------------------------------------------------------------------------

  private insertText (s: string): void {
    this.left += s
  }

  /** Moves the cursor to `i` (an index into the whole text, on a code point boundary). */
  private moveTo (i: number): void {
    const c = this.left.length
    if (i < c) {
      this.right = this.left.slice(i) + this.right
      this.left = this.left.slice(0, i)
    } else if (i > c) {
      this.left += this.right.slice(0, i - c)
      this.right = this.right.slice(i - c)
    }
  }

  private deleteBackward (): void {
    this.left = this.left.slice(0, prevBoundary(this.left, this.left.length))
  }

  private deleteForward (): void {
    this.right = this.right.slice(nextBoundary(this.right, 0))
  }

  /** Readline's backward-word: back over non-word characters, then over word characters. */
  private wordStart (): number {
    const t = this.text
    let i = this.cursor
    while (i > 0 && !isWord(charBefore(t, i))) i = prevBoundary(t, i)
    while (i > 0 && isWord(charBefore(t, i))) i = prevBoundary(t, i)
    return i
  }

  /** Readline's forward-word: forward over non-word characters, then over word characters. */
  private wordEnd (): number {
    const t = this.text
    let i = this.cursor
    while (i < t.length && !isWord(charAt(t, i))) i = nextBoundary(t, i)
    while (i < t.length && isWord(charAt(t, i))) i = nextBoundary(t, i)
    return i
  }

  /** Readline's unix-word-rubout boundary: back over whitespace, then over non-whitespace. */
  private unixWordStart (): number {
    const t = this.left
    let i = t.length
    while (i > 0 && isSpace(charBefore(t, i))) i = prevBoundary(t, i)
    while (i > 0 && !isSpace(charBefore(t, i))) i = prevBoundary(t, i)
    return i
  }

  /** Kills from `start` to the cursor. */
  private killBackward (start: number, wasKill: boolean): void {
    const killed = this.left.slice(start)
    this.left = this.left.slice(0, start)
    this.remember(killed, false, wasKill)
  }

  /** Kills from the cursor to `end` (an index into the whole text). */
  private killForward (end: number, wasKill: boolean): void {
    const n = end - this.left.length
    const killed = this.right.slice(0, n)
    this.right = this.right.slice(n)
    this.remember(killed, true, wasKill)
  }

  private remember (killed: string, forward: boolean, wasKill: boolean): void {
    this.lastWasKill = true
    if (killed === '') return
    const last = this.kills.length - 1
    if (wasKill && last >= 0) {
      this.kills[last] = forward ? this.kills[last] + killed : killed + this.kills[last]
      return
    }
    this.kills.push(killed)
    if (this.kills.length > KILL_RING_SIZE) this.kills.shift()
  }

  private yank (): void {
    const latest = this.kills[this.kills.length - 1]
    if (latest !== undefined) this.insertText(latest)
  }

  private historyMove (delta: -1 | 1): void {
    const to = this.histPos + delta
    if (to < 0 || to > this.entries.length) return
    if (this.histPos === this.entries.length) this.draft = this.text
    this.histPos = to
    this.left = to === this.entries.length ? this.draft : this.entries[to] as string
    this.right = ''
  }

  private submit (): EditorAction {
    const text = this.text
    if (text.trim() === '') return NONE
    const n = codePoints(text)
    if (n > this.maxChars) {
      return { type: 'refused', text, reason: `message is ${n} characters; the limit is ${this.maxChars}` }
    }
    if (this.historySize > 0 && this.entries[this.entries.length - 1] !== text) {
      this.entries.push(text)
      if (this.entries.length > this.historySize) this.entries.splice(0, this.entries.length - this.historySize)
    }
    this.left = ''
    this.right = ''
    this.histPos = this.entries.length
    this.draft = ''
    return { type: 'submit', text }
  }
}
