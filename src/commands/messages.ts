/** `messages [n]`: the last n messages of the current channel. */
import { defineCommand } from './command.js'
import { BadArgumentError } from '../errors.js'
import { formatMessage } from '../format/message.js'

export default defineCommand({
  name: 'messages',
  usage: 'messages [n]',
  help: 'the last n messages of the current channel (default 50)',
  args: [{ name: 'n', kind: 'word', optional: true }],
  run: async (client, a) => {
    const limit = a.n == null ? 50 : Number(a.n)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new BadArgumentError('usage: messages [n], n from 1 to 10000')
    const page = await client.messages({ limit })
    return { messages: page.messages }
  },
  format: (d) => d.messages.length === 0 ? '(no messages yet)' : d.messages.map(m => formatMessage(m)).join('\n')
})
