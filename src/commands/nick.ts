/** `nick <name>`: change your display name (in every space); the name is the rest of the line. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'nick',
  usage: 'nick <name>',
  help: 'change your display name (in every space)',
  args: [{ name: 'name', kind: 'text' }],
  run: async (client, a) => await client.nick(a.name as string),
  format: (d) => `you are now ${d.name}`
})
