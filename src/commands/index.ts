/**
 * Every command, and how a typed line picks one. `interpret` is the input model:
 * - interactive UI: a line is a message unless it starts with `/`; `//text` sends the literal
 *   `/text`; `/name args` runs a command;
 * - line mode and `--json` (scripts): bare-word commands (`send hello`), a leading `/` accepted too.
 * `execute` runs a line and returns the result record of the scripting contract (docs/cli-json.md).
 */
import { logger } from '@libp2p/logger'
import type { SpaceClient } from '../client/space-client.js'
import { toErrorInfo, UnknownCommandError } from '../errors.js'
import { quoted } from '../core/sanitize.js'
import { editDistance } from './edit-distance.js'
import { bind, type Args, type Command } from './command.js'
import help, { registry } from './help.js'
import whoami from './whoami.js'
import network from './network.js'
import dht from './dht.js'
import connect from './connect.js'
import peers from './peers.js'
import spaceCreate from './space-create.js'
import spaces from './spaces.js'
import space from './space.js'
import join from './join.js'
import inviteCreate from './invite-create.js'
import invites from './invites.js'
import inviteRevoke from './invite-revoke.js'
import members from './members.js'
import role from './role.js'
import kick from './kick.js'
import ban from './ban.js'
import unban from './unban.js'
import leave from './leave.js'
import channelCreate from './channel-create.js'
import channelRename from './channel-rename.js'
import channelDelete from './channel-delete.js'
import channels from './channels.js'
import channel from './channel.js'
import send from './send.js'
import me from './me.js'
import edit from './edit.js'
import del from './delete.js'
import react from './react.js'
import reply from './reply.js'
import messages from './messages.js'
import context from './context.js'
import dm from './dm.js'
import msg from './msg.js'
import block from './block.js'
import unblock from './unblock.js'
import nick from './nick.js'
import quit from './quit.js'

const log = logger('spaceway:commands')

/** Every command, in the order `help` lists them. */
export const COMMANDS: Array<Command<any>> = [
  help, whoami, network, dht, connect, peers,
  spaceCreate, spaces, space, join, inviteCreate, invites, inviteRevoke,
  members, role, kick, ban, unban, leave,
  channelCreate, channelRename, channelDelete, channels, channel,
  send, me, edit, del, react, reply, messages, context,
  dm, msg, block, unblock, nick, quit
]
registry.list = () => COMMANDS.map(c => ({ name: c.name, aliases: c.aliases ?? [], usage: c.usage, help: c.help }))

const byName = new Map<string, Command<any>>()
for (const c of COMMANDS) {
  byName.set(c.name, c)
  for (const a of c.aliases ?? []) byName.set(a, c)
}

/** The command called `name` (canonical or alias), if any. */
export function commandNamed (name: string): Command<any> | undefined {
  return byName.get(name)
}

/** Every name and alias (for Tab completion). */
export function commandNames (): string[] {
  return [...byName.keys()]
}

/** The nearest command name to `word`: within edit distance 1 for short words, a third of the word's length for longer ones. */
export function suggest (word: string): string | undefined {
  let best: string | undefined
  let bestD = Math.max(1, Math.floor(word.length / 3)) + 1
  for (const name of byName.keys()) {
    const d = editDistance(word, name)
    if (d < bestD) { best = name; bestD = d }
  }
  return best
}

/** A two-word command whose second word `rest` starts with a near miss of (`channel delet x` -> `channel delete`). */
function subcommandHint (name: string, rest: string): string | undefined {
  const word = rest.trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  if (word === '') return undefined
  return COMMANDS.map(c => c.name).find(n => n.startsWith(`${name} `) && editDistance(word, n.slice(name.length + 1)) <= 2)
}

/** What a typed line is: nothing, a message to the current channel, or a command with its argument text. */
export type Input =
  | { kind: 'empty' }
  | { kind: 'message', text: string }
  | { kind: 'command', command: Command<any>, rest: string }

/**
 * Reads a line by the input model (see the module doc). `mode` 'ui': the interactive UI; 'line':
 * line mode and `--json`.
 * @throws UnknownCommandError (with a suggestion when one is close)
 */
export function interpret (line: string, mode: 'ui' | 'line'): Input {
  let text = line.replace(/[\r\n]+$/, '')
  if (mode === 'ui') {
    if (text.trim() === '') return { kind: 'empty' }
    if (text.startsWith('//')) return { kind: 'message', text: text.slice(1) }
    if (!text.startsWith('/')) return { kind: 'message', text }
    text = text.slice(1)
  } else {
    const t = text.trim()
    if (t === '' || t.startsWith('#')) return { kind: 'empty' }
    text = text.trimStart().replace(/^\//, '')
  }
  const m = /^(\S+)(?:\s+(\S+))?/.exec(text)
  if (m == null) throw new UnknownCommandError('an empty command; `/help` lists them')
  const w0 = m[1].toLowerCase()
  if (m[2] != null) {
    const two = byName.get(`${w0} ${m[2].toLowerCase()}`)
    if (two != null) return { kind: 'command', command: two, rest: text.slice(text.indexOf(m[2], m[1].length) + m[2].length) }
  }
  const one = byName.get(w0)
  if (one != null) return { kind: 'command', command: one, rest: text.slice(m[1].length) }
  const hint = (m[2] != null ? suggest(`${w0} ${m[2].toLowerCase()}`) : undefined) ?? suggest(w0)
  const slash = mode === 'ui' ? '/' : ''
  throw new UnknownCommandError(`unknown command ${quoted(m[1], 40)}${hint != null ? `; did you mean \`${slash}${hint}\`?` : ''} (\`${slash}help\` lists them)`)
}

/** The result record of the scripting contract; `text`: the command's own words for it ('' for none). */
export type CommandResult =
  | { type: 'result', cmd: string, ok: true, data: unknown, text: string }
  | { type: 'result', cmd: string, ok: false, error: { code: string, message: string } }

/**
 * Runs one line (or a parsed input) through the client. Never throws: every failure becomes
 * `{ok: false, error: {code, message}}`; `cmd` is `?` when the line named no command. Null for a
 * blank line or a `#` comment (line mode).
 */
export async function execute (client: SpaceClient, line: string | Input, mode: 'ui' | 'line' = 'line'): Promise<CommandResult | null> {
  let cmd = '?'
  let input: Input | undefined
  try {
    input = typeof line === 'string' ? interpret(line, mode) : line
    if (input.kind === 'empty') return null
    const command = input.kind === 'message' ? send : input.command
    cmd = command.name
    const args: Args = input.kind === 'message' ? { text: input.text } : bind(command, input.rest)
    const data = await command.run(client, args) ?? {}
    return { type: 'result', cmd, ok: true, data, text: command.format(data) }
  } catch (err) {
    const info = toErrorInfo(err)
    // `/channel delet general`: a mistyped subcommand taken as a name
    const sub = info.code === 'NOT_FOUND' && input?.kind === 'command' ? subcommandHint(input.command.name, input.rest) : undefined
    if (sub != null) info.message += `; did you mean \`${mode === 'ui' ? '/' : ''}${sub}\`?`
    if (info.code === 'INTERNAL') log.error('command %s failed: %s', cmd, (err as Error).stack)
    return { type: 'result', cmd, ok: false, error: info }
  }
}
