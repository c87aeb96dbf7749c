/** `channels`: the channels of the current space with unread counts. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'channels',
  aliases: ['channel list'],
  usage: 'channels',
  help: 'list the channels of the current space',
  args: [],
  run: (client) => ({ channels: client.channels() }),
  format: (d) => d.channels.map(c => `  #${c.name}  ${c.channelId.slice(0, 8)}${c.unread > 0 ? `  ${c.unread} unread` : ''}${c.mentions > 0 ? `, ${c.mentions} mention${c.mentions === 1 ? '' : 's'}` : ''}`).join('\n')
})
