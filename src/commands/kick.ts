/** `kick <user>`: remove a member (an invite lets them back). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'kick',
  usage: 'kick <user>',
  help: 'remove a member (an invite lets them back)',
  args: [{ name: 'user', kind: 'words' }],
  run: async (client, a) => await client.removeUser('kick', a.user as string),
  format: (d) => `kicked ${d.name}${d.rekeyed === true ? ' (the space was re-keyed: they cannot read what is said from now on)' : ''}`
})
