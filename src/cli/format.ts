/**
 * Human-readable text for command results and events (line mode without `--json`, and the ink UI).
 * Everything shown here was sanitized by views.ts / actions.ts already; the output boundaries
 * (line-mode.ts, ui/controller.ts) sanitise again. Multi-line text from peers is indented
 * (`indentContinuation`), so no line a peer controls starts at column 0 and looks like a header.
 */
import type { MessageView } from '../views.js'
import { shortId } from '../views.js'

/** What starts every continuation line of multi-line peer text (messages, replies, edits). */
export const CONTINUATION = '    | '

// Every line break a terminal honours: CR, LF, CRLF, VT, FF, NEL and the Unicode separators.
const LINE_BREAKS = /\r\n?|[\n\u000b\u000c\u0085\u2028\u2029]/g

/**
 * `text` with `CONTINUATION` after each line break, so that its second and later lines can never
 * pass for a message header (`[12:00] alice: ...`) or any other line starting at column 0.
 */
export function indentContinuation (text: string): string {
  return text.replace(LINE_BREAKS, `\n${CONTINUATION}`)
}

/** `HH:MM` local time of a timestamp in ms. */
export function clock (ts: number): string {
  const d = new Date(ts)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/**
 * One message line: `[12:03] alice: hello  (ab12cd34)` - the short id is what `edit`, `delete` and
 * `reply` take. Edited, deleted and reply messages say so. A multi-line text continues on lines
 * that start with `CONTINUATION`.
 */
export function formatMessage (m: Pick<MessageView, 'id' | 'author' | 'text' | 'ts'> & Partial<MessageView>): string {
  const body = m.deleted === true
    ? '(message deleted)'
    : m.locked === true
      ? '(locked: this private space\'s key has not reached you yet; a member who holds it hands it over when online)'
      : `${indentContinuation(m.text)}${m.edited === true ? ' (edited)' : ''}`
  const reply = m.replyTo != null ? `re ${shortId(m.replyTo)}: ` : ''
  const reactions = (m.reactions ?? []).length === 0 ? '' : `  [${(m.reactions ?? []).map(r => `${r.emoji} ${r.count}`).join(', ')}]`
  return `[${clock(m.ts)}] ${m.author.name}: ${reply}${body}${reactions}  (${shortId(m.id)})`
}

/**
 * A notice that the keys of private space `name` arrived, at most once per space every 10 s (a
 * history brings several at once): a function of (spaceId, name) -> text or ''.
 */
export function keyNotices (): (spaceId: string, name: string) => string {
  const last = new Map<string, number>()
  return (spaceId, name) => {
    const now = Date.now()
    if ((last.get(spaceId) ?? 0) > now - 10_000) return ''
    last.set(spaceId, now)
    return `the key of "${name}" reached you: its messages read now (\`messages\`)`
  }
}

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
    case 'op:rejected': return `rejected an op from ${d.peerId ?? 'a peer'}: ${d.reason}`
    default: return ''
  }
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
      lines.push(`connections (${data.connections.length}):`, ...(data.connections as Data[]).map(c => `  ${c.direction === 'inbound' ? '<-' : '->'} ${c.addr} (${c.transport}${c.rttMs != null ? `, ${c.rttMs} ms` : ''})`))
      const q = data.dht.queries
      lines.push(`DHT: ${data.dht.mode} mode, routing table ${data.dht.routingTableSize} peer(s), peer pool ${data.dht.peerPool}, query bound ${data.dht.queryTimeoutMs} ms`)
      lines.push(`  queries: ${q.run} run, ${q.succeeded} ok, ${q.notFound} not found, ${q.failed} failed, ${q.timedOut} timed out; p50 ${q.p50Ms ?? '-'} ms, p95 ${q.p95Ms ?? '-'} ms`)
      const b = data.dht.lastBootstrap
      lines.push(`  last bootstrap: ${b == null ? 'none yet' : `${b.ok ? 'ok' : 'failed'} at ${clock(b.at)} (${b.connected}/${b.dialed} dials, table ${b.tableSize})`}; next check ${data.dht.nextCheckAt == null ? '-' : clock(data.dht.nextCheckAt)}`)
      for (const a of data.announcements as Data[]) lines.push(`  announce ${shortId(a.spaceId)}: ${a.status}${a.lastError != null ? ` (${a.lastError})` : ''}`)
      for (const r of data.relays as Data[]) {
        lines.push(`relay ${r.addr}: ${r.connected ? 'connected' : `not connected${r.lastError != null ? ` (${r.lastError})` : ''}`}, reservation ${r.reservation ? 'yes' : 'no'}`)
        for (const c of r.circuitAddrs as string[]) lines.push(`  reachable at ${c}`)
        for (const [space, at] of Object.entries(r.lastSync as Record<string, number>)) lines.push(`  last sync of ${shortId(space)}: ${clock(at)}`)
      }
      for (const s of data.spaces as Data[]) lines.push(`space ${s.name} (${shortId(s.spaceId)}): ${s.ops} ops, ${s.meshPeers} mesh peer(s), ${s.subscribers} subscriber(s)`)
      lines.push(`sync: ${data.sync.running} running, ${data.sync.initiated} started, ${data.sync.served} served, ${data.sync.failed} failed, ${data.sync.refused} refused (over budget); ${data.heldOps} op(s) waiting for deps, ${data.deferredOps} from the future`)
      const rejected = Object.entries(data.rejectedOps as Record<string, number>)
      if (rejected.length > 0) lines.push(`rejected ops: ${rejected.map(([r, n]) => `${r} ${n}`).join(', ')}`)
      if (data.peers.blocked.length > 0) lines.push(`blocked peers (invalid ops): ${(data.peers.blocked as string[]).join(', ')}`)
      return lines.join('\n')
    }
    case 'connect':
      return `connected to ${data.peerId}`
    case 'dht': {
      const lines = [`routing table: ${data.size} peer(s)`]
      for (const b of data.buckets as Data[]) {
        lines.push(`  bucket ${b.prefix === '' ? '(root)' : b.prefix} (depth ${b.depth}): ${b.peers.length} peer(s)`)
        for (const p of b.peers as Data[]) lines.push(`    ${p.peerId}`)
      }
      const q = data.queries
      lines.push(`queries: ${q.run} run, ${q.succeeded} ok, ${q.notFound} not found, ${q.failed} failed, ${q.timedOut} timed out`)
      return lines.join('\n')
    }
    case 'peers':
      return data.peers.length === 0 ? 'no peers connected' : (data.peers as Data[]).map(p => `  ${p.peerId}  ${p.addrs[0] ?? ''}`).join('\n')
    case 'space create':
      return `created space "${data.name}"\nspace id: ${data.spaceId}\n${data.public === true ? `(public: others join with  join ${data.spaceId})` : '(invite-only: `invite create` makes a token others join with)'}`
    case 'space':
    case 'join':
      return `now in space "${data.name}" (${data.spaceId}), channel #general`
    case 'spaces': {
      if (data.spaces.length === 0) return 'no spaces yet: `space create <name>`, or `join <invite>` with a token from a member'
      const spaces = (data.spaces as Data[]).filter(s => s.dm !== true).map(s => `  ${s.name}  ${s.spaceId}  (${s.role}${s.public === true ? ', public' : ''})`)
      const dms = (data.spaces as Data[]).filter(s => s.dm === true).map(s => `  ${s.name}  ${s.spaceId}`)
      return [...spaces, ...(dms.length > 0 ? ['Direct messages:', ...dms] : [])].join('\n')
    }
    case 'dm':
      return `direct messages with ${data.name} (end-to-end encrypted)`
    case 'msg':
      return `sent to ${data.name} (direct message)`
    case 'block':
      return `blocked ${data.name}: no more direct messages from them`
    case 'unblock':
      return `unblocked ${data.name}`
    case 'channel create':
    case 'channel':
      return `now in #${data.name}`
    case 'channel rename':
      return `renamed to #${data.name}`
    case 'channel delete':
      return `deleted channel ${shortId(data.channelId)}`
    case 'channels':
      return (data.channels as Data[]).map(c => `  #${c.name}  ${shortId(c.channelId)}`).join('\n')
    case 'send':
      return ''
    case 'messages':
      return data.messages.length === 0 ? '(no messages yet)' : (data.messages as MessageView[]).map(formatMessage).join('\n')
    case 'context':
      return data.spaceId == null ? 'no current space' : `space "${data.spaceName}" (${data.spaceId}), channel #${data.channelName}`
    case 'invite create':
      return `invite ${shortId(data.inviteId)} (${data.maxUses == null ? 'unlimited uses' : `${data.maxUses} use(s)`}, ${data.expiresAt == null ? 'never expires' : `expires ${new Date(data.expiresAt).toLocaleString()}`}); others join with:\n  join ${data.invite}`
    case 'invites':
      return data.invites.length === 0 ? 'no invites yet: `invite create`' : (data.invites as Data[]).map(i => `  ${shortId(i.inviteId)}  ${String(i.status).padEnd(8)} ${i.uses}/${i.maxUses ?? '∞'} used, by ${i.createdBy.name}${i.expiresAt != null ? `, expires ${new Date(i.expiresAt).toLocaleString()}` : ''}${i.invite != null ? `\n    join ${i.invite}` : ''}`).join('\n')
    case 'invite revoke':
      return `revoked invite ${shortId(data.inviteId)}`
    case 'members':
      return (data.members as Data[]).map(m => `  ${String(m.role).padEnd(10)} ${m.name}  ${m.userId}${m.online === true ? '  (online)' : ''}`).join('\n')
    case 'role':
      return `${data.name} is now ${data.role}`
    case 'kick':
      return `kicked ${data.name}`
    case 'ban':
      return `banned ${data.name}`
    case 'unban':
      return `unbanned ${data.name}`
    case 'leave':
      return 'you left the space (an invite lets you back in)'
    case 'edit':
    case 'delete':
      return ''
    case 'react':
      return `${data.on === true ? 'reacted' : 'took back'} ${data.emoji} on ${shortId(data.messageId)}`
    case 'reply':
      return ''
    case 'nick':
      return `you are now ${data.name}`
    case 'quit':
      return 'bye'
    default:
      return JSON.stringify(data)
  }
}
