/** `channel rename <channel> <new name>` (admins). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'channel rename',
  usage: 'channel rename <channel> <new name>',
  help: 'rename a channel (admins)',
  args: [{ name: 'channel', kind: 'word' }, { name: 'name', kind: 'words' }],
  run: async (client, a) => await client.renameChannel(a.channel as string, a.name as string),
  format: (d) => `renamed to #${d.name}`
})
