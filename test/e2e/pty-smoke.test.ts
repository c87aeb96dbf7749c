/**
 * The pty harness against the interactive UI as it is: the status line is drawn, a typed command
 * runs, Ctrl-C quits, and the UI redraws after a resize.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { usePtyClients } from '../helpers/pty.js'

/** Today's status line: ` name | 0 peers | DHT 0 | offline | no space `. */
const STATUS = / \| \d+ peers? \| /

describe('pty harness', () => {
  const { spawn, dir } = usePtyClients()

  it('shows the status line, runs `help`, and quits with `quit`', async () => {
    // tall enough for the whole help text: on 30 rows its first commands scroll off
    const a = spawn({ rows: 60, args: ['--account', join(dir(), 'a.key')] })
    await a.waitForText(STATUS)
    await a.type('help\r')
    // ink writes the help above its live area in pieces, then redraws the status line below it
    const screen = await a.waitFor(s => s.includes('space create') && STATUS.test(s))
    expect(screen).toContain('> help')
    await a.type('quit\r')
    expect(await a.exit()).toBe(0)
  })

  it('redraws after a resize, and quits on Ctrl-C', async () => {
    const a = spawn({ args: ['--account', join(dir(), 'a.key')] })
    await a.waitForText(STATUS)
    a.resize(60, 20)
    expect(a.screen()).toHaveLength(20)
    // still drawing and reading keys at the new size: the input line shows what is typed
    await a.type('abc')
    const screen = await a.waitFor(s => STATUS.test(s) && /^> abc *$/m.test(s))
    expect(screen.split('\n').filter(row => STATUS.test(row))).toHaveLength(1)
    a.write('\x03')
    expect(await a.exit()).toBe(0)
  })
})
