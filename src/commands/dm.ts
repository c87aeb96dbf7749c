/** `dm <user>`: switch to direct messages with a member of the current space (made if needed). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'dm',
  usage: 'dm <user>',
  help: 'direct messages with a member of the current space (end-to-end encrypted; made if needed): switch to them',
  args: [{ name: 'user', kind: 'words' }],
  run: async (client, a) => await client.dm(a.user as string),
  format: (d) => `direct messages with ${d.name} (end-to-end encrypted)`
})
