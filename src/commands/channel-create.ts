/** `channel create <name>`. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'channel create',
  usage: 'channel create <name>',
  help: 'create a channel in the current space and switch to it',
  args: [{ name: 'name', kind: 'words' }],
  run: async (client, a) => await client.createChannel(a.name as string),
  format: (d) => `created #${d.name}`
})
