/** `channel delete <channel>` (admins; not #general). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'channel delete',
  usage: 'channel delete <channel>',
  help: 'delete a channel (admins; not #general)',
  args: [{ name: 'channel', kind: 'word' }],
  run: async (client, a) => await client.deleteChannel(a.channel as string),
  format: (d) => `deleted #${d.name}`
})
