/** `peers`: connected peers, with the user each one is and which are our relays. */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'peers',
  usage: 'peers',
  help: 'connected peers: who each one is (a member, a relay) and its address',
  args: [],
  run: (client) => client.peers(),
  format: (d) => d.peers.length === 0
    ? 'no peers connected'
    : d.peers.map(p => `  ${(p.relay ? 'relay' : p.user?.name ?? '(not a member of your spaces)').padEnd(24)} ${p.peerId}  ${p.addrs[0] ?? ''}`).join('\n')
})
