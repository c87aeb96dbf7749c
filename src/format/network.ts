/**
 * Text of the `network` and `dht` reports (docs/cli-json.md) for line mode and the UI. The data
 * comes from the client, sanitised.
 */
import { clock } from './message.js'

type Data = Record<string, any>

const shortId = (id: string): string => id.slice(0, 8)

/** The `network` report as text. */
export function formatNetwork (data: Data): string {
  const lines = [`PeerId: ${data.peerId}`, 'listening on:', ...(data.addrs as string[]).map(a => `  ${a}`)]
  lines.push(`connections (${data.connections.length}):`, ...(data.connections as Data[]).map(c => `  ${c.direction === 'inbound' ? '<-' : '->'} ${c.addr} (${c.transport}${c.rttMs != null ? `, ${c.rttMs} ms` : ''})`))
  const q = data.dht.queries
  lines.push(`DHT: ${data.dht.mode} mode, routing table ${data.dht.routingTableSize} peer(s), peer pool ${data.dht.peerPool}, query bound ${data.dht.queryTimeoutMs} ms`)
  lines.push(`  queries: ${q.run} run, ${q.succeeded} ok, ${q.notFound} not found, ${q.failed} failed, ${q.timedOut} timed out; p50 ${q.p50Ms ?? '-'} ms, p95 ${q.p95Ms ?? '-'} ms`)
  const b = data.dht.lastBootstrap
  lines.push(`  last bootstrap: ${b == null ? 'none yet' : `${b.ok ? 'ok' : 'failed'} at ${clock(b.at)} (${b.connected}/${b.dialed} dials, table ${b.tableSize})`}; next check ${data.dht.nextCheckAt == null ? '-' : clock(data.dht.nextCheckAt)}`)
  for (const a of data.announcements as Data[]) lines.push(`  announce ${shortId(a.spaceId)}: ${a.status}${a.lastError != null ? ` (${a.lastError})` : ''}`)
  for (const r of data.relays as Data[]) {
    lines.push(`relay ${r.addr}${r.source === 'member' ? ' (learned from a member)' : ''}: ${r.connected ? 'connected' : `not connected${r.lastError != null ? ` (${r.lastError})` : ''}`}, reservation ${r.reservation ? 'yes' : 'no'}`)
    for (const c of r.circuitAddrs as string[]) lines.push(`  reachable at ${c}`)
    for (const [space, at] of Object.entries(r.lastSync as Record<string, number>)) lines.push(`  last sync of ${shortId(space)}: ${clock(at)}`)
  }
  for (const s of data.spaces as Data[]) lines.push(`space ${s.name} (${shortId(s.spaceId)}): ${s.ops} ops, ${s.meshPeers} mesh peer(s), ${s.subscribers} subscriber(s)`)
  lines.push(`sync: ${data.sync.running} running, ${data.sync.initiated} started, ${data.sync.served} served, ${data.sync.failed} failed, ${data.sync.refused} refused (over budget); ${data.heldOps} op(s) waiting for deps, ${data.deferredOps} from the future`)
  const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`
  lines.push(`memory: RSS ${mib(data.memory.rss)}, heap ${mib(data.memory.heapUsed)} of ${mib(data.memory.heapTotal)}, external ${mib(data.memory.external)} (buffers ${mib(data.memory.arrayBuffers)})`)
  const rejected = Object.entries(data.rejectedOps as Record<string, number>)
  if (rejected.length > 0) lines.push(`rejected ops: ${rejected.map(([r, n]) => `${r} ${n}`).join(', ')}`)
  if (data.peers.blocked.length > 0) lines.push(`blocked peers (invalid ops): ${(data.peers.blocked as string[]).join(', ')}`)
  return lines.join('\n')
}

/** The `dht` report as text. */
export function formatDht (data: Data): string {
  const lines = [`routing table: ${data.size} peer(s)`]
  for (const b of data.buckets as Data[]) {
    lines.push(`  bucket ${b.prefix === '' ? '(root)' : b.prefix} (depth ${b.depth}): ${b.peers.length} peer(s)`)
    for (const p of b.peers as Data[]) lines.push(`    ${p.peerId}`)
  }
  const q = data.queries
  lines.push(`queries: ${q.run} run, ${q.succeeded} ok, ${q.notFound} not found, ${q.failed} failed, ${q.timedOut} timed out`)
  return lines.join('\n')
}
