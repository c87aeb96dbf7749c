/**
 * The command table: every REPL command with its usage, help and handler. The same table serves
 * line mode, `--json` and the ink UI. `runLine` parses a line, finds the command (two-word names
 * first, then one-word, then aliases) and runs it.
 */
import type { App } from '../app.js'
import { actions } from '../actions.js'
import { memberActions, options } from '../member-actions.js'
import { dmActions } from '../dm-actions.js'
import { dhtTable, networkInfo } from '../network-info.js'
import { BadArgumentError, UnknownCommandError } from '../errors.js'
import { editDistance, splitWords } from './parse.js'

export interface Command {
  /** Canonical name: the command's words without arguments (what `--json` reports as `cmd`). */
  name: string
  aliases?: string[]
  usage: string
  help: string
  run: (app: App, args: string[]) => unknown
}

const rest = (args: string[]): string | undefined => args.length === 0 ? undefined : args.join(' ')
const one = (args: string[], usage: string): string | undefined => {
  if (args.length > 1) throw new BadArgumentError(`too many arguments; usage: ${usage} (quote names with spaces)`)
  return args[0]
}

export const COMMANDS: Command[] = [
  { name: 'help', usage: 'help', help: 'list every command', run: () => ({ commands: COMMANDS.map(c => ({ name: c.name, aliases: c.aliases ?? [], usage: c.usage, help: c.help })) }) },
  { name: 'whoami', usage: 'whoami', help: 'your user id, display name and PeerId', run: (app) => actions.whoami(app) },
  { name: 'network', usage: 'network', help: 'addresses, connections, routing table, topics and sync figures', run: (app) => networkInfo(app) },
  { name: 'dht', usage: 'dht', help: 'the Kademlia routing table by bucket, and DHT query figures', run: (app) => ({ ...dhtTable(app), queries: app.dht.stats.summary(), lastBootstrap: app.bootstrapper.last }) },
  { name: 'connect', usage: 'connect <multiaddr>', help: 'connect to a peer, e.g. connect /ip4/127.0.0.1/tcp/9001/p2p/12D3Koo...', run: async (app, a) => await actions.connect(app, one(a, 'connect <multiaddr>')) },
  { name: 'peers', usage: 'peers', help: 'connected peers', run: (app) => actions.peers(app) },
  {
    name: 'space create',
    usage: 'space create <name> [--public] [--history full|since-join]',
    help: 'create a space (with a #general channel) and switch to it; private (end-to-end encrypted, invite-only) unless --public',
    run: async (app, a) => {
      const { rest: words, opts } = options(a, ['history'], ['public'])
      if (opts.history != null && opts.history !== 'full' && opts.history !== 'since-join') throw new BadArgumentError('--history is full (members who join later read what was said before) or since-join')
      if (opts.history != null && opts.public === 'true') throw new BadArgumentError('--history is for private spaces; a public space is readable by anyone')
      return await actions.spaceCreate(app, rest(words), opts.public === 'true', (opts.history ?? 'full') as 'full' | 'since-join')
    }
  },
  { name: 'spaces', aliases: ['space list'], usage: 'spaces', help: 'list your spaces', run: (app) => actions.spaces(app) },
  { name: 'space', usage: 'space <name or id prefix>', help: 'switch to a space', run: async (app, a) => await actions.spaceSwitch(app, rest(a)) },
  { name: 'join', usage: 'join <invite or space id>', help: 'join a space with an invite (or a public space by id) and switch to it', run: async (app, a) => await actions.join(app, a[0]?.startsWith('sw1') === true ? a.join('') : one(a, 'join <invite or space id>')) },
  { name: 'invite create', usage: 'invite create [--max-uses N] [--expires 24h]', help: 'make an invite token for the current space (default: unlimited uses, expires in 7d)', run: async (app, a) => await memberActions.inviteCreate(app, a) },
  { name: 'invites', aliases: ['invite list'], usage: 'invites', help: 'invites of the current space, with uses left', run: async (app) => await memberActions.invites(app) },
  { name: 'invite revoke', usage: 'invite revoke <invite id>', help: 'revoke an invite', run: async (app, a) => await memberActions.inviteRevoke(app, one(a, 'invite revoke <invite id>')) },
  { name: 'members', usage: 'members', help: 'members of the current space: user id, name, role, online', run: (app) => memberActions.members(app) },
  { name: 'role', usage: 'role <user> <admin|moderator|member>', help: 'give a member a role below your own', run: async (app, a) => await memberActions.role(app, a) },
  { name: 'kick', usage: 'kick <user>', help: 'remove a member (an invite lets them back)', run: async (app, a) => await memberActions.removeUser(app, 'member.kick', one(a, 'kick <user>')) },
  { name: 'ban', usage: 'ban <user>', help: 'remove a user for good: no invite lets them back until unbanned', run: async (app, a) => await memberActions.removeUser(app, 'member.ban', one(a, 'ban <user>')) },
  { name: 'unban', usage: 'unban <user>', help: 'lift a ban (they still need an invite)', run: async (app, a) => await memberActions.removeUser(app, 'member.unban', one(a, 'unban <user>')) },
  { name: 'leave', usage: 'leave', help: 'leave the current space', run: async (app) => await memberActions.leave(app) },
  { name: 'channel create', usage: 'channel create <name>', help: 'create a channel in the current space and switch to it', run: async (app, a) => await actions.channelCreate(app, rest(a)) },
  { name: 'channel rename', usage: 'channel rename <channel> <new name>', help: 'rename a channel (admins)', run: async (app, a) => await actions.channelRename(app, a) },
  { name: 'channel delete', usage: 'channel delete <channel>', help: 'delete a channel (admins; not #general)', run: async (app, a) => await actions.channelDelete(app, one(a, 'channel delete <channel>')) },
  { name: 'channels', aliases: ['channel list'], usage: 'channels', help: 'list the channels of the current space', run: (app) => actions.channels(app) },
  { name: 'channel', usage: 'channel <name or id prefix>', help: 'switch to a channel of the current space', run: async (app, a) => await actions.channelSwitch(app, rest(a)) },
  { name: 'send', usage: 'send <text>', help: 'post a message to the current channel (in the UI, just type)', run: async (app, a) => await actions.send(app, rest(a)) },
  { name: 'edit', usage: 'edit <message id> <text>', help: 'edit one of your messages (id: the characters after it, 4+)', run: async (app, a) => await memberActions.edit(app, a) },
  { name: 'delete', usage: 'delete <message id>', help: 'delete your message (moderators: anyone\'s)', run: async (app, a) => await memberActions.delete(app, one(a, 'delete <message id>')) },
  { name: 'react', usage: 'react <message id> <emoji>', help: 'react to a message (again: take it back)', run: async (app, a) => await memberActions.react(app, a) },
  { name: 'reply', usage: 'reply <message id> <text>', help: 'reply to a message', run: async (app, a) => await memberActions.reply(app, a) },
  { name: 'messages', usage: 'messages [n]', help: 'the last n messages of the current channel (default 50)', run: async (app, a) => await actions.messages(app, one(a, 'messages [n]')) },
  { name: 'context', usage: 'context', help: 'the current space and channel', run: (app) => actions.context(app) },
  { name: 'dm', usage: 'dm <user>', help: 'direct messages with a member of the current space (end-to-end encrypted; made if needed): switch to them', run: async (app, a) => await dmActions.dm(app, rest(a)) },
  { name: 'msg', usage: 'msg <user> <text>', help: 'send a direct message to a member of the current space, staying where you are', run: async (app, a) => await dmActions.msg(app, a) },
  { name: 'block', usage: 'block <user>', help: 'no more direct messages from a user (closes yours with them)', run: async (app, a) => await dmActions.block(app, rest(a)) },
  { name: 'unblock', usage: 'unblock <user>', help: 'accept direct messages from a user again', run: async (app, a) => await dmActions.unblock(app, rest(a)) },
  { name: 'nick', usage: 'nick <name>', help: 'change your display name (in every space)', run: async (app, a) => await actions.nick(app, rest(a)) },
  { name: 'quit', aliases: ['exit'], usage: 'quit', help: 'leave spaceway', run: () => ({}) }
]

const byName = new Map<string, Command>()
for (const c of COMMANDS) {
  byName.set(c.name, c)
  for (const a of c.aliases ?? []) byName.set(a, c)
}

/** A parsed command line: the command and its argument words. */
export interface ParsedLine { command: Command, args: string[] }

/** The nearest command name to `word` within edit distance 3, if any. */
export function suggest (word: string): string | undefined {
  let best: string | undefined
  let bestD = 4
  for (const name of byName.keys()) {
    const d = editDistance(word, name)
    if (d < bestD) { best = name; bestD = d }
  }
  return best
}

/**
 * Parses a command line (a leading `/` is ignored).
 * @throws UnknownCommandError with a suggestion; BadArgumentError on an unclosed quote
 * @returns null for a blank line or a `#` comment
 */
export function parseLine (line: string): ParsedLine | null {
  const trimmed = line.trim()
  if (trimmed === '' || trimmed.startsWith('#')) return null
  const words = splitWords(trimmed.replace(/^\//, ''))
  if (words.length === 0) return null
  const w0 = words[0].toLowerCase()
  if (words.length > 1) {
    const two = byName.get(`${w0} ${words[1].toLowerCase()}`)
    if (two != null) return { command: two, args: words.slice(2) }
  }
  const cmd = byName.get(w0)
  if (cmd != null) return { command: cmd, args: words.slice(1) }
  const hint = suggest(words.length > 1 ? `${w0} ${words[1].toLowerCase()}` : w0) ?? suggest(w0)
  throw new UnknownCommandError(`unknown command ${JSON.stringify(words[0])}${hint != null ? `; did you mean \`${hint}\`?` : ''} (type \`help\` for the list)`)
}
