/** `dht`: the Kademlia routing table by bucket, and DHT query figures. */
import { defineCommand } from './command.js'
import { formatDht } from '../format/network.js'

export default defineCommand({
  name: 'dht',
  usage: 'dht',
  help: 'the Kademlia routing table by bucket, and DHT query figures',
  args: [],
  run: (client) => client.dht(),
  format: (d) => formatDht(d)
})
