/** `whoami`: this user's id, display name and PeerId. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'whoami',
  usage: 'whoami',
  help: 'your user id, display name and PeerId',
  args: [],
  run: (client) => client.identity(),
  format: (d) => `name:    ${d.name}\nuser id: ${d.userId}\nPeerId:  ${d.peerId}`
})
