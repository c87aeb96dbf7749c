/** `leave`: leave the current space (its data stays; an invite lets you back in). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'leave',
  usage: 'leave',
  help: 'leave the current space (an invite lets you back in)',
  args: [],
  confirm: 'always',
  run: async (client) => await client.leave(),
  format: () => 'you left the space (an invite lets you back in)'
})
