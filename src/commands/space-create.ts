/** `space create <name> [--public] [--history full|since-join]`. */
import { defineCommand } from './command.js'
import { BadArgumentError } from '../errors.js'

export default defineCommand({
  name: 'space create',
  usage: 'space create <name> [--public] [--history full|since-join]',
  help: 'create a space (with a #general channel) and switch to it; private (end-to-end encrypted, invite-only) unless --public',
  args: [{ name: 'name', kind: 'words' }],
  flags: [{ name: 'public', value: false }, { name: 'history', value: true }],
  run: async (client, a) => {
    if (a.history != null && a.history !== 'full' && a.history !== 'since-join') throw new BadArgumentError('--history is full (members who join later read what was said before) or since-join')
    if (a.history != null && a.public === 'true') throw new BadArgumentError('--history is for private spaces; a public space is readable by anyone')
    return await client.createSpace(a.name as string, { public: a.public === 'true', history: (a.history ?? 'full') as 'full' | 'since-join' })
  },
  format: (d) => `created space "${d.name}"\nspace id: ${d.spaceId}\n${d.public ? `(public: others join with  /join ${d.spaceId})` : '(private, invite-only: `/invite create` makes a token others join with)'}`
})
