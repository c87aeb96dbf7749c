/** `react <message id> <emoji>`: add a reaction, or take it back. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'react',
  usage: 'react <message id> <emoji>',
  help: 'react to a message (again: take it back)',
  args: [{ name: 'message', kind: 'word' }, { name: 'emoji', kind: 'word' }],
  run: async (client, a) => await client.react(a.message as string, a.emoji as string),
  format: (d) => `${d.on === true ? 'reacted' : 'took back'} ${d.emoji ?? ''} on ${d.messageId.slice(0, 8)}`
})
