/** `edit <message id> <text>`: replace the text of one of your messages. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'edit',
  usage: 'edit <message id> <text>',
  help: 'edit one of your messages (id: the characters shown after it, 4+)',
  args: [{ name: 'message', kind: 'word' }, { name: 'text', kind: 'text' }],
  run: async (client, a) => await client.edit(a.message as string, a.text as string),
  format: (d) => `edited ${d.messageId.slice(0, 8)}`
})
