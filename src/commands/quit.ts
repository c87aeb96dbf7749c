/** `quit`: leave spaceway (the caller stops the client). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'quit',
  aliases: ['exit'],
  usage: 'quit',
  help: 'leave spaceway',
  args: [],
  confirm: 'unsent',
  run: () => ({}),
  format: () => 'bye'
})
