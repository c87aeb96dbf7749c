/** `invites`: the invites of the current space, with uses left. */
import { defineCommand } from './command.js'
import { dateTime } from '../format/message.js'

export default defineCommand({
  name: 'invites',
  aliases: ['invite list'],
  usage: 'invites',
  help: 'invites of the current space, with uses left',
  args: [],
  run: async (client) => await client.invites(),
  format: (d) => d.invites.length === 0
    ? 'no invites yet: `/invite create`'
    : d.invites.map(i => `  ${i.inviteId.slice(0, 8)}  ${i.status.padEnd(8)} ${i.uses}/${i.maxUses ?? '∞'} used, by ${i.createdBy.name}${i.expiresAt != null ? `, expires ${dateTime(i.expiresAt)}` : ''}${i.invite != null ? `\n/join ${i.invite}` : ''}`).join('\n')
})
