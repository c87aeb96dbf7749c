/**
 * State behind the interactive UI, kept apart from ink so it can be tested without a terminal:
 * the scrollback (append-only lines), input history, status line, and what a submitted line does.
 *
 * A submitted line runs as a command when it starts with `/` or its first word is a command name;
 * anything else is sent as a message to the current channel.
 */
import { EventEmitter } from 'node:events'
import type { App } from '../app.js'
import { actions } from '../actions.js'
import { routingTableSize } from '../network-info.js'
import { parseLine } from '../cli/commands.js'
import { execute } from '../cli/execute.js'
import { formatEvent, formatMessage, formatResult, keyNotices } from '../cli/format.js'
import { SPACE_EVENTS } from '../cli/line-mode.js'
import { spaceView, type MessageView } from '../views.js'
import { sanitizeText } from '../core/sanitize.js'

/** One line of scrollback. `kind` picks its colour. */
export interface Line { id: number, kind: 'message' | 'info' | 'error' | 'echo', text: string }

/** What the status line shows. */
export interface Status { name: string, peers: number, routingTable: number, space: string | null, channel: string | null, syncing?: string | null }

/** Most lines of input history kept. */
export const HISTORY_MAX = 500

export class ChatController extends EventEmitter<{ update: [], quit: [] }> {
  readonly lines: Line[] = []
  private readonly history: string[] = []
  private historyPos = 0
  private nextId = 0
  /** Catch-up in progress, for the status line. */
  private syncing: string | null = null

  constructor (readonly app: App) {
    super()
    app.on('message', (m) => { this.onMessage(m) })
    app.on('change', () => this.emit('update'))
    for (const event of SPACE_EVENTS) {
      if (event === 'op:rejected') continue
      app.on(event, (data: unknown) => {
        const text = formatEvent(event, data as Record<string, unknown>)
        if (text !== '') this.push('info', text)
      })
    }
    app.on('dm', (d) => { this.push('info', `${d.from.name} opened direct messages with you: \`space ${d.spaceId.slice(0, 8)}\``) })
    const keyNotice = keyNotices()
    app.on('key', (d) => {
      const state = app.store.spaces.get(d.spaceId)
      const text = state == null ? '' : keyNotice(d.spaceId, spaceView(state).name)
      if (text !== '') this.push('info', text)
    })
    app.on('key:forged', (d) => { this.push('error', `${d.from.name} sent you a key that does not open (space ${d.spaceId.slice(0, 8)}); the space is being re-keyed`) })
    app.on('relay:refused', (d) => { this.push('error', `relay ${d.peerId} refused to hold space ${d.spaceId.slice(0, 8)} (it is full): members who are offline cannot catch up through it`) })
    app.on('peer:connect', (p) => { this.push('info', `peer connected: ${p}`) })
    app.on('peer:disconnect', (p) => { this.push('info', `peer disconnected: ${p}`) })
    app.on('sync', (p) => {
      const state = this.app.store.spaces.get(p.spaceId)
      const name = state != null ? spaceView(state).name : p.spaceId.slice(0, 8)
      this.syncing = p.phase === 'done' ? null : `syncing ${name}: ${p.received} ops`
      if (p.phase === 'done') this.push('info', `caught up: ${p.received} op(s) of ${name} in ${p.ms} ms`)
      else this.emit('update')
    })
  }

  /** The welcome banner: who we are and the addresses to give others. */
  banner (): void {
    this.push('info', `spaceway: ${this.app.account.name} (${this.app.account.peerId})`)
    for (const a of this.app.addresses()) this.push('info', `  listening on ${a}`)
    this.push('info', 'type `help` for commands; plain text is sent to the current channel')
  }

  /**
   * Appends a line of scrollback. Multi-line text becomes several lines. The output boundary of the
   * UI: every line passes `sanitizeText` (whatever built it), and peer text reaches here already
   * indented on its continuation lines (format.ts).
   */
  push (kind: Line['kind'], text: string): void {
    for (const t of sanitizeText(text, true).split('\n')) this.lines.push({ id: this.nextId++, kind, text: sanitizeText(t) })
    this.emit('update')
  }

  status (): Status {
    const ctx = actions.context(this.app)
    return { name: sanitizeText(this.app.account.name), peers: this.app.connectedPeers().length, routingTable: routingTableSize(this.app), space: ctx.spaceName, channel: ctx.channelName, syncing: this.syncing }
  }

  private onMessage (m: MessageView): void {
    const { spaceId, channelId } = this.app.context
    if (m.spaceId === spaceId && m.channelId === channelId) this.push('message', formatMessage(m))
    else {
      const space = this.app.store.spaces.get(m.spaceId)
      const channel = space?.channel(m.channelId)
      this.push('info', `[${space != null ? spaceView(space).name : '?'} #${channel != null ? sanitizeText(channel.name) : '?'}] ${formatMessage(m)}`)
    }
  }

  /** Previous (`-1`) or next (`+1`) history entry, for up/down keys. */
  recall (direction: -1 | 1): string {
    this.historyPos = Math.max(0, Math.min(this.history.length, this.historyPos + direction))
    return this.history[this.historyPos] ?? ''
  }

  /** Handles a submitted input line. */
  async submit (input: string): Promise<void> {
    const line = input.trim()
    if (line === '') return
    this.history.push(line)
    if (this.history.length > HISTORY_MAX) this.history.shift()
    this.historyPos = this.history.length
    let asCommand = true
    if (!line.startsWith('/')) {
      try { parseLine(line) } catch { asCommand = false }
    }
    const result = await execute(this.app, asCommand ? line : `send ${JSON.stringify(line)}`)
    if (result == null) return
    if (!result.ok) {
      this.push('error', `${result.error.code}: ${result.error.message}`)
      return
    }
    if (result.cmd === 'send' || result.cmd === 'reply') {
      const me = this.app.account
      const sent = result.data as { id: string, ts: number, text: string, replyTo?: string }
      this.push('message', formatMessage({ id: sent.id, author: { userId: me.userId, name: me.name }, text: sent.text, ts: sent.ts, replyTo: sent.replyTo ?? null }))
      return
    }
    if (result.cmd === 'quit') {
      this.emit('quit')
      return
    }
    this.push('echo', `> ${line}`)
    const text = formatResult(result.cmd, result.data as Record<string, unknown>)
    if (text !== '') this.push('info', text)
    if (['space create', 'space', 'join', 'channel', 'channel create'].includes(result.cmd)) {
      const recent = await execute(this.app, 'messages 20')
      if (recent?.ok === true) this.push('message', formatResult('messages', recent.data as Record<string, unknown>))
    }
  }
}
