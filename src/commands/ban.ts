/** `ban <user>`: remove a user for good: no invite lets them back until unbanned. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'ban',
  usage: 'ban <user>',
  help: 'remove a user for good: no invite lets them back until unbanned',
  args: [{ name: 'user', kind: 'words' }],
  confirm: 'always',
  run: async (client, a) => await client.removeUser('ban', a.user as string),
  format: (d) => `banned ${d.name}${d.rekeyed === true ? ' (the space was re-keyed: they cannot read what is said from now on)' : ''}`
})
