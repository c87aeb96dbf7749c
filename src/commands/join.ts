/** `join <invite or space id>`: join a space with an invite token, or a public space by id. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'join',
  usage: 'join <invite or space id>',
  help: 'join a space with an invite (or a public space by id) and switch to it',
  // a token copied from a wrapped terminal line may hold spaces or line breaks: the client drops them
  args: [{ name: 'invite', kind: 'text' }],
  run: async (client, a) => await client.join(a.invite as string),
  format: (d) => `now in space "${d.name}" (${d.spaceId})`
})
