/** `space <name or id>`: switch to a space (exact name, name prefix, id or id prefix). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'space',
  usage: 'space <name or id>',
  help: 'switch to a space (a unique start of its name or id is enough); returns to the channel you were in',
  args: [{ name: 'space', kind: 'words' }],
  run: async (client, a) => await client.switchSpace(a.space as string),
  format: (d) => `now in space "${d.name}"`
})
