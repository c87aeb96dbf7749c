/** `spaces`: the spaces this user is a member of, with role and unread counts. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'spaces',
  aliases: ['space list'],
  usage: 'spaces',
  help: 'list your spaces: name, id, your role, unread messages',
  args: [],
  run: (client) => ({ spaces: client.spaces() }),
  format: (d) => {
    if (d.spaces.length === 0) return 'no spaces yet: `/space create <name>`, or `/join <invite>` with a token from a member'
    const line = (s: typeof d.spaces[number]): string => `  ${s.name}  ${s.spaceId}  (${s.role}${s.public ? ', public' : ''}${s.unread > 0 ? `, ${s.unread} unread` : ''}${s.mentions > 0 ? `, ${s.mentions} mention${s.mentions === 1 ? '' : 's'}` : ''})`
    const dms = d.spaces.filter(s => s.dm)
    return [...d.spaces.filter(s => !s.dm).map(line), ...(dms.length > 0 ? ['Direct messages:', ...dms.map(line)] : [])].join('\n')
  }
})
