/** `role <user> <admin|moderator|member>`. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'role',
  usage: 'role <user> <admin|moderator|member>',
  help: 'give a member a role below your own (quote a name with spaces)',
  args: [{ name: 'user', kind: 'word' }, { name: 'role', kind: 'word' }],
  run: async (client, a) => await client.setRole(a.user as string, a.role as string),
  format: (d) => `${d.name} is now ${d.role ?? 'member'}`
})
