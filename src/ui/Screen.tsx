/**
 * The full-screen view (ink): sidebar of spaces and channels with unread counts and mention
 * markers, the current channel's pane, the member list, the status line and the input. It draws
 * a `Frame` (view-model.ts) and nothing else: every row is laid out already, so a render costs
 * only the visible rows.
 */
import type React from 'react'
import { Box, Text } from 'ink'
import chalk, { type ChalkInstance } from 'chalk'
import type { Frame, SideRow } from './view-model.js'
import { SIDEBAR_COLS, MEMBERS_COLS } from './view-model.js'
import type { Row } from './layout.js'
import { badgeOf, colourOf } from './layout.js'

/** A row's segments as one styled string: one ink node per row, not one per segment (a full pane redraws in a few ms). */
function styled (row: Row): string {
  let out = ''
  for (const seg of row.segments) {
    let c: ChalkInstance = chalk
    if (seg.color != null) c = (c as unknown as Record<string, ChalkInstance>)[seg.color] ?? c
    if (seg.bold === true) c = c.bold
    if (seg.dim === true) c = c.dim
    if (seg.inverse === true) c = c.inverse
    out += c === chalk ? seg.text : c(seg.text)
  }
  return out === '' ? ' ' : out
}

function RowView ({ row }: { row: Row }): React.JSX.Element {
  return <Text wrap='truncate'>{styled(row)}</Text>
}

function count (r: SideRow): string {
  if (r.mentions > 0) return ` @${r.mentions}`
  if (r.unread > 0) return ` ${r.unread >= 1000 ? '999+' : r.unread}`
  return ''
}

function Sidebar ({ rows, height }: { rows: SideRow[], height: number }): React.JSX.Element {
  const current = Math.max(0, rows.findIndex(r => r.current))
  const start = Math.max(0, Math.min(current - Math.floor(height / 2), rows.length - height))
  return (
    <Box flexDirection='column' width={SIDEBAR_COLS} height={height} overflow='hidden'>
      {rows.slice(start, start + height).map((r, i) => {
        const c = count(r)
        const indent = r.kind === 'channel' ? '  ' : ''
        const name = (indent + r.text).slice(0, SIDEBAR_COLS - c.length - 1)
        return (
          <Text key={i} wrap='truncate' inverse={r.current} bold={r.kind !== 'channel' || r.unread > 0} dimColor={r.kind === 'header'} color={r.mentions > 0 ? 'yellow' : undefined}>
            {name.padEnd(SIDEBAR_COLS - c.length)}{c}
          </Text>
        )
      })}
    </Box>
  )
}

function Members ({ frame, height }: { frame: Frame, height: number }): React.JSX.Element {
  const members = frame.members ?? []
  return (
    <Box flexDirection='column' width={MEMBERS_COLS} height={height} overflow='hidden'>
      <Text bold dimColor>{`Members (${members.length})`}</Text>
      {members.slice(0, height - 1).map(m => (
        <Text key={m.userId} wrap='truncate'>
          <Text color={m.online ? 'green' : 'gray'}>{m.online ? '● ' : '○ '}</Text>
          <Text color='yellow'>{badgeOf(m.role)}</Text>
          <Text color={colourOf(m.userId)}>{m.name}</Text>
        </Text>
      ))}
    </Box>
  )
}

function Input ({ frame }: { frame: Frame }): React.JSX.Element {
  const { lines, cursorLine, cursorCol, prompt } = frame.input
  return (
    <Box flexDirection='column'>
      {frame.status.hint != null ? <Text wrap='truncate' color='yellow'>{frame.status.hint}</Text> : null}
      {lines.map((line, i) => {
        const lead = i === 0 ? prompt : '  '
        if (i !== cursorLine) return <Text key={i} wrap='truncate'>{lead}{line}</Text>
        const at = [...line.slice(0, cursorCol)].length
        const chars = [...line]
        return (
          <Text key={i} wrap='truncate'>
            <Text color='green'>{lead}</Text>{chars.slice(0, at).join('')}<Text inverse>{chars[at] ?? ' '}</Text>{chars.slice(at + 1).join('')}
          </Text>
        )
      })}
    </Box>
  )
}

/** The whole screen for one frame. */
export function Screen ({ frame }: { frame: Frame }): React.JSX.Element {
  const inputRows = frame.input.lines.length + (frame.status.hint != null ? 1 : 0)
  const height = Math.max(1, frame.rows - 1 - inputRows)
  const s = frame.status
  const status = ` ${s.name} │ ${s.words}${s.syncing != null ? ` │ syncing ${s.syncing.ops} ops` : ''} │ ${s.where}${s.scrolled ? ' │ scrolled up (Ctrl-End: newest)' : ''} `
  return (
    <Box flexDirection='column' width={frame.cols} height={frame.rows}>
      <Box flexDirection='row' height={height}>
        {frame.sidebar != null ? <><Sidebar rows={frame.sidebar} height={height} /><Box width={1} /></> : null}
        <Box flexDirection='column' flexGrow={1} height={height} overflow='hidden'>
          {Array.from({ length: height - frame.pane.length }, (_, i) => <Text key={`e${i}`}> </Text>)}
          {frame.pane.map((row, i) => <RowView key={i} row={row} />)}
        </Box>
        {frame.members != null ? <><Box width={1} /><Members frame={frame} height={height} /></> : null}
      </Box>
      <Text inverse wrap='truncate' color={s.peers === 0 || s.words.includes('down') ? 'red' : undefined}>{status.padEnd(frame.cols)}</Text>
      <Input frame={frame} />
    </Box>
  )
}
