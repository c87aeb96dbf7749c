/** `connect <multiaddr>`: dial a peer (and reconcile every space with it). */
import { defineCommand } from './command.js'

export default defineCommand({
  name: 'connect',
  usage: 'connect <multiaddr>',
  help: 'connect to a peer, e.g. connect /ip4/127.0.0.1/tcp/9001/p2p/12D3Koo...',
  args: [{ name: 'multiaddr', kind: 'word' }],
  run: async (client, a) => await client.connect(a.multiaddr as string),
  format: (d) => `connected to ${d.peerId}`
})
