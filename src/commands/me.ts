/** `me <action>`: an action message (`* alice waves`); sent as text starting with `/me `. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'me',
  usage: 'me <action>',
  help: 'say what you are doing, e.g. /me waves (shown as "* you waves")',
  args: [{ name: 'text', kind: 'text' }],
  run: async (client, a) => await client.send(`/me ${a.text as string}`),
  format: () => ''
})
