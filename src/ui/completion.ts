/**
 * Tab completion of the word before the cursor: command names after a leading `/` (two-word names
 * too: `/space c` -> `/space create`), `@` member names, `#` channels, and the argument a command
 * takes (spaces for `/space`, channels for `/channel`, members for `/kick`, `/dm`, `/msg`...); a
 * plain word at the start of a message completes to a member name followed by `: `. A name with
 * spaces is quoted where a command takes it as one word.
 */

/** What can be completed, as shown (labels, names). */
export interface Sources { commands: string[], members: string[], channels: string[], spaces: string[] }

/** The completed text and cursor, and every candidate (several: completed to their common start). */
export interface Completion { text: string, cursor: number, candidates: string[] }

const MEMBER_ARG = new Set(['kick', 'ban', 'unban', 'dm', 'msg', 'role', 'block', 'unblock'])
const CHANNEL_ARG = new Set(['channel', 'channel delete', 'channel rename'])

function commonStart (words: string[]): string {
  let p = words[0] ?? ''
  for (const w of words) while (!w.toLowerCase().startsWith(p.toLowerCase())) p = p.slice(0, -1)
  return p
}

/** Completes `text` at `cursor`, or null when nothing matches. */
export function complete (text: string, cursor: number, sources: Sources): Completion | null {
  const head = text.slice(0, cursor)
  const tail = text.slice(cursor)
  const start = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\n')) + 1
  const word = head.slice(start)
  let prefix = ''
  let pool: string[]
  let after = ' '
  let quote = false
  const cmd = head.startsWith('/') && !head.startsWith('//') ? /^\/(\S+)(?: +(\S+))?/.exec(head) : null
  const words = head.slice(0, start).trim().split(/\s+/).length
  if (cmd != null && start === 0) {
    // the command's first word
    prefix = '/'
    pool = [...new Set(sources.commands.map(c => c.split(' ')[0]))]
  } else if (word.startsWith('@')) {
    prefix = '@'
    pool = sources.members
  } else if (word.startsWith('#')) {
    prefix = '#'
    pool = sources.channels
  } else if (cmd != null) {
    const second = words === 1 ? sources.commands.filter(c => c.startsWith(`${cmd[1]} `)).map(c => c.slice(cmd[1].length + 1)) : []
    const name = cmd[2] != null && CHANNEL_ARG.has(`${cmd[1]} ${cmd[2]}`) ? `${cmd[1]} ${cmd[2]}` : cmd[1]
    if (name === 'space') pool = [...second, ...sources.spaces]
    else if (CHANNEL_ARG.has(name)) pool = [...second, ...sources.channels]
    else if (MEMBER_ARG.has(name)) { pool = [...second, ...sources.members]; quote = name === 'msg' || name === 'role' }
    else pool = second
  } else if (start === 0) {
    pool = sources.members
    after = ': '
  } else return null
  const typed = word.slice(prefix.length).toLowerCase()
  const hits = [...new Set(pool.filter(p => p.toLowerCase().startsWith(typed)))]
  if (hits.length === 0) return null
  const fill = (w: string): string => quote && /\s/.test(w) ? `"${w}"` : w
  const chosen = hits.length === 1 ? fill(hits[0]) + after : commonStart(hits)
  const replaced = head.slice(0, start) + prefix + chosen
  return { text: replaced + tail, cursor: replaced.length, candidates: hits.map(h => prefix + h) }
}
