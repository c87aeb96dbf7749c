/**
 * Lays the message pane out in rows of a given width: day separators, the "new messages" line,
 * messages (time, badge, coloured name, text wrapped at word boundaries, continuation rows
 * indented so no row a peer writes starts at column 0), replies with the quoted author and
 * snippet, reactions, edits, deletions, delivery of our own messages, and notices. Widths are
 * terminal columns (`string-width`: wide characters count 2). Rows of each entry are cached per
 * width, so a keystroke lays out nothing new.
 */
import stringWidth from 'string-width'
import type { MessageItem } from '../client/space-client.js'
import { clock, fullDate } from '../format/message.js'

export { fullDate }
import { sanitizeText } from '../core/sanitize.js'

// Every line break a terminal honours: CR, LF, CRLF, VT, FF, NEL and the Unicode separators.
const LINE_BREAKS = /\r\n?|[\n\u000b\u000c\u0085\u2028\u2029]/g

/** Text from a peer as the pane shows it: sanitised (the UI is an output boundary too), line breaks as `\n`, tabs as spaces. */
export function paneText (text: string, multiline = true): string {
  const t = sanitizeText(text.replace(LINE_BREAKS, '\n'), multiline).replace(/\t/g, '    ')
  return multiline ? t : t.replace(/\n/g, ' ')
}

/** A run of text with one style. */
export interface Segment { text: string, color?: string, bold?: boolean, dim?: boolean, inverse?: boolean }
/** One terminal row. */
export interface Row { segments: Segment[] }

/** How a notice looks: info (grey), result (plain), error (red), echo of a command (cyan). */
export type NoticeStyle = 'info' | 'result' | 'error' | 'echo'

/** What the pane holds, in order of `key`. */
export type Entry =
  | { kind: 'message', message: MessageItem, key: string }
  | { kind: 'notice', text: string, style: NoticeStyle, key: string, ref?: object }
  | { kind: 'marker', key: string }

/** Columns of the time and the indent of continuation rows (`HH:MM `). */
export const INDENT = 6

const COLOURS = ['cyan', 'green', 'yellow', 'blue', 'magenta', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'redBright']

/** The colour of a user's name: derived from the user id (FNV-1a hash), the same on every screen. */
export function colourOf (userId: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193) >>> 0
  return COLOURS[h % COLOURS.length]
}

/** The badge before a name: owner ★, admin ◆, moderator •, none for members. */
export function badgeOf (role: string | null): string {
  return role === 'owner' ? '★' : role === 'admin' ? '◆' : role === 'moderator' ? '•' : ''
}

function dayOf (ts: number): string {
  const d = new Date(ts)
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`
}

/**
 * Wraps styled segments to `width` columns: breaks at spaces where it can, inside words that are
 * longer than a row, and at line breaks; continuation rows start with `indent` spaces.
 */
export function wrap (segments: Segment[], width: number, indent: number): Row[] {
  const rows: Row[] = []
  let row: Segment[] = []
  let used = 0
  const newRow = (): void => {
    rows.push({ segments: row })
    row = indent > 0 ? [{ text: ' '.repeat(indent) }] : []
    used = indent
  }
  const put = (text: string, style: Segment): void => {
    const last = row[row.length - 1]
    if (last != null && last.color === style.color && last.bold === style.bold && last.dim === style.dim && last.inverse === style.inverse && used > indent) last.text += text
    else row.push({ ...style, text })
  }
  for (const seg of segments) {
    const style: Segment = { ...seg, text: '' }
    for (const part of seg.text.split(/(\n)/)) {
      if (part === '\n') { newRow(); continue }
      for (const word of part.split(/(?<= )/)) {
        const w = stringWidth(word)
        if (used + w > width && used > indent && w <= width - indent) newRow()
        if (used + w <= width) { put(word, style); used += w; continue }
        for (const ch of word) {
          const cw = stringWidth(ch)
          if (used + cw > width && used > indent) newRow()
          put(ch, style)
          used += cw
        }
      }
    }
  }
  rows.push({ segments: row })
  return rows
}

function deliveryText (m: MessageItem): string {
  const d = m.delivery
  if (d == null) return ''
  if (d.state === 'pending') return ' · not sent yet (no peer)'
  if (d.state === 'stored') return ' ✓✓ stored by relay'
  return ` ✓ sent to ${d.peers} peer${d.peers === 1 ? '' : 's'}`
}

/** The rows of one message. */
export function messageRows (m: MessageItem, width: number): Row[] {
  const rows: Row[] = []
  if (m.quote != null) {
    rows.push(...wrap([{ text: ' '.repeat(INDENT) + '↪ ', dim: true }, { text: paneText(m.quote.author.name, false), color: colourOf(m.quote.author.userId), dim: true }, { text: `: ${paneText(m.quote.snippet, false)}`, dim: true }], width, INDENT + 2).slice(0, 1))
  }
  const name: Segment = { text: paneText(m.author.name, false), color: colourOf(m.author.userId), bold: true }
  const badge = badgeOf(m.role)
  const head: Segment[] = [{ text: `${clock(m.ts)} `, dim: true }]
  if (m.action) head.push({ text: '* ' }, ...(badge !== '' ? [{ text: badge, color: 'yellow' }] : []), name, { text: ' ' })
  else head.push(...(badge !== '' ? [{ text: badge, color: 'yellow' }] : []), name, { text: ': ' })
  const body: Segment = m.deleted
    ? { text: '(deleted)', dim: true }
    : m.locked
      ? { text: '(locked: the key of this private space has not reached you yet)', dim: true }
      : { text: paneText(m.text), bold: m.mention, color: m.mention ? 'yellowBright' : undefined }
  const tail: Segment[] = []
  if (m.edited) tail.push({ text: ' (edited)', dim: true })
  if (m.reactions.length > 0) tail.push({ text: `  ${m.reactions.map(r => `${paneText(r.emoji, false)} ${r.count}`).join('  ')}`, color: 'gray' })
  const delivery = deliveryText(m)
  if (delivery !== '') tail.push({ text: delivery, dim: true, color: m.delivery?.state === 'pending' ? 'red' : undefined })
  tail.push({ text: `  ${m.id.slice(0, 6)}`, dim: true })
  rows.push(...wrap([...head, body, ...tail], width, INDENT))
  return rows
}

function centred (text: string, width: number, color: string): Row {
  const w = stringWidth(text) + 2
  const side = Math.max(2, Math.floor((width - w) / 2))
  return { segments: [{ text: `${'─'.repeat(side)} ${text} ${'─'.repeat(Math.max(0, width - side - w))}`, color, dim: color === 'gray' }] }
}

const cache = new WeakMap<object, { width: number, rows: Row[] }>()

/**
 * Lays `entries` out (already in order) at `width` columns. `older`: messages exist before the
 * first entry (a line says how to see them).
 */
export function layoutEntries (entries: Entry[], width: number, options: { older: boolean }): Row[] {
  const out: Row[] = []
  if (options.older) out.push(centred('PgUp for older messages', width, 'gray'))
  let day: string | null = null
  for (const e of entries) {
    if (e.kind === 'marker') { out.push(centred('new messages', width, 'red')); continue }
    if (e.kind === 'message') {
      const d = dayOf(e.message.ts)
      if (d !== day) { out.push(centred(fullDate(e.message.ts), width, 'gray')); day = d }
    }
    const ref = e.kind === 'message' ? e.message : e.ref ?? e
    const hit = cache.get(ref)
    if (hit?.width === width) { out.push(...hit.rows); continue }
    const rows = e.kind === 'message'
      ? messageRows(e.message, width)
      : wrap([{ text: paneText(e.text), color: e.style === 'error' ? 'red' : e.style === 'echo' ? 'cyan' : e.style === 'info' ? 'gray' : undefined }], width, 2)
    cache.set(ref, { width, rows })
    out.push(...rows)
  }
  return out
}

/** A row's text without styles (tests). */
export function rowText (row: Row): string {
  return row.segments.map(s => s.text).join('')
}
