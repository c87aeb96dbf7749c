/** `unban <user>`: lift a ban (they still need an invite). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'unban',
  usage: 'unban <user>',
  help: 'lift a ban (they still need an invite)',
  args: [{ name: 'user', kind: 'words' }],
  run: async (client, a) => await client.removeUser('unban', a.user as string),
  format: (d) => `unbanned ${d.name}${d.rekeyed === true ? ' (the space was re-keyed: they cannot read what is said from now on)' : ''}`
})
