/** `msg <user> <text>`: a direct message without leaving the current channel; the text is verbatim. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'msg',
  usage: 'msg <user> <text>',
  help: 'send a direct message to a member of the current space, staying where you are (quote a name with spaces)',
  args: [{ name: 'user', kind: 'word' }, { name: 'text', kind: 'text' }],
  run: async (client, a) => await client.msg(a.user as string, a.text as string),
  format: (d) => `sent to ${d.name} (direct message)`
})
