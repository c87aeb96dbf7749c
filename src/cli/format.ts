/**
 * Human-readable text for command results and events (line mode without `--json`, and the ink UI).
 * Everything shown here was sanitized by views.ts / actions.ts already.
 */
import type { MessageView } from '../views.js'
import { shortId } from '../views.js'

/** `HH:MM` local time of a timestamp in ms. */
export function clock (ts: number): string {
  const d = new Date(ts)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** One message line: `[12:03] alice: hello`. */
export function formatMessage (m: MessageView): string {
  return `[${clock(m.ts)}] ${m.author.name}: ${m.text}`
}

type Data = Record<string, any>

/** Text for the result of `cmd` (canonical name) with its `data`. */
export function formatResult (cmd: string, data: Data): string {
  switch (cmd) {
    case 'help':
      return (data.commands as Data[]).map(c => `  ${String(c.usage).padEnd(28)} ${c.help}${c.aliases.length > 0 ? ` (also: ${c.aliases.join(', ')})` : ''}`).join('\n')
    case 'whoami':
      return `name:    ${data.name}\nuser id: ${data.userId}\nPeerId:  ${data.peerId}`
    case 'network': {
      const lines = [`PeerId: ${data.peerId}`, 'listening on:', ...(data.addrs as string[]).map(a => `  ${a}`)]
      lines.push(`connections (${data.connections.length}):`, ...(data.connections as Data[]).map(c => `  ${c.direction === 'inbound' ? '<-' : '->'} ${c.addr}`))
      lines.push(`DHT: ${data.dhtMode} mode, routing table ${data.routingTable.size} peer(s)`)
      for (const s of data.spaces as Data[]) lines.push(`space ${s.name} (${shortId(s.spaceId)}): ${s.ops} ops, ${s.meshPeers} mesh peer(s), ${s.subscribers} subscriber(s)`)
      lines.push(`sync: ${data.sync.initiated} started, ${data.sync.served} served, ${data.sync.failed} failed; ${data.heldOps} op(s) waiting for deps`)
      return lines.join('\n')
    }
    case 'connect':
      return `connected to ${data.peerId}`
    case 'peers':
      return data.peers.length === 0 ? 'no peers connected' : (data.peers as Data[]).map(p => `  ${p.peerId}  ${p.addrs[0] ?? ''}`).join('\n')
    case 'space create':
      return `created space "${data.name}"\nspace id: ${data.spaceId}\n(others join with: join ${data.spaceId})`
    case 'space':
    case 'join':
      return `now in space "${data.name}" (${data.spaceId}), channel #general`
    case 'spaces':
      return data.spaces.length === 0 ? 'no spaces yet: `space create <name>` or `join <space id>`' : (data.spaces as Data[]).map(s => `  ${s.name}  ${s.spaceId}`).join('\n')
    case 'channel create':
    case 'channel':
      return `now in #${data.name}`
    case 'channels':
      return (data.channels as Data[]).map(c => `  #${c.name}  ${shortId(c.channelId)}`).join('\n')
    case 'send':
      return ''
    case 'messages':
      return data.messages.length === 0 ? '(no messages yet)' : (data.messages as MessageView[]).map(formatMessage).join('\n')
    case 'context':
      return data.spaceId == null ? 'no current space' : `space "${data.spaceName}" (${data.spaceId}), channel #${data.channelName}`
    case 'nick':
      return `you are now ${data.name}`
    case 'quit':
      return 'bye'
    default:
      return JSON.stringify(data)
  }
}
