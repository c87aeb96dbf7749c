/**
 * The full-screen UI in a pseudo-terminal, what fills the screen: the current channel's history at
 * start-up and what came while you were away, scrolling through thousands of messages, redrawing
 * at a new terminal size, and the keys that show and hide the sidebar and the member list.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { messageRow, STATUS_ROW, statusRows, usePtyClients, type PtyClient } from '../helpers/pty.js'

const PG_UP = '\x1b[5~'
const PG_DOWN = '\x1b[6~'

/** The count the sidebar shows for `name` (`' 3'`, `' @1'`, `''`), or null when it has no such row (columns 0-23). */
function sidebarCount (screen: string, name: string): string | null {
  for (const row of screen.split('\n')) {
    const m = /^( {2}#\S+|\S.*?)(?: +(\d+|@\d+))?$/.exec(row.padEnd(24).slice(0, 24).trimEnd())
    if (m != null && m[1].trim() === name) return m[2] == null ? '' : ` ${m[2]}`
  }
  return null
}

/** The numbers of bob's messages `m<N>` on screen, top to bottom. */
function shown (screen: string): number[] {
  return [...screen.matchAll(/★bob: m(\d+) /g)].map(m => Number(m[1]))
}

/** Deadline of a start-up (a node, its store, the first frame). */
const START_MS = 15_000
/** Deadline of something that crosses the network (a join, a message, a catch-up). */
const NET_MS = 10_000
/** Deadline of what a key or a command does on screen, locally. */
const STEP_MS = 5_000

describe('pty UI: the screen', () => {
  const { spawn, peer, dir } = usePtyClients()

  /** alice's pty client (`alice.key` in the test's dir), once its first screen is drawn. */
  async function alice (args: string[] = [], cols?: number, rows?: number): Promise<PtyClient> {
    const a = spawn({ cols, rows, args: ['--account', join(dir(), 'alice.key'), ...args] })
    await a.started(START_MS)
    return a
  }

  it('shows the current channel\'s history after a restart, and what was posted meanwhile', async () => {
    const bob = peer('bob')
    const addr = (await bob.ready()).addrs[0] as string
    let a = await alice(['--bootstrap', addr])
    await a.type('/space create Club --public\r')
    const spaceId = /space id: (\w+)/.exec(await a.waitForText(/space id: \w+/, STEP_MS))?.[1] as string
    await a.type('/channel create dev\r')
    await a.waitForText('Club #dev', STEP_MS)
    // read there up to a message (a channel never read has no read marker: see the report)
    await a.type('the dev topic\r')
    await a.waitForText(messageRow('alice', 'the dev topic'), STEP_MS)
    await a.type('/channel general\r')
    await a.waitFor(s => /\b1 peer\b/.test(s) && s.includes('Club #general'), NET_MS, 'alice online in #general')
    await bob.ok(`join ${spaceId}`)
    await a.waitForText('* bob joined', NET_MS)
    const from = bob.lines.length
    await a.type('said before the restart\r')
    await a.waitForText(messageRow('alice', 'said before the restart'), STEP_MS)
    await bob.waitFor(l => l.type === 'event' && l.event === 'message', NET_MS, from)
    await a.type('/quit\r')
    expect(await a.exit()).toBe(0)

    await bob.ok('channel dev')
    await bob.ok('send posted while alice was away')
    a = await alice(['--bootstrap', addr])
    // the history of #general, where she was, without a key pressed; then the catch-up from bob
    let screen = await a.waitForText(messageRow('alice', 'said before the restart'), STEP_MS)
    expect(statusRows(screen)[0]).toContain(' │ Club #general ')
    screen = await a.waitForText(/(?:caught up|while you were away): 1 new in #dev/, NET_MS)
    expect(screen).not.toContain('posted while alice was away')
    await a.type('/quit\r')
    expect(await a.exit()).toBe(0)

    // offline this time: what is unread is summed up at start
    a = await alice()
    screen = await a.waitForText('while you were away: 1 new in #dev', STEP_MS)
    expect(screen).toMatch(messageRow('alice', 'said before the restart'))
    a.write('\x1b2')
    screen = await a.waitForText(messageRow('bob', 'posted while alice was away'), STEP_MS)
    // where she had read up to: the line above the new message
    const rows = screen.split('\n')
    const at = rows.findIndex(row => messageRow('bob', 'posted while alice was away').test(row))
    expect(rows[at - 1]).toMatch(/─ new messages ─/)
    expect(rows[at - 2]).toMatch(messageRow('alice', 'the dev topic'))
  })

  it('scrolls through 2,000 messages with PgUp/PgDn, Ctrl-Home and Ctrl-End', async () => {
    // bob posts them in his public space, alice joins and catches up
    const bob = peer('bob')
    const addr = (await bob.ready()).addrs[0] as string
    const { spaceId } = await bob.ok('space create Big --public')
    const before = bob.lines.filter(l => l.type === 'result').length
    bob.child.stdin.write(Array.from({ length: 2000 }, (_, i) => `send m${i}\n`).join(''))
    await bob.waitFor(() => bob.lines.filter(l => l.type === 'result').length >= before + 2000, 60_000)
    expect(bob.lines.filter(l => l.type === 'result' && l.ok !== true)).toEqual([])
    const a = await alice(['--bootstrap', addr], 100, 24)
    await a.waitForText(/\b1 peer\b/, NET_MS)
    await a.type(`/join ${spaceId}\r`)
    let screen = await a.waitForText(messageRow('bob', 'm1999'), NET_MS)
    expect(screen).not.toContain('scrolled up')
    expect(shown(screen).at(-1)).toBe(1999)
    /** Presses `key` `times` times, each time waiting for the view to move on by a page, with no message left out. */
    const page = async (key: string, times: number): Promise<number[]> => {
      let was = shown(a.text())
      for (let i = 0; i < times; i++) {
        a.write(key)
        const up = key === PG_UP
        const screen = await a.waitFor(s => up ? shown(s)[0] < was[0] : shown(s).at(-1) as number > (was.at(-1) as number), STEP_MS, `page ${i + 1} ${up ? 'up' : 'down'} from m${was[0]}..m${was.at(-1) as number}`)
        const now = shown(screen)
        // consecutive messages, overlapping the page before (a page is the pane less two rows)
        expect(now).toEqual(Array.from({ length: now.length }, (_, k) => now[0] + k))
        if (up) expect(now.at(-1)).toBeGreaterThanOrEqual(was[0])
        else expect(now[0]).toBeLessThanOrEqual(was.at(-1) as number)
        was = now
      }
      return was
    }
    // up past the first page loaded (200 messages)
    let now = await page(PG_UP, 12)
    expect(now[0]).toBeLessThan(1800)
    screen = a.text()
    expect(statusRows(screen)[0]).toContain('scrolled up (Ctrl-End: newest)')
    // a message arriving meanwhile does not move the view
    await bob.ok('send arrived while scrolled up')
    screen = await a.waitFor(s => sidebarCount(s, '#general') === ' 1', NET_MS, 'the new message counted as unread')
    expect(shown(screen)).toEqual(now)
    now = await page(PG_DOWN, 1)
    a.write('\x1b[1;5H') // Ctrl-Home: the oldest
    screen = await a.waitForText(messageRow('bob', 'm0'), STEP_MS)
    expect(shown(screen).slice(0, 3)).toEqual([0, 1, 2])
    expect(screen).not.toContain('PgUp for older messages')
    // down past the first page loaded from there
    now = await page(PG_DOWN, 12)
    expect(now.at(-1)).toBeGreaterThan(200)
    a.write('\x1b[1;5F') // Ctrl-End: the newest
    screen = await a.waitFor(s => messageRow('bob', 'arrived while scrolled up').test(s) && !s.includes('scrolled up ('), STEP_MS, 'back at the newest')
    now = shown(screen)
    expect(now.at(-1)).toBe(1999)
    expect(now).toEqual(Array.from({ length: now.length }, (_, k) => now[0] + k))
    await a.waitFor(s => sidebarCount(s, '#general') === '', STEP_MS, 'the channel read')
  })

  it('redraws at each new size: one status line, the sidebar only when it fits', async () => {
    const a = await alice([], 120, 30)
    await a.type('/space create Club\r')
    await a.type('a message to redraw\r')
    let screen = await a.waitFor(s => messageRow('alice', 'a message to redraw').test(s) && s.includes('Members (1)'), STEP_MS, 'the message and the member list')
    /** Checks the screen at `rows`: one status line, second to last, then the input line. */
    const check = (s: string, rows: number): void => {
      const lines = s.split('\n')
      expect(lines).toHaveLength(rows)
      expect(statusRows(s)).toHaveLength(1)
      expect(lines[rows - 2]).toMatch(STATUS_ROW)
      expect(lines[rows - 1]).toMatch(/^> /)
      expect(s.match(/a message to redraw/g)).toHaveLength(1)
    }
    check(screen, 30)
    expect(screen).toMatch(/^Club /m)
    // (ink first draws the frame it has at the new size, then ours: wait for ours, sidebar and all)
    a.resize(70, 20)
    screen = await a.waitFor(s => STATUS_ROW.test(s.split('\n')[18]) && /^Club /.test(s) && messageRow('alice', 'a message to redraw').test(s) && !s.includes('Members ('), STEP_MS, 'the screen at 70x20')
    check(screen, 20)
    a.resize(50, 15)
    screen = await a.waitFor(s => STATUS_ROW.test(s.split('\n')[13]) && /^\d\d:\d\d ★alice: a message to redraw/m.test(s), STEP_MS, 'the screen at 50x15, no sidebar')
    check(screen, 15)
    expect(screen).not.toMatch(/^(?:Club| {2}#general|Direct messages)/m)
    // still reading keys
    a.write('typed at 50')
    await a.waitFor(() => a.inputLine()?.text === 'typed at 50', STEP_MS, 'the input at 50 columns')
  })

  it('shows and hides the member list (Alt-M, F2) and the sidebar (bare mode: Alt-L, F3)', async () => {
    const a = await alice([], 100, 24)
    await a.type('/space create Club\r')
    await a.type('hello\r')
    let screen = await a.waitForText(messageRow('alice', 'hello'), STEP_MS)
    expect(screen).not.toContain('Members (')
    a.write('\x1bm') // Alt-M
    screen = await a.waitFor(s => /Members \(1\)\n.*● ★alice$/m.test(s), STEP_MS, 'the member list')
    a.write('\x1bOQ') // F2
    screen = await a.waitFor(s => !s.includes('Members ('), STEP_MS, 'no member list')
    a.write('\x1bl') // Alt-L: bare
    screen = await a.waitFor(s => /^\d\d:\d\d ★alice: hello/m.test(s), STEP_MS, 'the pane from column 0')
    expect(screen).not.toMatch(/^(?:Club| {2}#general)/m)
    a.write('\x1bOR') // F3
    screen = await a.waitFor(s => /^Club /m.test(s) && messageRow('alice', 'hello').test(s), STEP_MS, 'the sidebar back')
  })
})
