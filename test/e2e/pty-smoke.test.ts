/**
 * The pty harness against the full-screen UI: the app draws in the alternate screen with its status
 * line and input, a typed command runs, `/quit`, Ctrl-C and Ctrl-D quit (leaving the alternate
 * screen), and the UI redraws after a resize.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { STATUS_ROW, statusRows, usePtyClients } from '../helpers/pty.js'

describe('pty harness', () => {
  const { spawn, dir } = usePtyClients()

  it('shows the status line, runs `/help`, and quits with `/quit`', async () => {
    // tall enough for the whole help text (about 60 rows at 100 columns)
    const a = spawn({ rows: 100, args: ['--account', join(dir(), 'a.key')] })
    await a.waitForText(STATUS_ROW, 15_000)
    expect(a.alternate).toBe(true)
    expect(statusRows(a.text())).toEqual([expect.stringMatching(/^ a │ offline: no peers, relay down │ no space +$/)])
    await a.type('/help\r')
    const screen = await a.waitFor(s => s.includes('/space create') && s.includes('/quit') && STATUS_ROW.test(s))
    expect(screen).toContain('> /help')
    await a.type('/quit\r')
    expect(await a.exit()).toBe(0)
    expect(a.alternate).toBe(false)
  })

  it('redraws after a resize, and quits on Ctrl-C', async () => {
    const a = spawn({ args: ['--account', join(dir(), 'a.key')] })
    await a.waitForText(STATUS_ROW, 15_000)
    a.resize(60, 20)
    expect(a.screen()).toHaveLength(20)
    // still drawing and reading keys at the new size: the input line shows what is typed
    await a.type('abc')
    const screen = await a.waitFor(s => STATUS_ROW.test(s) && /^> abc *$/m.test(s))
    expect(statusRows(screen)).toHaveLength(1)
    a.write('\x03')
    expect(await a.exit()).toBe(0)
  })

  it('quits on Ctrl-D on an empty input', async () => {
    const a = spawn({ args: ['--account', join(dir(), 'a.key')] })
    await a.waitForText(STATUS_ROW, 15_000)
    await a.type('\x04')
    expect(await a.exit()).toBe(0)
  })
})
