/** `delete <message id>`: delete your message (moderators: anyone's). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'delete',
  usage: 'delete <message id>',
  help: 'delete your message (moderators: anyone\'s)',
  args: [{ name: 'message', kind: 'word' }],
  run: async (client, a) => await client.deleteMessage(a.message as string),
  format: (d) => `deleted message ${d.messageId.slice(0, 8)}`
})
