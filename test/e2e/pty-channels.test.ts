/**
 * The full-screen UI in a pseudo-terminal with a peer: alice types in the pty, bob is a `--json`
 * line-mode peer in her public space "Club" (#general, #dev). The pane shows the current channel
 * only, other channels' traffic shows as counts and mention markers in the sidebar, Alt-digits,
 * Ctrl-N/P and Alt-A switch channels, two members with one name are told apart, and what a peer
 * names things cannot drive the terminal.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { messageRow, statusRows, usePtyClients, type PtyClient } from '../helpers/pty.js'
import type { SpacewayProcess } from '../helpers/proc.js'

/** Deadline of a start-up (a node, its store, the first frame). */
const START_MS = 15_000
/** Deadline of something that crosses the network (a join, a message). */
const NET_MS = 10_000
/** Deadline of what a key or a command does on screen, locally. */
const STEP_MS = 5_000

/** Width of the sidebar (src/ui/view-model.ts SIDEBAR_COLS). */
const SIDEBAR_COLS = 24

/** The sidebar's rows of `screen`: each row's first SIDEBAR_COLS columns, trailing blanks trimmed. */
function sidebar (screen: string): string[] {
  return screen.split('\n').map(row => row.padEnd(SIDEBAR_COLS).slice(0, SIDEBAR_COLS).trimEnd())
}

/** A sidebar row as drawn: a space, or a channel (`#dev`, indented), and its count (`' 3'`, `' @1'`, `''`) at the right edge. */
function side (name: string, count: string): string {
  const text = name.startsWith('#') ? `  ${name}` : name
  return (text.padEnd(SIDEBAR_COLS - count.length) + count).trimEnd()
}

/** Whether `screen`'s sidebar has the row `side(name, count)`. */
function shows (screen: string, name: string, count: string): boolean {
  return sidebar(screen).includes(side(name, count))
}

describe('pty UI: channels, with a peer', () => {
  const { spawn, peer, dir } = usePtyClients()

  /**
   * bob (a `--json` peer) and alice (in the pty, `cols` wide, dialling bob), in alice's public space
   * "Club" with #general and #dev; alice is in #general.
   */
  async function club (cols = 100): Promise<{ a: PtyClient, bob: SpacewayProcess }> {
    const bob = peer('bob')
    const ready = await bob.ready()
    const a = spawn({ cols, args: ['--account', join(dir(), 'alice.key'), '--bootstrap', ready.addrs[0]] })
    await a.started(START_MS)
    await a.type('/space create Club --public\r')
    const spaceId = /space id: (\w+)/.exec(await a.waitForText(/space id: \w+/, STEP_MS))?.[1] as string
    await a.type('/channel create dev\r')
    await a.waitForText('Club #dev', STEP_MS)
    await a.type('\x1b1') // Alt-1: the first channel, #general
    await a.waitFor(s => /\b1 peer\b/.test(s) && s.includes('Club #general'), NET_MS, 'alice online in #general')
    await bob.ok(`join ${spaceId}`)
    await a.waitForText('* bob joined', NET_MS)
    return { a, bob }
  }

  it('shows only the current channel: another channel\'s message is an unread count until you switch to it', async () => {
    const { a, bob } = await club()
    await a.type('hello general\r')
    await a.waitForText(messageRow('alice', 'hello general'), STEP_MS)
    await bob.ok('channel dev')
    await bob.ok('send over in dev')
    let screen = await a.waitFor(s => shows(s, '#dev', ' 1'), NET_MS, 'an unread count on #dev')
    expect(screen).not.toContain('over in dev')
    expect(sidebar(screen)).toContain(side('Club', ' 1'))
    a.write('\x1b2') // Alt-2: #dev
    screen = await a.waitFor(s => s.includes(' │ Club #dev ') && messageRow('bob', 'over in dev').test(s), STEP_MS, '#dev and its history')
    expect(screen).not.toContain('hello general')
    await a.waitFor(s => shows(s, '#dev', ''), STEP_MS, 'no count on #dev') // read now
    a.write('\x1b1')
    screen = await a.waitFor(s => s.includes(' │ Club #general ') && messageRow('alice', 'hello general').test(s), STEP_MS, '#general and its history')
    expect(screen).not.toContain('over in dev')
    a.write('\x0e') // Ctrl-N: the next channel
    await a.waitFor(s => s.includes(' │ Club #dev ') && messageRow('bob', 'over in dev').test(s), STEP_MS, 'Ctrl-N to #dev')
    a.write('\x10') // Ctrl-P: the previous one
    screen = await a.waitFor(s => s.includes(' │ Club #general ') && messageRow('alice', 'hello general').test(s), STEP_MS, 'Ctrl-P to #general')
    expect(screen).not.toContain('over in dev')
  })

  it('marks a mention in another channel with @1 in the sidebar, rings the bell, and Alt-A goes there', async () => {
    const { a, bob } = await club()
    a.write('\x1b2')
    await a.waitForText('Club #dev', STEP_MS)
    const bells = a.output.split('\x07').length
    await bob.ok('send @alice hi')
    let screen = await a.waitFor(s => shows(s, '#general', ' @1'), NET_MS, 'a mention marker on #general')
    expect(screen).not.toContain('@alice hi')
    expect(a.output.split('\x07').length).toBeGreaterThan(bells)
    a.write('\x1ba') // Alt-A: the channel with activity, mentions first
    screen = await a.waitFor(s => s.includes(' │ Club #general ') && messageRow('bob', '@alice hi').test(s), STEP_MS, 'Alt-A to #general')
    await a.waitFor(s => shows(s, '#general', ''), STEP_MS, 'no marker on #general')
    // and a name completes with Tab
    a.write('@bo\t')
    await a.waitFor(() => a.inputLine()?.text === '@bob ', STEP_MS, 'the completed name')
    const from = bob.lines.length
    a.write('thanks\r')
    await a.waitForText(messageRow('alice', '@bob thanks'), STEP_MS)
    const got = await bob.waitFor(l => l.type === 'event' && l.event === 'message', NET_MS, from)
    expect(got.data.text).toBe('@bob thanks')
  })

  it('shows delivery of own messages and who is online', async () => {
    const { a, bob } = await club(120)
    await a.type('can you see this\r')
    let screen = await a.waitForText(/★alice: can you see this ✓ sent to 1 peer {2}\w{6}/, NET_MS)
    expect(screen).toContain('Members (2)')
    expect(screen).toMatch(/● ★alice$/m)
    expect(screen).toMatch(/● bob$/m)
    expect(await bob.quit()).toBe(0)
    screen = await a.waitFor(s => /○ bob$/m.test(s) && statusRows(s)[0]?.includes(' │ offline: no peers, ') === true, NET_MS, 'bob offline')
    await a.type('anyone there\r')
    await a.waitForText(/★alice: anyone there · not sent yet \(no peer\)/, STEP_MS)
  })

  it('tells two members called alice apart when bob takes her name', async () => {
    const { a, bob } = await club(120)
    await a.type('from the first alice\r')
    await a.waitForText(messageRow('alice', 'from the first alice'), STEP_MS)
    await bob.ok('send from bob')
    await a.waitForText(messageRow('bob', 'from bob'), NET_MS)
    await bob.ok('nick alice')
    const screen = await a.waitFor(s => /\* bob is now known as alice~\w{4}/.test(s) && /alice~\w{4}: from bob/.test(s) && /★alice~\w{4}: from the first alice/.test(s), NET_MS, 'both alices with a suffix')
    const mine = /★alice~(\w{4}): from the first alice/.exec(screen)?.[1]
    const theirs = /alice~(\w{4}): from bob/.exec(screen)?.[1]
    expect(mine).not.toBe(theirs)
    expect(screen).toContain(`is now known as alice~${theirs as string}`)
    // the member list (120 columns) names both the same way
    expect(screen).toMatch(new RegExp(`● ★alice~${mine as string}$`, 'm'))
    expect(screen).toMatch(new RegExp(`● alice~${theirs as string}$`, 'm'))
    expect(screen).toContain('Members (2)')
  })

  it('keeps escape sequences in a peer\'s channel name and message inert', async () => {
    const { a, bob } = await club()
    await a.type('written before\r')
    await a.waitForText(messageRow('alice', 'written before'), STEP_MS)
    const from = bob.lines.length
    await a.type('/role bob admin\r')
    await bob.waitFor(l => l.type === 'event' && l.event === 'member:role', NET_MS, from)
    // erase the screen, reset the terminal, leave the alternate screen, set the title
    const evil = '\x1b[2J\x1bc\x1b[?1049l\x1b]0;pwned\x07'
    await bob.ok(`send look${evil}here`)
    await bob.ok(`channel create evil${evil}name`)
    const screen = await a.waitFor(s => s.includes('* bob created #evil') && messageRow('bob', 'lookhere').test(s), NET_MS, 'the peer\'s channel and message')
    expect(a.alternate).toBe(true)
    expect(screen).toMatch(messageRow('alice', 'written before'))
    expect(sidebar(screen)).toContain(side('#evilname', ''))
    expect(screen).toContain('* bob created #evilname')
    expect(screen).not.toMatch(/pwned|\[2J|\[\?1049/)
    expect(statusRows(screen)).toEqual([expect.stringContaining(' │ Club #general ')])
  })
})
