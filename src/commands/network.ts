/** `network`: addresses, connections, routing table, topics and sync figures. */
import { defineCommand } from './command.js'
import { formatNetwork } from '../format/network.js'

export default defineCommand({
  name: 'network',
  usage: 'network',
  help: 'addresses, connections, routing table, topics and sync figures',
  args: [],
  run: (client) => client.network(),
  format: (d) => formatNetwork(d)
})
