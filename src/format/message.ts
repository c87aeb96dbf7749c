/**
 * Text forms of messages for line mode and the `messages` command: one line per message (more for
 * multi-line text, indented so no line a peer controls starts at column 0 and looks like a header).
 * Everything here was sanitised by the client already; the output boundaries sanitise again.
 */
import type { MessageView } from '../views.js'

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

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/** Full local date of a timestamp in ms: `Sunday 22 November 2026` (day separators, expiry dates). */
export function fullDate (ts: number): string {
  const d = new Date(ts)
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`
}

/** A moment in the one format of the UI: `Sunday 22 November 2026 14:05` (local time). */
export function dateTime (ts: number): string {
  return `${fullDate(ts)} ${clock(ts)}`
}

/**
 * One message line: `[12:03] alice: hello  (ab12cd34)` - the short id is what `edit`, `delete` and
 * `reply` take. Edited, deleted and reply messages say so. A multi-line text continues on lines
 * that start with `CONTINUATION`.
 */
export function formatMessage (m: Pick<MessageView, 'id' | 'author' | 'text' | 'ts'> & Partial<MessageView> & { action?: boolean }): string {
  const body = m.deleted === true
    ? '(message deleted)'
    : m.locked === true
      ? '(locked: this private space\'s key has not reached you yet; a member who holds it hands it over when online)'
      : `${indentContinuation(m.text)}${m.edited === true ? ' (edited)' : ''}`
  const reply = m.replyTo != null ? `re ${m.replyTo.slice(0, 8)}: ` : ''
  const reactions = (m.reactions ?? []).length === 0 ? '' : `  [${(m.reactions ?? []).map(r => `${r.emoji} ${r.count}`).join(', ')}]`
  if (m.action === true) return `[${clock(m.ts)}] * ${m.author.name} ${reply}${body}${reactions}  (${m.id.slice(0, 8)})`
  return `[${clock(m.ts)}] ${m.author.name}: ${reply}${body}${reactions}  (${m.id.slice(0, 8)})`
}

