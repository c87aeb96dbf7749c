/**
 * The full-screen UI in a pseudo-terminal, typed at as a user would, one client and no peers (its
 * own messages say `· not sent yet (no peer)`): the input model (a line is a message unless it
 * starts with `/`), arguments kept verbatim, the line editor's keys, bracketed paste, the length
 * limit, Tab completion and the y/N question of `/leave`. Most of these were bugs of the old UI,
 * where a line whose first word was a command ran it, quotes were parsed out of messages, and the
 * input knew no editing keys.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { messageRow, statusRows, usePtyClients, type PtyClient } from '../helpers/pty.js'

/** Deadline of a start-up (a node, its store, the first frame). */
const START_MS = 15_000
/** Deadline of what a key or a command does on screen, locally. */
const STEP_MS = 5_000

describe('pty UI: typing', () => {
  const { spawn, dir } = usePtyClients()

  /** alice, started and in a new private space "Club" (channel #general). */
  async function aliceInClub (): Promise<PtyClient> {
    const a = spawn({ args: ['--account', join(dir(), 'alice.key')] })
    await a.started(START_MS)
    await a.type('/space create Club\r')
    await a.waitForText('Club #general', STEP_MS)
    return a
  }

  /** Waits for the input line to read `text` (after the prompt), the cursor at `cursor` (default: the end). */
  async function input (a: PtyClient, text: string, cursor = text.length): Promise<void> {
    const what = `the input line ${JSON.stringify(text)} with the cursor at ${cursor}`
    await a.waitFor(() => { const l = a.inputLine(); return l?.prompt === '> ' && l.text === text && l.cursor === cursor }, STEP_MS, what)
  }

  /** Waits for alice's message `text` to be shown as posted (first row). */
  async function posted (a: PtyClient, text: string, author = 'alice'): Promise<string> {
    return await a.waitFor(s => messageRow(author, text).test(s), STEP_MS, `${author}'s message ${JSON.stringify(text)} in the pane`)
  }

  it('posts lines that start with a command\'s name as messages: the space is not left, the app does not quit', async () => {
    const a = await aliceInClub()
    await a.type('leave it to me, I will do it\r')
    let screen = await posted(a, 'leave it to me, I will do it')
    expect(screen).toContain('leave it to me, I will do it · not sent yet (no peer)')
    await a.type('quit smoking, they said\r')
    await posted(a, 'quit smoking, they said')
    await a.type('help me understand this\r')
    await posted(a, 'help me understand this')
    await a.type('channels are confusing\r')
    screen = await posted(a, 'channels are confusing')
    // still running, still in the space, nothing ran as a command
    await a.type('still here\r')
    screen = await posted(a, 'still here')
    expect(statusRows(screen)).toEqual([expect.stringContaining(' │ Club #general ')])
    expect(screen).toMatch(/^Club /m)
    expect(screen).not.toMatch(/> leave|> quit|> help|> channels|you left|error/)
    expect(a.inputLine()).toEqual({ prompt: '> ', text: '', cursor: 0 })
  })

  it('keeps apostrophes and quotes in /reply, /nick and /send, and `//` sends a leading slash', async () => {
    const a = await aliceInClub()
    await a.type('first\r')
    const id = /★alice: first · not sent yet \(no peer\) {2}(\w{6})/.exec(await posted(a, 'first'))?.[1]
    expect(id).toBeDefined()
    await a.type(`/reply ${id as string} don't worry, it's fine\r`)
    const screen = await posted(a, 'don\'t worry, it\'s fine')
    // the quoted message on the row above the reply
    const rows = screen.split('\n')
    const at = rows.findIndex(row => messageRow('alice', 'don\'t worry, it\'s fine').test(row))
    expect(rows[at - 1]).toMatch(/ {6}↪ alice: first$/)
    await a.type('/nick Bob O\'Brien\r')
    await a.waitFor(s => statusRows(s)[0]?.startsWith(' Bob O\'Brien │ ') === true && s.includes('you are now Bob O\'Brien'), STEP_MS, 'the new name in the status line')
    await a.type('/send it\'s a "quoted" word\r')
    await posted(a, 'it\'s a "quoted" word', 'Bob O\'Brien')
    await a.type('//shrug\r')
    await posted(a, '/shrug', 'Bob O\'Brien')
  })

  it('shows /me, edits, reactions and deletions on the message, under a day separator', async () => {
    const a = await aliceInClub()
    /** A date as the day separator writes it: `Sunday 22 November 2026`. */
    const day = (d: Date): string => `${d.toLocaleDateString('en-GB', { weekday: 'long' })} ${d.getDate()} ${d.toLocaleDateString('en-GB', { month: 'long' })} ${d.getFullYear()}`
    const before = day(new Date())
    await a.type('/me waves\r')
    let screen = await a.waitForText(/\d\d:\d\d \* ★alice waves · not sent yet/, STEP_MS)
    // today's date on the separator above the first message (either side of a midnight)
    expect([before, day(new Date())].some(d => screen.includes(`─── ${d} ───`))).toBe(true)
    await a.type('tpyo here\r')
    const typo = /★alice: tpyo here · not sent yet \(no peer\) {2}(\w{6})/.exec(await posted(a, 'tpyo here'))?.[1] as string
    await a.type(`/edit ${typo} typo here\r`)
    await a.waitForText(/★alice: typo here \(edited\)/, STEP_MS)
    await a.type(`/react ${typo} 👍\r`)
    await a.waitForText(/★alice: typo here \(edited\) {2}👍 1 /, STEP_MS)
    await a.type('oops\r')
    const oops = /★alice: oops · not sent yet \(no peer\) {2}(\w{6})/.exec(await posted(a, 'oops'))?.[1] as string
    await a.type(`/delete ${oops}\r`)
    screen = await a.waitForText(`★alice: (deleted)`, STEP_MS)
    expect(screen).not.toMatch(messageRow('alice', 'oops'))
  })

  it('edits the input with readline keys', async () => {
    const a = await aliceInClub()
    await a.type('world')
    await input(a, 'world')
    a.write('\x01') // Ctrl-A
    await input(a, 'world', 0)
    a.write('hello ')
    await input(a, 'hello world', 6)
    a.write('\x05') // Ctrl-E
    await input(a, 'hello world')
    a.write('!')
    await input(a, 'hello world!')
    a.write('\x1bb') // Alt-B: to the start of "world"
    await input(a, 'hello world!', 6)
    a.write('big ')
    await input(a, 'hello big world!', 10)
    a.write('\x17') // Ctrl-W: the word before the cursor
    await input(a, 'hello world!', 6)
    a.write('\x1bf') // Alt-F: to the end of "world"
    await input(a, 'hello world!', 11)
    a.write('\x1b[H') // Home
    await input(a, 'hello world!', 0)
    a.write('\x1b[3~') // Delete: the character under the cursor
    await input(a, 'ello world!', 0)
    a.write('\x1b[F') // End
    await input(a, 'ello world!')
    a.write('\x7f\x7f\x7f') // three Backspaces in one write: each deletes one
    await input(a, 'ello wor')
    a.write('\x1bb\x0b') // Alt-B, Ctrl-K: kill "wor"
    await input(a, 'ello ')
    a.write('\x08') // Ctrl-H
    await input(a, 'ello')
    a.write('\x01\x19') // Ctrl-A, Ctrl-Y: yank "wor" at the start
    await input(a, 'worello', 3)
    a.write('\r')
    await posted(a, 'worello')
    // Ctrl-U clears what was typed: only what follows is sent
    await a.type('hello')
    await input(a, 'hello')
    a.write('\x15')
    await input(a, '')
    a.write('bye\r')
    const screen = await posted(a, 'bye')
    expect(screen).not.toMatch(/hellobye|: hello/)
  })

  it('recalls history with Up/Down and Ctrl-R, and runs two lines written at once as two', async () => {
    const a = await aliceInClub()
    await a.type('one\rtwo\r')
    let screen = await a.waitFor(s => messageRow('alice', 'one').test(s) && messageRow('alice', 'two').test(s), STEP_MS, 'both lines posted')
    expect(screen.indexOf('alice: one')).toBeLessThan(screen.indexOf('alice: two'))
    a.write('\x1b[A') // Up
    await input(a, 'two')
    a.write('\x1b[A')
    await input(a, 'one')
    a.write('\x1b[B') // Down
    await input(a, 'two')
    a.write('\x1b[B')
    await input(a, '')
    a.write('\x12') // Ctrl-R
    await a.waitForText('(reverse-i-search)\'\': ', STEP_MS)
    a.write('on')
    await a.waitForText('(reverse-i-search)\'on\': one', STEP_MS)
    a.write('\r') // takes the match into the input, without sending it
    await input(a, 'one')
    a.write(' more\r')
    screen = await posted(a, 'one more')
    expect(screen).not.toContain('reverse-i-search')
  })

  it('refuses a pasted message over 4,000 characters and keeps it; posts a pasted block of lines as one message', async () => {
    const a = await aliceInClub()
    await a.type(`\x1b[200~${'x'.repeat(5000)}\x1b[201~`)
    await a.waitFor(() => a.inputLine()?.text.startsWith('xxxxxxxxxx') === true, STEP_MS, 'the paste in the input')
    a.write('\r')
    let screen = await a.waitForText('5000 characters', STEP_MS)
    expect(screen).toMatch(/message is 5000 characters; the limit is 4000: nothing was sent/)
    expect(a.inputLine()?.text).toMatch(/^x{20,}…?$/)
    expect(screen).not.toContain('alice: xxx')
    a.write('\x15')
    await input(a, '')
    a.write('\x1b[200~first line\rsecond line\rthird line\x1b[201~')
    await a.waitForText(/^ {2}third line/m, STEP_MS)
    a.write('\r')
    screen = await posted(a, 'first line')
    // one message; its rows after the first are indented under the text (6 columns in)
    const rows = screen.split('\n')
    const at = rows.findIndex(row => messageRow('alice', 'first line').test(row))
    const col = rows[at].search(/\d\d:\d\d ★alice/)
    expect(rows[at + 1].slice(col)).toBe('      second line')
    expect(rows[at + 2].slice(col)).toMatch(/^ {6}third line · not sent yet/)
    expect(screen.match(/★alice:/g)).toHaveLength(1)
  })

  it('completes commands, channels and names with Tab', async () => {
    const a = await aliceInClub()
    await a.type('/spa\t')
    // two commands start so: the common part, and both listed above the input
    await input(a, '/space')
    await a.waitForText(/^\/space {2}\/spaces$/m, STEP_MS)
    a.write(' Cl\t')
    await input(a, '/space Club ')
    a.write('\x15/chan\t')
    await input(a, '/channel')
    a.write(' cr\t')
    await input(a, '/channel create ')
    a.write('dev\r')
    await a.waitForText('Club #dev', STEP_MS)
    a.write('see #ge\t')
    await input(a, 'see #general ')
    a.write('and @al\t')
    await input(a, 'see #general and @alice ')
    a.write('\r')
    await posted(a, 'see #general and @alice')
  })

  it('asks before /leave: n keeps the space, y runs it', async () => {
    const a = await aliceInClub()
    await a.type('/leave\r')
    await a.waitFor(s => s.includes('leave "Club"? [y/N]') && a.inputLine()?.prompt === '? ', STEP_MS, 'the question')
    a.write('n')
    const screen = await a.waitFor(s => s.includes('cancelled') && a.inputLine()?.prompt === '> ', STEP_MS, 'the question answered')
    expect(screen).not.toContain('[y/N]')
    expect(statusRows(screen)[0]).toContain(' │ Club #general ')
    expect(screen).toMatch(/^Club /m)
    a.write('/leave\r')
    await a.waitForText('leave "Club"? [y/N]', STEP_MS)
    a.write('y')
    // y runs it: the owner is told they cannot leave
    await a.waitForText('error FORBIDDEN: the owner cannot leave the space', STEP_MS)
  })
})
