/** `context`: the current space and channel. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'context',
  usage: 'context',
  help: 'the current space and channel',
  args: [],
  run: (client) => client.context(),
  format: (d) => d.spaceId == null ? 'no current space' : `space "${d.spaceName ?? ''}" (${d.spaceId}), channel #${d.channelName ?? '?'}`
})
