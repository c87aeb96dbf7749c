/** `block <user>`: no more direct messages from a user. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'block',
  usage: 'block <user>',
  help: 'no more direct messages from a user (closes yours with them)',
  args: [{ name: 'user', kind: 'words' }],
  run: async (client, a) => await client.block(a.user as string),
  format: (d) => `blocked ${d.name}: no more direct messages from them`
})
