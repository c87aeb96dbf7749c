/**
 * The line editor driven by real keys: every test writes raw terminal bytes to a stream decoded by
 * Node's readline.emitKeypressEvents and feeds each keypress to the editor, as the UI does.
 */
import { emitKeypressEvents } from 'node:readline'
import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineEditor } from '../../src/ui/line-editor.js'
import type { EditorAction, KeyPress } from '../../src/ui/line-editor.js'

/** A terminal wired to `ed`: `type(raw)` writes raw bytes and returns the actions other than `none`. */
function terminal (ed: LineEditor): { type: (raw: string) => EditorAction[], all: EditorAction[] } {
  const stream = new PassThrough()
  emitKeypressEvents(stream)
  const all: EditorAction[] = []
  stream.on('keypress', (str: string | undefined, key: KeyPress) => { all.push(ed.feed(str, key)) })
  return {
    all,
    type (raw: string): EditorAction[] {
      const from = all.length
      stream.write(raw) // keypresses are emitted synchronously during write
      return all.slice(from).filter(a => a.type !== 'none')
    }
  }
}

/** A fresh editor with a terminal; `raw` typed first. */
function typed (raw: string, options?: ConstructorParameters<typeof LineEditor>[0]): { ed: LineEditor, actions: EditorAction[], type: (raw: string) => EditorAction[] } {
  const ed = new LineEditor(options)
  const term = terminal(ed)
  const actions = term.type(raw)
  return { ed, actions, type: term.type }
}

const K = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  home: '\x1b[H',
  end: '\x1b[F',
  del: '\x1b[3~',
  bs: '\x7f',
  ctrlLeft: '\x1b[1;5D',
  ctrlRight: '\x1b[1;5C',
  ctrlHome: '\x1b[1;5H',
  ctrlEnd: '\x1b[1;5F',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  pasteStart: '\x1b[200~',
  pasteEnd: '\x1b[201~',
  altBs: '\x1b\x7f',
  shiftTab: '\x1b[Z'
}
const ctrl = (c: string): string => String.fromCharCode(c.toUpperCase().charCodeAt(0) - 64)
const alt = (c: string): string => '\x1b' + c
const paste = (s: string): string => K.pasteStart + s + K.pasteEnd
const ESCAPE: KeyPress = { sequence: '\x1b', name: 'escape', ctrl: false, meta: true, shift: false }

/** Text with `|` at the cursor. */
function show (ed: LineEditor): string { return ed.text.slice(0, ed.cursor) + '|' + ed.text.slice(ed.cursor) }

describe('line editor: typing and moving', () => {
  it('inserts printable text at the cursor', () => {
    const { ed, actions } = typed('hello')
    expect(actions).toEqual([])
    expect(show(ed)).toBe('hello|')
  })

  it('Ctrl-A / Home go to the start, Ctrl-E / End to the end', () => {
    const { ed, type } = typed('bc')
    type(ctrl('a') + 'a')
    expect(show(ed)).toBe('a|bc')
    type(ctrl('e') + 'd')
    expect(show(ed)).toBe('abcd|')
    type(K.home + '>')
    expect(show(ed)).toBe('>|abcd')
    type(K.end + '<')
    expect(show(ed)).toBe('>abcd<|')
  })

  it('Ctrl-B / Left and Ctrl-F / Right move one character', () => {
    const { ed, type } = typed('ace')
    type(ctrl('b') + 'd')
    expect(show(ed)).toBe('acd|e')
    type(K.left + K.left + 'b')
    expect(show(ed)).toBe('ab|cde')
    type(ctrl('f') + K.right + '!')
    expect(show(ed)).toBe('abcd!|e')
    type(K.right + K.right + ctrl('f')) // past the end: stays
    expect(show(ed)).toBe('abcd!e|')
    type(K.home + K.left + ctrl('b'))
    expect(show(ed)).toBe('|abcd!e')
  })

  it('Alt-B / Ctrl-Left and Alt-F / Ctrl-Right move by words of letters and digits', () => {
    const { ed, type } = typed('foo-bar  baz42.x')
    type(alt('b'))
    expect(show(ed)).toBe('foo-bar  baz42.|x')
    type(alt('b'))
    expect(show(ed)).toBe('foo-bar  |baz42.x')
    type(K.ctrlLeft)
    expect(show(ed)).toBe('foo-|bar  baz42.x')
    type(K.ctrlLeft + K.ctrlLeft)
    expect(show(ed)).toBe('|foo-bar  baz42.x')
    type(alt('f'))
    expect(show(ed)).toBe('foo|-bar  baz42.x')
    type(alt('f'))
    expect(show(ed)).toBe('foo-bar|  baz42.x')
    type(K.ctrlRight)
    expect(show(ed)).toBe('foo-bar  baz42|.x')
    type(K.ctrlRight + K.ctrlRight)
    expect(show(ed)).toBe('foo-bar  baz42.x|')
  })

  it('treats letters of any script as word characters', () => {
    const { ed, type } = typed('élan ça')
    type(alt('b'))
    expect(show(ed)).toBe('élan |ça')
    type(alt('b'))
    expect(show(ed)).toBe('|élan ça')
  })

  it('inserts a multi-character str (an unbracketed chunk from another decoder) whole', () => {
    const ed = new LineEditor()
    expect(ed.feed('abc', undefined)).toEqual({ type: 'none' })
    expect(ed.feed('😀', { sequence: '😀' })).toEqual({ type: 'none' })
    expect(show(ed)).toBe('abc😀|')
  })
})

describe('line editor: deleting', () => {
  it('several backspaces in one chunk each delete one character', () => {
    const { ed } = typed('abcdef' + K.bs + K.bs + K.bs)
    expect(show(ed)).toBe('abc|')
  })

  it('Ctrl-H deletes backwards too; Backspace at the start does nothing', () => {
    const { ed, type } = typed('abc' + ctrl('h'))
    expect(show(ed)).toBe('ab|')
    type(K.home + K.bs + ctrl('h'))
    expect(show(ed)).toBe('|ab')
  })

  it('Delete deletes forward', () => {
    const { ed, type } = typed('abcd' + K.home + K.del)
    expect(show(ed)).toBe('|bcd')
    type(K.right + K.del + K.del)
    expect(show(ed)).toBe('b|')
    type(K.del) // at the end: nothing
    expect(show(ed)).toBe('b|')
  })

  it('Ctrl-D deletes forward on a non-empty buffer, and is unhandled on an empty one', () => {
    const { ed, actions, type } = typed('xy' + K.left + ctrl('d'))
    expect(actions).toEqual([])
    expect(show(ed)).toBe('x|')
    expect(type(ctrl('d'))).toEqual([]) // at the end of a non-empty buffer: consumed, nothing deleted
    expect(show(ed)).toBe('x|')
    type(K.bs)
    const [action] = type(ctrl('d'))
    expect(action).toMatchObject({ type: 'unhandled', key: { name: 'd', ctrl: true } })
    expect(ed.text).toBe('')
  })

  it('deletes and steps over surrogate pairs (emoji) whole', () => {
    const { ed, type } = typed('a😀b🎉')
    expect(ed.text.length).toBe(6)
    type(K.bs)
    expect(show(ed)).toBe('a😀b|')
    type(K.left + K.left)
    expect(show(ed)).toBe('a|😀b')
    expect(ed.cursor).toBe(1)
    type(K.del)
    expect(show(ed)).toBe('a|b')
    type(K.end + '👍' + K.left)
    expect(ed.cursor).toBe(2)
    type(K.right)
    expect(ed.cursor).toBe(4)
    type(K.bs + K.bs)
    expect(show(ed)).toBe('a|')
  })

  it('setText never leaves the cursor inside a surrogate pair', () => {
    const ed = new LineEditor()
    ed.setText('x😀y', 2)
    expect(ed.cursor).toBe(1)
    ed.setText('x😀y', 99)
    expect(ed.cursor).toBe(4)
    ed.setText('x😀y', -5)
    expect(ed.cursor).toBe(0)
    ed.setText('x😀y')
    expect(ed.cursor).toBe(4)
  })
})

describe('line editor: killing and yanking', () => {
  it('hello + Ctrl-U yields an empty buffer, and Ctrl-Y brings it back', () => {
    const { ed, type } = typed('hello' + ctrl('u'))
    expect(show(ed)).toBe('|')
    type(ctrl('y'))
    expect(show(ed)).toBe('hello|')
  })

  it('Ctrl-U kills from the start to the cursor only', () => {
    const { ed } = typed('hello world' + alt('b') + ctrl('u'))
    expect(show(ed)).toBe('|world')
  })

  it('Ctrl-K kills from the cursor to the end', () => {
    const { ed, type } = typed('hello world' + alt('b') + ctrl('k'))
    expect(show(ed)).toBe('hello |')
    type(ctrl('a') + ctrl('y'))
    expect(show(ed)).toBe('world|hello ')
  })

  it('Ctrl-W kills the previous whitespace-delimited word', () => {
    const { ed, type } = typed('git commit -m "x y"  ' + ctrl('w'))
    expect(show(ed)).toBe('git commit -m "x |')
    type(ctrl('w'))
    expect(show(ed)).toBe('git commit -m |')
  })

  it('Alt-D kills the next word, Alt-Backspace the previous one', () => {
    const { ed, type } = typed('foo.bar baz' + ctrl('a') + alt('d'))
    expect(show(ed)).toBe('|.bar baz')
    type(alt('d'))
    expect(show(ed)).toBe('| baz')
    type(K.end + K.altBs)
    expect(show(ed)).toBe(' |')
    type(ctrl('y'))
    expect(show(ed)).toBe(' baz|')
  })

  it('consecutive kills accumulate into one kill (backward kills prepend, forward kills append)', () => {
    const { ed, type } = typed('one two three' + ctrl('w') + ctrl('w'))
    expect(show(ed)).toBe('one |')
    type(ctrl('y'))
    expect(show(ed)).toBe('one two three|')
    type(ctrl('a') + alt('d') + alt('d') + ctrl('k'))
    expect(show(ed)).toBe('|')
    type(ctrl('y'))
    expect(show(ed)).toBe('one two three|')
  })

  it('a key between two kills starts a new kill; Ctrl-Y yanks the latest', () => {
    const { ed, type } = typed('alpha beta' + ctrl('w') + K.left + ctrl('w'))
    expect(show(ed)).toBe('| ') // 'beta' killed, then (after Left) 'alpha'
    type(K.end + ctrl('y'))
    expect(show(ed)).toBe(' alpha|')
  })

  it('Ctrl-Y with nothing killed does nothing', () => {
    const { ed } = typed('x' + ctrl('y'))
    expect(show(ed)).toBe('x|')
  })
})

describe('line editor: submitting', () => {
  it('Enter submits the buffer, clears it and records history', () => {
    const { ed, actions } = typed('hi there\r')
    expect(actions).toEqual([{ type: 'submit', text: 'hi there' }])
    expect(show(ed)).toBe('|')
    expect(ed.history()).toEqual(['hi there'])
  })

  it('two lines typed in one chunk are two submits', () => {
    const { ed, actions } = typed('one\rtwo\r')
    expect(actions).toEqual([{ type: 'submit', text: 'one' }, { type: 'submit', text: 'two' }])
    expect(ed.history()).toEqual(['one', 'two'])
  })

  it('"\\n" submits too, and an unbracketed "\\r\\n" submits once', () => {
    const { ed, actions } = typed('a\nb\r\nc\r\n')
    expect(actions).toEqual([{ type: 'submit', text: 'a' }, { type: 'submit', text: 'b' }, { type: 'submit', text: 'c' }])
    expect(ed.text).toBe('')
  })

  it('an empty or whitespace-only buffer does not submit', () => {
    const { ed, actions } = typed('\r   \r' + paste('\n \t\n') + '\r')
    expect(actions).toEqual([])
    expect(ed.history()).toEqual([])
  })

  it('apostrophes, double quotes and backslashes survive verbatim', () => {
    const line = 'it\'s "quoted" \\n C:\\path\\ `tick` $HOME %s {}'
    const { actions } = typed(line + '\r')
    expect(actions).toEqual([{ type: 'submit', text: line }])
  })

  it('refuses a message over the limit, counting code points, and keeps the buffer', () => {
    const { ed, actions, type } = typed('😀😀😀\r', { maxChars: 3 })
    expect(actions).toEqual([{ type: 'submit', text: '😀😀😀' }]) // 6 code units, 3 characters
    const refused = type('abcd\r')
    expect(refused).toEqual([{ type: 'refused', text: 'abcd', reason: 'message is 4 characters; the limit is 3' }])
    expect(show(ed)).toBe('abcd|')
    expect(type(K.bs + '\r')).toEqual([{ type: 'submit', text: 'abc' }])
  })

  it('history skips a repeat of the newest entry and keeps at most historySize entries', () => {
    const { ed } = typed('a\ra\rb\ra\rc\rd\r', { historySize: 3 })
    expect(ed.history()).toEqual(['a', 'c', 'd'])
    const seeded = new LineEditor({ history: ['1', '2', '3', '4'], historySize: 2 })
    expect(seeded.history()).toEqual(['3', '4'])
    expect(() => new LineEditor({ maxChars: 0 })).toThrow(RangeError)
  })
})

describe('line editor: bracketed paste', () => {
  it('a paste of three lines then Enter is one submit with newlines', () => {
    const { ed, actions, type } = typed(paste('first\nsecond\nthird'))
    expect(actions).toEqual([])
    expect(ed.pasting).toBe(false)
    expect(ed.text).toBe('first\nsecond\nthird')
    expect(type('\r')).toEqual([{ type: 'submit', text: 'first\nsecond\nthird' }])
  })

  it('turns "\\r\\n" and "\\r" into "\\n" and keeps blank lines', () => {
    const { ed } = typed(paste('a\r\nb\rc\n\nd\r\r\ne'))
    expect(ed.text).toBe('a\nb\nc\n\nd\n\ne')
  })

  it('reports pasting between paste-start and paste-end', () => {
    const { ed, type } = typed(K.pasteStart + 'x')
    expect(ed.pasting).toBe(true)
    type('y' + K.pasteEnd)
    expect(ed.pasting).toBe(false)
    expect(ed.text).toBe('xy')
  })

  it('keeps tabs, quotes and backslashes verbatim and interprets no key', () => {
    const body = 'col1\tcol2\n\'single\' "double" \\back\\slash\\\nend'
    const { ed, actions } = typed(paste(body + ctrl('u') + K.bs + K.left))
    expect(actions).toEqual([])
    // Ctrl-U and DEL came as text and stay text; Left had no text and is dropped
    expect(ed.text).toBe(body + '\x15\x7f')
  })

  it('inserts at the cursor', () => {
    const { ed } = typed('<>' + K.left + paste('a\nb'))
    expect(show(ed)).toBe('<a\nb|>')
  })

  it('a 5,000-character paste + Enter is refused with the count; the buffer stays; Ctrl-U clears it', () => {
    const big = 'x'.repeat(2500) + '\n' + 'y'.repeat(2499)
    const { ed, actions, type } = typed(paste(big))
    expect(actions).toEqual([])
    expect(type('\r')).toEqual([{ type: 'refused', text: big, reason: 'message is 5000 characters; the limit is 4000' }])
    expect(ed.text).toBe(big)
    expect(ed.cursor).toBe(5000)
    expect(ed.history()).toEqual([])
    type(ctrl('u'))
    expect(ed.text).toBe('')
  })
})

describe('line editor: history', () => {
  it('Up / Down walk history and restore the draft', () => {
    const { ed, type } = typed('first\rsecond\rdraft')
    type(K.up)
    expect(show(ed)).toBe('second|')
    type(K.up)
    expect(ed.text).toBe('first')
    type(K.up) // at the oldest: stays
    expect(ed.text).toBe('first')
    type(K.down)
    expect(ed.text).toBe('second')
    type(K.down)
    expect(show(ed)).toBe('draft|')
    type(K.down) // below the draft: stays
    expect(ed.text).toBe('draft')
  })

  it('a recalled entry can be edited and submitted', () => {
    const { ed, type } = typed('hello\r')
    expect(type(K.up + ' again\r')).toEqual([{ type: 'submit', text: 'hello again' }])
    expect(ed.history()).toEqual(['hello', 'hello again'])
  })

  it('Ctrl-P and Ctrl-N are not history: they go to the UI', () => {
    const { ed, type } = typed('old\rnew')
    expect(type(ctrl('p') + ctrl('n'))).toMatchObject([
      { type: 'unhandled', key: { name: 'p', ctrl: true } },
      { type: 'unhandled', key: { name: 'n', ctrl: true } }
    ])
    expect(ed.text).toBe('new')
  })
})

describe('line editor: reverse incremental search', () => {
  const HISTORY = ['git status', 'echo hello', 'git commit -m fix', 'ls -la', 'git push']

  it('Ctrl-R finds an older entry, Ctrl-R again the next older, Enter accepts without submitting', () => {
    const { ed, type } = typed('draft', { history: HISTORY })
    type(ctrl('r'))
    expect(ed.searching).toEqual({ query: '', match: null })
    type('git')
    expect(ed.searching).toEqual({ query: 'git', match: 'git push' })
    type(ctrl('r'))
    expect(ed.searching).toEqual({ query: 'git', match: 'git commit -m fix' })
    type(ctrl('r'))
    expect(ed.searching).toEqual({ query: 'git', match: 'git status' })
    type(ctrl('r')) // no older match: stays
    expect(ed.searching).toEqual({ query: 'git', match: 'git status' })
    expect(ed.text).toBe('draft')
    expect(type('\r')).toEqual([])
    expect(ed.searching).toBe(null)
    expect(show(ed)).toBe('git status|')
    expect(type('\r')).toEqual([{ type: 'submit', text: 'git status' }])
  })

  it('finds an older entry by a word in its middle', () => {
    const { ed, type } = typed(ctrl('r') + 'hel', { history: HISTORY })
    expect(ed.searching).toEqual({ query: 'hel', match: 'echo hello' })
    type('\r')
    expect(ed.text).toBe('echo hello')
  })

  it('typing after Ctrl-R continues from the current match; no match is null', () => {
    const { ed, type } = typed(ctrl('r') + 'git' + ctrl('r'), { history: HISTORY })
    expect(ed.searching?.match).toBe('git commit -m fix')
    type(' s')
    expect(ed.searching).toEqual({ query: 'git s', match: 'git status' })
    type('zz')
    expect(ed.searching).toEqual({ query: 'git szz', match: null })
  })

  it('Backspace shortens the query and searches again', () => {
    const { ed, type } = typed(ctrl('r') + 'lsx', { history: HISTORY })
    expect(ed.searching).toEqual({ query: 'lsx', match: null })
    type(K.bs)
    expect(ed.searching).toEqual({ query: 'ls', match: 'ls -la' })
    type(K.bs + K.bs + K.bs)
    expect(ed.searching).toEqual({ query: '', match: null })
  })

  it('Escape and Ctrl-G cancel, leaving the buffer as it was', () => {
    const ed = new LineEditor({ history: HISTORY })
    const { type } = terminal(ed)
    type('mine' + K.left + ctrl('r') + 'echo')
    expect(ed.searching?.match).toBe('echo hello')
    expect(ed.feed(undefined, ESCAPE)).toEqual({ type: 'none' })
    expect(ed.searching).toBe(null)
    expect(show(ed)).toBe('min|e')
    type(ctrl('r') + 'push' + ctrl('g'))
    expect(ed.searching).toBe(null)
    expect(show(ed)).toBe('min|e')
  })

  it('an editing or movement key accepts the match and then applies', () => {
    const { ed, type } = typed(ctrl('r') + 'echo' + ctrl('a') + '$ ', { history: HISTORY })
    expect(ed.searching).toBe(null)
    expect(show(ed)).toBe('$ |echo hello')
    type(ctrl('r') + 'push' + K.left + K.bs)
    expect(show(ed)).toBe('git pu|h')
  })

  it('after accepting, Up / Down continue from the match and come back to the draft', () => {
    const { ed, type } = typed('draft' + ctrl('r') + 'echo\r', { history: HISTORY })
    expect(ed.text).toBe('echo hello')
    type(K.up)
    expect(ed.text).toBe('git status')
    type(K.down + K.down)
    expect(ed.text).toBe('git commit -m fix')
    type(K.down + K.down + K.down)
    expect(ed.text).toBe('draft')
  })

  it('Ctrl-R on an empty query repeats the previous search', () => {
    const { ed, type } = typed(ctrl('r') + 'git\r', { history: HISTORY })
    expect(ed.text).toBe('git push')
    type(ctrl('r') + ctrl('r'))
    expect(ed.searching).toEqual({ query: 'git', match: 'git push' })
    type(ctrl('r'))
    expect(ed.searching).toEqual({ query: 'git', match: 'git commit -m fix' })
  })

  it('a key the UI owns accepts the match and is returned unhandled', () => {
    const { ed, type } = typed(ctrl('r') + 'ls', { history: HISTORY })
    expect(type(K.pageUp)).toMatchObject([{ type: 'unhandled', key: { name: 'pageup' } }])
    expect(ed.searching).toBe(null)
    expect(ed.text).toBe('ls -la')
  })
})

describe('line editor: Tab and keys for the UI', () => {
  it('Tab asks for completion and leaves the buffer; setText applies the result', () => {
    const { ed, actions, type } = typed('/jo\t')
    expect(actions).toEqual([{ type: 'complete' }])
    expect(show(ed)).toBe('/jo|')
    ed.setText('/join ')
    expect(type('room\r')).toEqual([{ type: 'submit', text: '/join room' }])
  })

  it('insert puts text at the cursor literally', () => {
    const { ed } = typed('ab' + K.left)
    ed.insert('\t1\r\n2')
    expect(show(ed)).toBe('a\t1\n2|b')
  })

  it('returns the keys the UI owns as unhandled and leaves the buffer alone', () => {
    const { ed, type } = typed('keep' + K.left)
    const keys: Array<[string, Partial<KeyPress>]> = [
      [K.pageUp, { name: 'pageup' }],
      [K.pageDown, { name: 'pagedown' }],
      [K.ctrlHome, { name: 'home', ctrl: true }],
      [K.ctrlEnd, { name: 'end', ctrl: true }],
      [alt('1'), { name: '1', meta: true }],
      [alt('9'), { name: '9', meta: true }],
      [alt('a'), { name: 'a', meta: true }],
      [ctrl('n'), { name: 'n', ctrl: true }],
      [ctrl('p'), { name: 'p', ctrl: true }],
      [ctrl('c'), { name: 'c', ctrl: true }],
      [ctrl('l'), { name: 'l', ctrl: true }],
      [ctrl('g'), { name: 'g', ctrl: true }],
      [ctrl('t'), { name: 't', ctrl: true }],
      [alt('\r'), { name: 'return', meta: true }],
      [alt('x'), { name: 'x', meta: true }],
      [K.shiftTab, { name: 'tab', shift: true }],
      ['\x1b[15~', { name: 'f5' }],
      ['\x1b[2~', { name: 'insert' }],
      ['\x1b[3;5~', { name: 'delete', ctrl: true }],
      ['\x1c', {}]
    ]
    for (const [raw, key] of keys) {
      expect(type(raw), JSON.stringify(raw)).toMatchObject([{ type: 'unhandled', key }])
      expect(show(ed)).toBe('kee|p')
    }
  })

  it('Escape is unhandled (fed directly, and through the decoder after its timeout)', async () => {
    const { ed, type } = typed('x')
    expect(ed.feed(undefined, ESCAPE)).toEqual({ type: 'unhandled', key: ESCAPE })
    expect(type('\x1b')).toEqual([]) // Node waits for more bytes before deciding it is Escape
    const term = terminal(ed)
    term.type('\x1b')
    await new Promise(resolve => setTimeout(resolve, 700))
    expect(term.all.filter(a => a.type !== 'none')).toMatchObject([{ type: 'unhandled', key: { name: 'escape' } }])
    expect(ed.text).toBe('x')
  })
})

describe('line editor: robustness', () => {
  it('never throws on odd input', () => {
    const ed = new LineEditor()
    expect(ed.feed(undefined, undefined)).toEqual({ type: 'none' })
    expect(ed.feed('', undefined)).toEqual({ type: 'none' })
    expect(ed.feed(undefined, {})).toMatchObject({ type: 'unhandled' })
    expect(ed.feed(undefined, { name: 'no-such-key' })).toMatchObject({ type: 'unhandled' })
    expect(ed.feed(undefined, { name: 'constructor', ctrl: true })).toMatchObject({ type: 'unhandled' })
    expect(ed.feed(undefined, { name: '__proto__', meta: true })).toMatchObject({ type: 'unhandled' })
    expect(ed.feed(undefined, { name: 'toString' })).toMatchObject({ type: 'unhandled' })
    expect(ed.feed(undefined, null as unknown as KeyPress)).toEqual({ type: 'none' })
    expect(ed.feed(42 as unknown as string, { name: 42 as unknown as string, ctrl: 'yes' as unknown as boolean })).toMatchObject({ type: 'unhandled' })
    expect(ed.feed('\ud800', undefined)).toEqual({ type: 'none' }) // a lone surrogate is still text
    expect(ed.feed(undefined, { name: 'paste-end' })).toEqual({ type: 'none' })
    expect(ed.text).toBe('\ud800')
  })

  it('feed on a multi-line chunk returns the first submit and keeps the rest; feedAll returns every action', () => {
    const ed = new LineEditor()
    expect(ed.feedAll('one\rtwo\r\tthree', undefined)).toEqual([
      { type: 'submit', text: 'one' }, { type: 'submit', text: 'two' }, { type: 'complete' }
    ])
    expect(ed.text).toBe('three')
    ed.setText('')
    expect(ed.feed('one\rtwo\r\n', undefined)).toEqual({ type: 'submit', text: 'one' })
    expect(show(ed)).toBe('two|')
    expect(ed.feedAll('ab\x7fc\x01>', undefined)).toEqual([])
    expect(show(ed)).toBe('>|twoac')
  })

  it('keeps the cursor on a code point boundary whatever is typed (property)', () => {
    const keys = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom(...Object.values(K), '\r', '\t', ctrl('u'), ctrl('w'), ctrl('y'), ctrl('k'), ctrl('r'), ctrl('d'), alt('d'), alt('b'), alt('f'), '😀', '\u0301')
    )
    fc.assert(fc.property(fc.array(keys, { maxLength: 40 }), chunks => {
      const ed = new LineEditor({ history: ['hist one', 'two 😀'], maxChars: 20 })
      const { type } = terminal(ed)
      for (const chunk of chunks) {
        // never end a chunk with a bare ESC (Node would wait for a timeout to decide)
        type(chunk.endsWith('\x1b') ? chunk + 'z' : chunk)
        const c = ed.cursor
        expect(c).toBeGreaterThanOrEqual(0)
        expect(c).toBeLessThanOrEqual(ed.text.length)
        const inPair = c > 0 && c < ed.text.length && /[\ud800-\udbff]/.test(ed.text[c - 1] as string) && /[\udc00-\udfff]/.test(ed.text[c] as string)
        expect(inPair).toBe(false)
      }
    }), { numRuns: 150 })
  })

  it('printable strings typed then Enter submit their concatenation (property)', () => {
    // any code points but C0/C1 controls and DEL, so no key is interpreted
    const printable = fc.string({ unit: 'binary', maxLength: 12 }).map(s => s.replace(/[\u0000-\u001f\u007f-\u009f]/gu, ''))
    fc.assert(fc.property(fc.array(printable, { maxLength: 8 }), parts => {
      const ed = new LineEditor()
      const { type } = terminal(ed)
      const actions = parts.flatMap(p => type(p))
      expect(actions).toEqual([])
      const text = parts.join('')
      expect(ed.text).toBe(text)
      const submitted = type('\r')
      if (text.trim() === '') expect(submitted).toEqual([])
      else expect(submitted).toEqual([{ type: 'submit', text }])
    }), { numRuns: 500 })
  })
})
