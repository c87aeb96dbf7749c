/** `reply <message id> <text>`: reply to a message (in its channel); the text is verbatim. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'reply',
  usage: 'reply <message id> <text>',
  help: 'reply to a message',
  args: [{ name: 'message', kind: 'word' }, { name: 'text', kind: 'text' }],
  run: async (client, a) => await client.reply(a.message as string, a.text as string),
  format: () => ''
})
