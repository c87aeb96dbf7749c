/** `send <text>`: post the rest of the line, verbatim, to the current channel. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'send',
  usage: 'send <text>',
  help: 'post a message to the current channel (in the interactive UI, just type)',
  args: [{ name: 'text', kind: 'text' }],
  run: async (client, a) => await client.send(a.text as string),
  format: () => ''
})
