/** `nick <name>`: change your display name (in every space); the name is the rest of the line. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'nick',
  usage: 'nick <name>',
  help: 'change your display name (in every space)',
  args: [{ name: 'name', kind: 'text' }],
  // the rest of the line (`nick Bob O'Brien`); one pair of quotes around it all is dropped
  run: async (client, a) => await client.nick((a.name as string).trim().replace(/^"(.*)"$|^'(.*)'$/s, '$1$2')),
  format: (d) => `you are now ${d.name}`
})
