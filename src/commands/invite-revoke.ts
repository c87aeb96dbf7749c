/** `invite revoke <invite id>`. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'invite revoke',
  usage: 'invite revoke <invite id>',
  help: 'revoke an invite (a unique start of its id is enough)',
  args: [{ name: 'invite', kind: 'word' }],
  run: async (client, a) => await client.revokeInvite(a.invite as string),
  format: (d) => `revoked invite ${d.inviteId.slice(0, 8)}`
})
