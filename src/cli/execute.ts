/**
 * Runs one input line against the app and returns the result record of the scripting contract.
 * Never throws: every failure becomes `{ok: false, error: {code, message}}`.
 */
import type { App } from '../app.js'
import { toErrorInfo } from '../errors.js'
import { logger } from '@libp2p/logger'
import { parseLine } from './commands.js'

const log = logger('spaceway:cli')

export type CommandResult =
  | { type: 'result', cmd: string, ok: true, data: unknown }
  | { type: 'result', cmd: string, ok: false, error: { code: string, message: string } }

/** Executes `line`; null for blank/comment lines. `cmd` is `?` when the line did not parse. */
export async function execute (app: App, line: string): Promise<CommandResult | null> {
  let cmd = '?'
  try {
    const parsed = parseLine(line)
    if (parsed == null) return null
    cmd = parsed.command.name
    const data = await parsed.command.run(app, parsed.args)
    return { type: 'result', cmd, ok: true, data: data ?? {} }
  } catch (err) {
    const info = toErrorInfo(err)
    if (info.code === 'INTERNAL') log.error('command %s failed: %s', cmd, (err as Error).stack)
    return { type: 'result', cmd, ok: false, error: info }
  }
}
