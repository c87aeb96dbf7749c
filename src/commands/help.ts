/** `help [command]`: every command with its usage, or one command's help. */
import { defineCommand } from './command.js'
import { BadArgumentError } from '../errors.js'
import { quoted } from '../core/sanitize.js'

/** One command as `help` lists it. */
export interface HelpEntry { name: string, aliases: string[], usage: string, help: string }

/** The command list `help` reads; set by index.ts (which imports every command, this one too). */
export const registry: { list: () => HelpEntry[] } = { list: () => [] }

export default defineCommand({
  name: 'help',
  usage: 'help [command]',
  help: 'list every command, or explain one',
  args: [{ name: 'command', kind: 'words', optional: true }],
  run: (_client, a) => {
    const all = registry.list()
    if (a.command == null) return { commands: all }
    const q = a.command.replace(/^\//, '').toLowerCase()
    const hit = all.filter(c => c.name === q || c.aliases.includes(q))
    if (hit.length === 0) throw new BadArgumentError(`no command ${quoted(a.command)}; \`/help\` lists them`)
    return { commands: hit }
  },
  format: (d) => d.commands.map(c => `  /${c.usage.padEnd(30)} ${c.help}${c.aliases.length > 0 ? ` (also: ${c.aliases.map(x => `/${x}`).join(', ')})` : ''}`).join('\n')
})
