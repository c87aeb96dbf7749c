/** `members`: the members of the current space with role and online state. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'members',
  usage: 'members',
  help: 'members of the current space: name, role, user id, online',
  args: [],
  run: (client) => ({ members: client.members() }),
  format: (d) => d.members.map(m => `  ${m.role.padEnd(10)} ${m.name}  ${m.userId}${m.online ? '  (online)' : ''}`).join('\n')
})
