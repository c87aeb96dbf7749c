/**
 * Text for the scripting contract's events in line mode (without `--json`). Names in the data are
 * labels from the client, sanitised; multi-line text is indented (format/message.ts).
 */
import { indentContinuation } from './message.js'

const shortId = (id: string): string => id.slice(0, 8)

type Data = Record<string, any>

/** Human text for the space events (space-events.ts), or '' for none. */
export function formatEvent (name: string, d: Data): string {
  switch (name) {
    case 'message:edit': return `* ${d.author.name} edited ${shortId(d.messageId)}: ${indentContinuation(String(d.text))}`
    case 'message:delete': return `* ${d.by.name} deleted message ${shortId(d.messageId)}`
    case 'message:react': return `* ${d.user.name} ${d.on === true ? 'reacted' : 'took back'} ${d.emoji} on ${shortId(d.messageId)}`
    case 'member:join': return d.you === true ? '' : `* ${d.user.name} joined`
    case 'member:role': return `* ${d.by.name} made ${d.user.name} ${d.role}`
    case 'member:leave':
      if (d.you === true) return d.reason === 'leave' ? `you left "${d.spaceName}"` : `you were removed from "${d.spaceName}" by ${d.by.name} (${d.reason})`
      return d.reason === 'leave' ? `* ${d.user.name} left` : `* ${d.user.name} was ${d.reason === 'ban' ? 'banned' : 'kicked'} by ${d.by.name}`
    case 'member:name': return `* ${d.from} is now known as ${d.user.name}`
    case 'channel:create': return `* ${d.by.name} created #${d.name}`
    case 'channel:rename': return `* ${d.by.name} renamed #${d.from} to #${d.name}`
    case 'channel:delete': return `* ${d.by.name} deleted #${d.name}`
    case 'op:rejected': return `rejected an op from ${d.peerId ?? 'a peer'}: ${d.reason}`
    default: return ''
  }
}

