/** `channel <name or id>`: switch channel in the current space. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'channel',
  usage: 'channel <name or id>',
  help: 'switch to a channel of the current space (#name, a unique start of its name, or its id)',
  args: [{ name: 'channel', kind: 'words' }],
  run: async (client, a) => await client.switchChannel(a.channel as string),
  format: (d) => `now in #${d.name}`
})
