/**
 * The state behind the full-screen UI, apart from ink so it can be tested without a terminal: what
 * the sidebar, the message pane, the member list, the status line and the input show, and what
 * every key and every client event does to them. It reaches the engine only through a SpaceClient.
 *
 * The pane shows the current channel only: its messages (a window of at most WINDOW_MAX, loaded
 * from the store on demand as you scroll), the notices made while you were in it (your commands
 * and their results, joins, renames...) and, where you left it, a "new messages" line. Other
 * channels' traffic only changes the sidebar's counts. Rows are laid out for the pane's width
 * (layout.ts); only the rows of the visible window are rendered.
 */
import { EventEmitter } from 'node:events'
import type { ChannelSummary, ClientStatus, MemberView, MessageItem, SpaceClient, SpaceSummary } from '../client/space-client.js'
import { COMMANDS, commandNames, execute, interpret, type CommandResult, type Input } from '../commands/index.js'
import { formatEvent } from '../format/events.js'
import { LineEditor, type KeyPress } from './line-editor.js'
import { sanitizeText } from '../core/sanitize.js'
import { LOCKED_NAME } from '../views.js'
import { toErrorInfo } from '../errors.js'
import { complete } from './completion.js'
import { layoutEntries, type Entry, type NoticeStyle, type Row } from './layout.js'

/** Messages loaded per page when scrolling. */
export const PAGE = 200
/** Most messages held for the current channel; beyond it the far end of the window is dropped. */
export const WINDOW_MAX = 1500
/** Sidebar width, columns (no sidebar below NARROW_COLS). */
export const SIDEBAR_COLS = 24
/** Member list width, columns (shown from WIDE_COLS, or when toggled). */
export const MEMBERS_COLS = 22
export const NARROW_COLS = 60
export const WIDE_COLS = 110
/** Read markers are written at most this often while messages arrive in the channel on screen, ms. */
export const MARK_READ_MS = 500
/** Most characters of a message (core/op.ts MAX_MESSAGE_CHARS). */
export const MAX_INPUT_CHARS = 4000

export interface UiOptions {
  /** Ring the terminal bell on a mention (default true). */
  bell?: boolean
  /** Desktop notification on a mention. */
  notify?: (title: string, body: string) => void
  /** Writes to the terminal outside the render (the bell). */
  write?: (data: string) => void
}

/** A line of the sidebar. */
export interface SideRow { text: string, kind: 'space' | 'channel' | 'header', current: boolean, unread: number, mentions: number }

/** What the screen shows, laid out for `cols` x `rows`. */
export interface Frame {
  cols: number
  rows: number
  sidebar: SideRow[] | null
  pane: Row[]
  members: MemberView[] | null
  status: ClientStatus & { where: string, scrolled: boolean, hint: string | null }
  input: { lines: string[], cursorLine: number, cursorCol: number, prompt: string }
}

interface Notice { text: string, style: NoticeStyle, after: string, seq: number }

/**
 * Events: `update` (the frame changed; `urgent` when it answers the user: a command's result, a
 * page loaded, a message in the channel on screen; other changes may be drawn a little later) and
 * `quit`.
 */
export class ViewModel extends EventEmitter<{ update: [urgent?: boolean], quit: [] }> {
  readonly editor = new LineEditor({ maxChars: MAX_INPUT_CHARS })
  cols = 80
  rows = 24
  private spaces: SpaceSummary[] = []
  private channels: ChannelSummary[] = []
  private window: MessageItem[] = []
  /** Older messages exist before the window; newer ones after it (we scrolled back far). */
  private older = false
  private newer = false
  private readonly notices = new Map<string, Notice[]>()
  private seq = 0
  /** Rows scrolled up from the bottom. */
  private scroll = 0
  private marker: string | null = null
  private showMembers: boolean | null = null
  private confirm: { question: string, run: () => void } | null = null
  private hint: string | null = null
  private busy: Promise<void> = Promise.resolve()
  private loading = false
  private awayTimer: NodeJS.Timeout | undefined
  private readonly away = new Map<string, number>()
  private lockedSpaces = new Set<string>()
  private channelsOf = new Map<string, ChannelSummary[]>()
  private memberList: MemberView[] = []
  /** Rows of scrolling asked for while the page they need loads (up: positive). */
  private pending = 0
  /** Bumped by every load that replaces the window: a page that arrives after one is dropped. */
  private gen = 0
  private readDue: { spaceId: string, channelId: string, position: string } | undefined
  private readTimer: NodeJS.Timeout | undefined
  /** Bare mode (Alt-L): no sidebar, no member list, so a long line (an invite) copies whole. */
  private bare = false

  constructor (readonly client: SpaceClient, private readonly options: UiOptions = {}) {
    super()
    this.wire()
  }

  /** The current space/channel, as the key of its notices. */
  private get here (): string {
    const c = this.client.context()
    return `${c.spaceId ?? ''}/${c.channelId ?? ''}`
  }

  /** Loads the spaces and the current channel's history; prints the welcome or the "while you were away" line. */
  async start (): Promise<void> {
    this.refresh()
    await this.openChannel()
    const me = this.client.identity()
    if (this.spaces.length === 0) {
      this.notice(`welcome, ${me.name}. Create a space with /space create <name>, or join one with /join <invite>. /help lists every command; just type to talk.`, 'info')
    }
    this.summary(this.client.away().channels, 'while you were away')
    for (const c of this.client.away().channels) this.away.set(`${c.spaceId}/${c.channelId}`, c.unread)
    this.emit('update')
  }

  private wire (): void {
    const c = this.client
    c.on('message', (m) => { this.onMessage(m) })
    c.on('change', () => { this.refresh(); this.emit('update') })
    c.on('delivery', ({ messageId, status }) => {
      // a new object: rows are laid out once per message object (layout.ts caches them)
      const i = this.window.findIndex(x => x.id === messageId)
      if (i >= 0) { this.window[i] = { ...this.window[i], delivery: status }; this.emit('update') }
    })
    c.on('message:edit', (d) => { void this.reload(d.spaceId, [d.messageId]) })
    c.on('message:delete', (d) => { void this.reload(d.spaceId, [d.messageId]) })
    c.on('message:react', (d) => { void this.reload(d.spaceId, [d.messageId]) })
    for (const event of ['member:join', 'member:leave', 'member:role', 'member:name', 'channel:create', 'channel:rename', 'channel:delete'] as const) {
      c.on(event, (d: { spaceId: string }) => {
        // what the sidebar and member list show changed with it: read them before the notice is drawn
        this.refresh()
        const text = formatEvent(event, d as unknown as Record<string, unknown>)
        if (text !== '') this.spaceNotice(d.spaceId, text)
        if (event === 'channel:delete' && c.context().channelId === (d as { channelId?: string }).channelId) void this.openChannel()
      })
    }
    c.on('dm', (d) => { this.notice(`${d.from.name} opened direct messages with you: they are in the sidebar under "Direct messages"`, 'info') })
    c.on('key', (d) => {
      // news only when something was locked: a name, or messages on screen
      const here = c.context().spaceId === d.spaceId
      if (this.lockedSpaces.has(d.spaceId) || (here && this.window.some(m => m.locked))) this.spaceNotice(d.spaceId, `the key of "${d.name}" reached you: its messages read now`)
      if (here) void this.openChannel(false)
    })
    // names changed (a nick, a collision that now needs a suffix): lay the pane out again
    c.on('member:name', (d) => { if (c.context().spaceId === d.spaceId) void this.openChannel(false) })
    c.on('key:forged', (d) => { this.spaceNotice(d.spaceId, `${d.from.name} sent you a key that does not open; the space is being re-keyed`, 'error') })
    c.on('relay:refused', (d) => { this.spaceNotice(d.spaceId, `relay ${d.peerId.slice(-8)} refused to hold this space (it is full): members who are offline cannot catch up through it`, 'error') })
    c.on('sync', (p) => {
      if (p.phase !== 'done' || p.received === 0) { this.emit('update'); return }
      // one summary of what catch-ups brought, once they settle
      clearTimeout(this.awayTimer)
      this.awayTimer = setTimeout(() => { this.caughtUp() }, 500)
      this.awayTimer.unref()
      if (c.context().spaceId === p.spaceId && this.scroll === 0) void this.appendNewer()
    })
  }

  private caughtUp (): void {
    const now = this.client.away().channels
    const grown = now.filter(c => c.unread > (this.away.get(`${c.spaceId}/${c.channelId}`) ?? 0)).map(c => ({ ...c, unread: c.unread - (this.away.get(`${c.spaceId}/${c.channelId}`) ?? 0) }))
    for (const c of now) this.away.set(`${c.spaceId}/${c.channelId}`, c.unread)
    this.summary(grown, 'caught up')
    this.emit('update')
  }

  /** "while you were away: 12 new in #dev, 1 mention in #general". */
  private summary (channels: Array<{ channelName: string, spaceName: string, unread: number, mentions: number, spaceId: string, channelId: string }>, title: string): void {
    const ctx = this.client.context()
    const list = channels.filter(c => !(c.spaceId === ctx.spaceId && c.channelId === ctx.channelId))
    if (list.length === 0) return
    const multi = new Set(list.map(c => c.spaceId)).size > 1
    const parts = list.slice(0, 6).map(c => `${c.mentions > 0 ? `${c.mentions} mention${c.mentions === 1 ? '' : 's'} and ` : ''}${c.unread >= 1000 ? '999+' : c.unread} new in #${c.channelName}${multi ? ` (${c.spaceName})` : ''}`)
    this.notice(`${title}: ${parts.join(', ')}${list.length > 6 ? `, and ${list.length - 6} more channel(s)` : ''}`, 'info')
  }

  /**
   * Reads what the sidebar, the member list and the keys that move between channels show, once per
   * change (not once per frame: a frame is drawn for every key).
   */
  private refresh (): void {
    this.spaces = this.client.spaces()
    this.lockedSpaces = new Set(this.spaces.filter(s => s.name === LOCKED_NAME).map(s => s.spaceId))
    this.channelsOf = new Map(this.spaces.map(s => {
      try { return [s.spaceId, this.client.channels(s.spaceId)] } catch { return [s.spaceId, []] }
    }))
    const current = this.client.context().spaceId
    this.channels = current == null ? [] : this.channelsOf.get(current) ?? []
    try { this.memberList = current == null ? [] : this.client.members() } catch { this.memberList = [] }
  }

  /** Fills the pane with the current channel's newest messages; `mark`: remember the read marker for the "new messages" line. */
  async openChannel (mark = true): Promise<void> {
    const ctx = this.client.context()
    this.refresh()
    if (ctx.spaceId == null) { this.window = []; this.older = false; this.newer = false; this.emit('update'); return }
    if (mark) this.marker = this.channels.find(c => c.channelId === ctx.channelId)?.lastRead ?? null
    const gen = ++this.gen
    this.pending = 0
    try {
      // what fills the screen twice over; older pages load as you scroll
      const page = await this.client.messages({ limit: Math.min(PAGE, Math.max(50, this.rows * 2)) })
      if (gen !== this.gen || this.client.context().channelId !== page.channelId) return
      this.window = page.messages
      this.older = page.more
      this.newer = false
      if (mark) this.scroll = 0
      this.markRead()
    } catch (err) {
      this.notice(errorText(err), 'error')
    }
    this.emit('update', true)
  }

  /** Adds what the current channel holds after the newest message shown (our own, a catch-up's). */
  async appendNewer (): Promise<void> {
    const last = this.window[this.window.length - 1]
    if (last == null || this.newer) { await this.openChannel(false); return }
    const ctx = this.client.context()
    const gen = this.gen
    const page = await this.client.messages({ limit: PAGE, after: last.position })
    if (gen !== this.gen || this.client.context().channelId !== ctx.channelId || page.channelId !== ctx.channelId) return
    const have = new Set(this.window.map(m => m.id))
    for (const m of page.messages) if (!have.has(m.id)) this.window.push(m)
    if (page.messages.length === PAGE) this.newer = true
    this.markRead()
    this.emit('update', true)
  }

  private async reload (spaceId: string, ids: string[]): Promise<void> {
    if (this.client.context().spaceId !== spaceId || !ids.some(id => this.window.some(m => m.id === id))) return
    const first = this.window[0]
    if (first == null) return
    const page = await this.client.messages({ limit: Math.min(10_000, this.window.length + 1), after: before(first.position) })
    const fresh = new Map(page.messages.map(m => [m.id, m]))
    this.window = this.window.map(m => fresh.get(m.id) ?? m)
    this.emit('update')
  }

  /**
   * The channel on screen, scrolled to its newest message, is read up to it (written at most every
   * MARK_READ_MS: a busy channel does not write a marker per message).
   */
  private markRead (): void {
    const last = this.window[this.window.length - 1]
    const ctx = this.client.context()
    if (last == null || this.newer || this.scroll > 0 || ctx.spaceId == null || ctx.channelId == null) return
    const first = this.readDue == null
    this.readDue = { spaceId: ctx.spaceId, channelId: ctx.channelId, position: last.position }
    if (!first) return
    const flush = (): void => {
      const due = this.readDue
      this.readDue = undefined
      if (due != null) void this.client.markRead(due.spaceId, due.channelId, due.position).catch(() => {})
    }
    // the first at once (switching channel clears its count), the rest of a burst once it settles
    if (this.readTimer == null) {
      flush()
      this.readTimer = setTimeout(() => { this.readTimer = undefined; flush() }, MARK_READ_MS)
      this.readTimer.unref()
    }
  }

  private onMessage (m: MessageItem): void {
    const ctx = this.client.context()
    if (m.mention) {
      if (this.options.bell !== false) this.options.write?.('\u0007')
      this.options.notify?.(`${m.author.name} mentioned you`, m.text.slice(0, 200))
    }
    // elsewhere: only the sidebar's counts change
    if (m.spaceId !== ctx.spaceId || m.channelId !== ctx.channelId || this.newer) { this.refresh(); this.emit('update'); return }
    const at = this.window.findIndex(x => x.position > m.position)
    // scrolled up: the rows of a message added at the bottom would move the view (scroll counts from the bottom)
    const below = at < 0 && this.scroll > 0 ? this.layout().length : null
    if (at < 0) this.window.push(m)
    else this.window.splice(at, 0, m)
    if (below != null) this.scroll += this.layout().length - below
    if (this.window.length > WINDOW_MAX && this.scroll === 0) { this.window.splice(0, this.window.length - PAGE * 2); this.older = true }
    if (this.scroll === 0) this.markRead()
    this.emit('update', true)
  }

  /** Adds a notice to the current channel's pane. */
  notice (text: string, style: NoticeStyle = 'info'): void {
    this.noticeIn(this.here, text, style)
  }

  private spaceNotice (spaceId: string, text: string, style: NoticeStyle = 'info'): void {
    const ctx = this.client.context()
    this.noticeIn(ctx.spaceId === spaceId ? this.here : `${spaceId}/${spaceId}`, text, style)
  }

  private noticeIn (key: string, text: string, style: NoticeStyle): void {
    const list = this.notices.get(key) ?? []
    const after = key === this.here ? (this.window[this.window.length - 1]?.position ?? '') : '\u007f'
    list.push({ text: sanitizeText(text, true), style, after, seq: this.seq++ })
    if (list.length > 200) list.shift()
    this.notices.set(key, list)
    this.emit('update')
  }

  // --- keys ---

  /** One decoded keypress (Node's readline.emitKeypressEvents). Never throws. */
  key (str: string | undefined, key: KeyPress | undefined): void {
    try {
      this.keyUnsafe(str, key)
    } catch (err) {
      this.notice(errorText(err), 'error')
    }
    this.emit('update')
  }

  private keyUnsafe (str: string | undefined, key: KeyPress | undefined): void {
    if (this.confirm != null) {
      const c = this.confirm
      this.confirm = null
      if (str === 'y' || str === 'Y') c.run()
      else this.notice('cancelled', 'info')
      return
    }
    this.hint = null
    const action = this.editor.feed(str, key)
    switch (action.type) {
      case 'submit': this.submit(action.text); return
      case 'refused': this.notice(`${action.reason}: nothing was sent; your text is still in the input (Ctrl-U clears it)`, 'error'); return
      case 'complete': this.complete(); return
      case 'unhandled': this.special(action.key); break
      default: break
    }
  }

  private special (k: KeyPress): void {
    const name = k.name ?? ''
    const page = Math.max(1, this.paneRows() - 2)
    if (k.ctrl === true && name === 'c') { this.quit(); return }
    if (k.ctrl === true && name === 'd') { this.quit(); return }
    if (name === 'pageup') this.scrollBy(page)
    else if (name === 'pagedown') this.scrollBy(-page)
    else if (k.ctrl === true && name === 'home') void this.toOldest()
    else if (k.ctrl === true && name === 'end') void this.toNewest()
    else if (k.ctrl === true && (name === 'n' || name === 'p')) void this.cycleChannel(name === 'n' ? 1 : -1)
    else if (k.meta === true && name === 'a') void this.nextActive()
    else if (k.meta === true && /^[1-9]$/.test(name)) void this.channelAt(Number(name) - 1)
    else if ((k.meta === true && name === 'm') || name === 'f2') this.showMembers = !(this.showMembers ?? this.cols >= WIDE_COLS)
    else if ((k.meta === true && name === 'l') || name === 'f3') this.bare = !this.bare
    else if (k.ctrl === true && name === 'l') this.emit('update')
  }

  private quit (): void {
    const pending = this.window.filter(m => m.own && m.delivery?.state === 'pending').length
    if (pending > 0) {
      this.confirm = { question: `${pending} message${pending === 1 ? '' : 's'} reached nobody yet (they go out when a peer or relay appears, next time too). Quit anyway? [y/N]`, run: () => this.emit('quit') }
      return
    }
    this.emit('quit')
  }

  /** Scrolls by `rows` (up when positive); past either end of the window, the next page is loaded and the rest of the way scrolled. */
  /**
   * Scrolls by `rows` (up: positive). A move past the loaded window waits for the next page to load
   * and is then made whole (keys pressed meanwhile add to it), so no frame shows a half move and no
   * key is lost.
   */
  private scrollBy (rows: number): void {
    const max = Math.max(0, this.layout().length - this.paneRows())
    const want = this.scroll + rows
    if (rows > 0 && want > max && this.older) {
      this.pending += rows
      void this.loadOlder()
      return
    }
    if (rows < 0 && want < 0 && this.newer) {
      this.pending += rows
      void this.loadNewer()
      return
    }
    this.scroll = Math.max(0, Math.min(max, want))
    if (rows < 0 && this.scroll === 0 && !this.newer) this.markRead()
  }

  // `scroll` counts rows up from the bottom of the window: rows added above it (older messages) move
  // nothing on screen, rows added or dropped below it (newer messages) move the view.

  /** Loads the page before the window, then scrolls `extra` rows further up (what the key asked beyond the window). */
  private async loadOlder (): Promise<void> {
    if (this.loading || this.window.length === 0) return
    this.loading = true
    try {
      const gen = this.gen
      const first = this.window[0].id
      const page = await this.client.messages({ limit: PAGE, before: this.window[0].position })
      if (gen !== this.gen) return
      this.window = [...page.messages, ...this.window]
      this.older = page.more
      const full = this.layout().length
      if (this.window.length > WINDOW_MAX) { this.window = this.window.slice(0, WINDOW_MAX); this.newer = true }
      const extra = this.pending
      this.pending = 0
      this.scroll = Math.max(0, this.scroll + extra - (full - this.layout().length))
      // the rows that stood above the old first message (the "older" line, its day separator) are
      // gone from there: keep that message on screen, so no message is skipped
      this.scroll = Math.min(this.scroll, Math.max(0, this.rowsFrom(first) - 1), Math.max(0, this.layout().length - this.paneRows()))
    } finally { this.loading = false }
    this.emit('update', true)
  }

  /** Rows from the first row of message `id` to the end of the pane's layout (0 if it is not in the window). */
  private rowsFrom (id: string): number {
    const entries = this.entries()
    const i = entries.findIndex(e => e.kind === 'message' && e.message.id === id)
    // (less the day separator a layout always opens with)
    return i < 0 ? 0 : layoutEntries(entries.slice(i), this.paneCols(), { older: false }).length - 1
  }

  /** Loads the page after the window, then scrolls `extra` rows further down. */
  private async loadNewer (): Promise<void> {
    if (this.loading || this.window.length === 0) return
    this.loading = true
    try {
      const before = this.layout().length
      const gen = this.gen
      const page = await this.client.messages({ limit: PAGE, after: this.window[this.window.length - 1].position })
      if (gen !== this.gen) return
      this.window = [...this.window, ...page.messages]
      this.newer = page.messages.length === PAGE
      const extra = -this.pending
      this.pending = 0
      this.scroll = Math.max(0, Math.min(this.layout().length - this.paneRows(), this.scroll + this.layout().length - before - extra))
      if (this.window.length > WINDOW_MAX) { this.window = this.window.slice(this.window.length - WINDOW_MAX); this.older = true }
    } finally { this.loading = false }
    if (!this.newer && this.scroll === 0) this.markRead()
    this.emit('update', true)
  }

  private async toOldest (): Promise<void> {
    const gen = ++this.gen
    this.pending = 0
    const page = await this.client.messages({ limit: PAGE, after: '' })
    if (gen !== this.gen) return
    this.window = page.messages
    this.older = false
    this.newer = page.messages.length === PAGE
    this.scroll = Math.max(0, this.layout().length - this.paneRows())
    this.emit('update', true)
  }

  private async toNewest (): Promise<void> {
    this.scroll = 0
    await this.openChannel(false)
  }

  private async go (spaceId: string, channelId: string): Promise<void> {
    const ctx = this.client.context()
    if (ctx.spaceId !== spaceId) await this.client.switchSpace(spaceId)
    if (this.client.context().channelId !== channelId) await this.client.switchChannel(channelId)
    await this.openChannel()
  }

  /** Channels in sidebar order: (space, channel) pairs. */
  private order (): Array<{ spaceId: string, channelId: string, unread: number, mentions: number }> {
    const out: Array<{ spaceId: string, channelId: string, unread: number, mentions: number }> = []
    for (const s of this.spaces) {
      for (const c of this.channelsOf.get(s.spaceId) ?? []) out.push({ spaceId: s.spaceId, channelId: c.channelId, unread: c.unread, mentions: c.mentions })
    }
    return out
  }

  private async cycleChannel (step: number): Promise<void> {
    const list = this.order()
    if (list.length === 0) return
    const ctx = this.client.context()
    const i = list.findIndex(x => x.spaceId === ctx.spaceId && x.channelId === ctx.channelId)
    const next = list[(i + step + list.length) % list.length]
    await this.go(next.spaceId, next.channelId)
  }

  private async nextActive (): Promise<void> {
    const list = this.order().filter(x => x.unread > 0)
    const pick = list.find(x => x.mentions > 0) ?? list[0]
    if (pick == null) { this.hint = 'no channel has new messages'; this.emit('update', true); return }
    await this.go(pick.spaceId, pick.channelId)
  }

  private async channelAt (i: number): Promise<void> {
    const pick = this.order()[i]
    if (pick != null) await this.go(pick.spaceId, pick.channelId)
  }

  private complete (): void {
    const members = this.memberList
    const result = complete(this.editor.text, this.editor.cursor, {
      commands: commandNames(),
      members: members.map(m => m.name),
      channels: this.channels.map(c => c.name),
      spaces: this.spaces.map(s => s.name)
    })
    if (result == null) return
    this.editor.setText(result.text, result.cursor)
    if (result.candidates.length > 1) this.hint = result.candidates.slice(0, 12).join('  ')
  }

  // --- submitting ---

  /** Runs a submitted line: a message, or a `/command` (its echo first, then its effects). */
  submit (text: string): void {
    let input: Input
    try {
      input = interpret(text, 'ui')
    } catch (err) {
      this.notice(`> ${oneLine(text)}`, 'echo')
      this.notice(errorText(err), 'error')
      return
    }
    if (input.kind === 'empty') return
    if (input.kind === 'command') {
      const cmd = input.command
      if (cmd.name === 'quit') { this.quit(); return }
      this.notice(`> ${oneLine(text)}`, 'echo')
      const go = (): void => { this.run(text, input) }
      if (cmd.confirm === 'always') {
        const where = this.client.context().spaceName ?? 'this space'
        this.confirm = { question: cmd.name === 'leave' ? `leave "${where}"? [y/N]` : `${oneLine(text).slice(1)} in "${where}"? [y/N]`, run: go }
        return
      }
      go()
      return
    }
    this.run(text, input)
  }

  private run (text: string, input: Input): void {
    // lines run one after another, in the order they were entered
    this.busy = this.busy.then(async () => {
      const from = this.here
      const result = await execute(this.client, input, 'ui')
      if (result != null) await this.after(text, result, input.kind === 'command' ? from : this.here)
    }).catch(err => { this.notice(errorText(err), 'error') })
  }

  private async after (text: string, result: CommandResult, from: string): Promise<void> {
    // a command that took us elsewhere: the pane fills with where we are now, then its echo and result
    if (this.here !== from) {
      await this.openChannel()
      this.notice(`> ${oneLine(text)}`, 'echo')
    }
    if (!result.ok) {
      this.notice(`error ${result.error.code}: ${result.error.message}`, 'error')
      // a message that was not sent goes back into the input, to edit and send again
      if (result.cmd === 'send' && this.editor.text === '') this.editor.setText(text)
      this.emit('update', true)
      return
    }
    if (result.cmd === 'send' || result.cmd === 'me' || result.cmd === 'reply') {
      await this.appendNewer()
      return
    }
    if (result.text !== '') this.notice(result.text, 'result')
    if (['edit', 'delete', 'react', 'nick'].includes(result.cmd)) await this.openChannel(false)
    this.refresh()
    this.emit('update', true)
  }

  // --- layout ---

  private paneCols (): number {
    return Math.max(10, this.cols - (this.sidebarShown() ? SIDEBAR_COLS + 1 : 0) - (this.membersShown() ? MEMBERS_COLS + 1 : 0))
  }

  private paneRows (): number {
    return Math.max(1, this.rows - 1 - this.inputRows())
  }

  private inputRows (): number {
    return Math.min(5, this.editor.text.split('\n').length) + (this.hint != null || this.confirm != null || this.editor.searching != null ? 1 : 0)
  }

  private sidebarShown (): boolean { return !this.bare && this.cols >= NARROW_COLS }
  private membersShown (): boolean { return !this.bare && this.client.context().spaceId != null && (this.showMembers ?? this.cols >= WIDE_COLS) && this.cols >= NARROW_COLS + MEMBERS_COLS }

  private entries (): Entry[] {
    const entries: Entry[] = this.window.map(m => ({ kind: 'message', message: m, key: m.position }))
    if (this.marker != null && this.window.some(m => m.position > (this.marker as string) && !m.own)) {
      entries.push({ kind: 'marker', key: `${this.marker}\u0000` })
    }
    for (const n of this.notices.get(this.here) ?? []) entries.push({ kind: 'notice', text: n.text, style: n.style, ref: n, key: `${n.after}\u0001${String(n.seq).padStart(10, '0')}` })
    return entries.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }

  private layout (): Row[] {
    return layoutEntries(this.entries(), this.paneCols(), { older: this.older })
  }

  /** The screen, laid out for the terminal's size. */
  frame (): Frame {
    const ctx = this.client.context()
    const rows = this.layout()
    const height = this.paneRows()
    this.scroll = Math.min(this.scroll, Math.max(0, rows.length - height))
    const end = rows.length - this.scroll
    const pane = rows.slice(Math.max(0, end - height), end)
    const status = this.client.status()
    const lines = this.editor.text.split('\n')
    const before = this.editor.text.slice(0, this.editor.cursor).split('\n')
    const search = this.editor.searching
    return {
      cols: this.cols,
      rows: this.rows,
      sidebar: this.sidebarShown() ? this.sidebar() : null,
      pane,
      members: this.membersShown() ? this.memberList : null,
      status: {
        ...status,
        where: ctx.spaceId == null ? 'no space' : `${ctx.spaceName ?? ''} #${ctx.channelName ?? '?'}`,
        scrolled: this.scroll > 0,
        hint: this.confirm?.question ?? (search != null ? `(reverse-i-search)'${search.query}': ${search.match ?? ''}` : this.hint)
      },
      input: { lines: lines.slice(-5), cursorLine: Math.min(4, before.length - 1 - Math.max(0, lines.length - 5)), cursorCol: before[before.length - 1].length, prompt: this.confirm != null ? '? ' : '> ' }
    }
  }

  private sidebar (): SideRow[] {
    const ctx = this.client.context()
    const out: SideRow[] = []
    const add = (s: SpaceSummary): void => {
      out.push({ text: s.name, kind: 'space', current: s.spaceId === ctx.spaceId, unread: s.unread, mentions: s.mentions })
      if (s.dm) return
      for (const c of this.channelsOf.get(s.spaceId) ?? []) out.push({ text: `#${c.name}`, kind: 'channel', current: s.spaceId === ctx.spaceId && c.channelId === ctx.channelId, unread: c.unread, mentions: c.mentions })
    }
    for (const s of this.spaces.filter(s => !s.dm)) add(s)
    out.push({ text: 'Direct messages', kind: 'header', current: false, unread: 0, mentions: 0 })
    for (const s of this.spaces.filter(s => s.dm)) add(s)
    return out
  }

  /** The terminal was resized. */
  resize (cols: number, rows: number): void {
    this.cols = cols
    this.rows = rows
    this.emit('update', true)
  }

  /** Every command's usage (for the help screen). */
  static usages (): string[] {
    return COMMANDS.map(c => `/${c.usage}`)
  }
}

function errorText (err: unknown): string {
  const { code, message } = toErrorInfo(err)
  return `error ${code}: ${message}`
}

function oneLine (text: string): string {
  const t = text.replace(/\s*\n\s*/g, ' ⏎ ')
  return t.length > 200 ? `${t.slice(0, 200)}…` : t
}

/** A position just before `p` (for a forward page that starts at `p`). */
function before (p: string): string {
  return p.length === 0 ? '' : p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) - 1) + '\uffff'
}
