/** `unblock <user>`: accept direct messages from a user again. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'unblock',
  usage: 'unblock <user>',
  help: 'accept direct messages from a user again',
  args: [{ name: 'user', kind: 'words' }],
  run: async (client, a) => await client.unblock(a.user as string),
  format: (d) => `unblocked ${d.name}`
})
