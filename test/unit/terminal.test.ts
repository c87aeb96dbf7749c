/**
 * Terminal safety of what peers choose: names of spaces, channels and users in error messages
 * (AMBIGUOUS, NOT_FOUND), the output boundaries (line mode, `--json`, the ink UI's scrollback), and
 * multi-line message text that must never fake another message's header.
 */
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { actions } from '../../src/actions.js'
import { memberActions } from '../../src/member-actions.js'
import { execute } from '../../src/commands/index.js'
import { formatEvent } from '../../src/format/events.js'
import { formatMessage } from '../../src/format/message.js'
import { runLineMode } from '../../src/cli/line-mode.js'
import { ViewModel } from '../../src/ui/view-model.js'
import { rowText } from '../../src/ui/layout.js'
import type { MessageItem, SpaceClient } from '../../src/client/space-client.js'
import { idToString } from '../../src/core/ids.js'
import { Replica } from '../../src/replica.js'
import { toErrorInfo } from '../../src/errors.js'
import type { MessageView } from '../../src/views.js'
import { replicaFixture } from '../helpers/replicas.js'
import { newSigner } from '../helpers/ops.js'

const { replica } = replicaFixture('spaceway-terminal-')

const CSI = '\u001b[2J'
const OSC = '\u001b]0;pwned\u0007'
const C1 = '\u009b31m'
/** Anything a terminal acts on: ESC, BEL, C1 controls, bidi overrides. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** An App stand-in with a real replica: what actions, line mode and the controller read. */
async function fakeApp (): Promise<{ app: App, r: Replica }> {
  const signer = await newSigner()
  const r = await replica(signer)
  const app = Object.assign(new EventEmitter(), {
    account: { userId: idToString(signer.publicKey), name: 'me', peerId: '12D3KooWfake' },
    context: { spaceId: null as string | null, channelId: null as string | null },
    store: r.store,
    replica: r,
    topics: { publish: async () => {} },
    node: { getPeers: () => [] },
    connectedPeers: () => [],
    hidden: new Set<string>(),
    addresses: () => [],
    async setContext (c: { spaceId: string | null, channelId: string | null }) { app.context = c }
  })
  return { app: app as unknown as App, r }
}

async function errorOf (run: () => unknown): Promise<{ code: string, message: string }> {
  try {
    await run()
  } catch (err) {
    return toErrorInfo(err)
  }
  throw new Error('expected an error')
}

function firstCharClash (ids: string[]): string | undefined {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id[0])) return id[0]
    seen.add(id[0])
  }
  return undefined
}

describe('peer-chosen names in error messages', () => {
  it('AMBIGUOUS and NOT_FOUND for channels and spaces carry no escape sequence', async () => {
    const { app, r } = await fakeApp()
    const hostile = `${OSC}dup${CSI}${C1}`
    const spaces: string[] = []
    for (let i = 0; i < 2; i++) {
      const op = await r.author('space.create', null, { name: `${hostile}\u202e`, nonce: Replica.nonce(), public: false })
      spaces.push(op.spaceId)
    }
    app.context = { spaceId: spaces[0], channelId: spaces[0] }
    // Channels with hostile names; enough of them that two ids share a first character (32 symbols).
    const channelIds = [spaces[0]]
    while (firstCharClash(channelIds) == null) {
      const op = await r.author('channel.create', spaces[0], { name: `${hostile}${channelIds.length}` })
      channelIds.push(op.id)
    }
    await r.author('channel.create', spaces[0], { name: `${C1}twin${OSC}` })
    await r.author('channel.create', spaces[0], { name: `twin${CSI}` })

    const cases: Array<[string, () => unknown]> = [
      ['AMBIGUOUS', async () => await actions.channelSwitch(app, firstCharClash(channelIds))], // by id prefix (the reported bug)
      ['AMBIGUOUS', async () => await actions.channelSwitch(app, 'twin')], // by name as shown
      ['AMBIGUOUS', async () => await actions.spaceSwitch(app, 'dup')],
      ['AMBIGUOUS', async () => await actions.channelDelete(app, 'twin')],
      ['NOT_FOUND', async () => await actions.channelSwitch(app, `${CSI}nope${OSC}${C1}`)],
      ['NOT_FOUND', async () => await actions.spaceSwitch(app, `nope${C1}${OSC}`)],
      ['NOT_FOUND', async () => await memberActions.removeUser(app, 'member.kick', `${OSC}somebody${C1}`)]
    ]
    for (const [code, run] of cases) {
      const e = await errorOf(run)
      expect(e.code).toBe(code)
      expect(e.message).not.toMatch(UNSAFE)
      expect(e.message).not.toContain('pwned')
    }
    const ambiguous = await errorOf(async () => await actions.channelSwitch(app, 'twin'))
    expect(ambiguous.message).toContain('"twin"')

    // ... and through execute (what line mode, --json and the ink UI show)
    const client = { switchChannel: async (q: string) => await actions.channelSwitch(app, q) } as unknown as SpaceClient
    const res = await execute(client, `channel ${firstCharClash(channelIds) as string}`)
    expect(res?.ok).toBe(false)
    expect(JSON.stringify(res)).not.toMatch(/\\u001b|\\u0007/)
    expect(JSON.stringify(res)).not.toMatch(UNSAFE)
  })

  it('a user is found by the display name as shown (sanitised)', async () => {
    const { app, r } = await fakeApp()
    const op = await r.author('space.create', null, { name: 'S', nonce: Replica.nonce(), public: false })
    app.context = { spaceId: op.spaceId, channelId: op.spaceId }
    await r.author('profile.set', op.spaceId, { name: `${OSC}me${CSI}` })
    // "me" resolves to this user (refused: one leaves with `leave`), not NOT_FOUND
    expect((await errorOf(async () => await memberActions.removeUser(app, 'member.kick', 'me'))).message).toMatch(/use `leave`/)
  })

  it('toErrorInfo sanitises any error message (the defence of every output boundary)', () => {
    const info = toErrorInfo(new Error(`boom ${OSC}${CSI}${C1}\nsecond`))
    expect(info).toEqual({ code: 'INTERNAL', message: 'boom  second' })
  })
})

const fake = (text: string, name = 'bob'): MessageView => ({
  id: 'abcdefgh12345678', position: 'p1', spaceId: 's', channelId: 'c', author: { userId: 'u', name }, text, ts: Date.UTC(2026, 0, 1, 9, 30), edited: false, deleted: false, replyTo: null, reactions: [], locked: false
})
const HEADER = /^\[\d\d:\d\d\]/

/** Line mode over a fake App that emits `events` and then reads `input`. */
async function lineModeOutput (json: boolean, emitEvents: (app: EventEmitter) => void, input = ''): Promise<string[]> {
  const app = new EventEmitter()
  const out: string[] = []
  const stdin = new PassThrough()
  const done = runLineMode(app as unknown as SpaceClient, { json, input: stdin, write: (l) => out.push(l) })
  emitEvents(app)
  stdin.end(input)
  await done
  return out.flatMap(l => l.split('\n'))
}

describe('multi-line peer text', () => {
  const forged = `hi\n[12:00] alice: fake\r[12:01] alice: also fake\u2028[12:02] carol: and this${OSC}`

  it('formatMessage indents every continuation line, so none looks like a header', () => {
    const lines = formatMessage(fake(forged)).split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^\[\d\d:\d\d\] bob: hi$/)
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {4}\| \[12:0\d\] /)
    const edit = formatEvent('message:edit', { spaceId: 's', messageId: 'abcdefgh', text: 'x\n[12:00] alice: fake', author: { userId: 'u', name: 'bob' } }).split('\n')
    expect(edit[1]).toBe('    | [12:00] alice: fake')
  })

  it('line mode prints a forged header only indented, and no escape sequence', async () => {
    const lines = await lineModeOutput(false, (app) => {
      app.emit('message', fake(forged))
      app.emit('message:edit', { spaceId: 's', messageId: 'abcdefgh', text: 'edited\n[12:00] alice: fake', author: { userId: 'u', name: 'bob' } })
    })
    expect(lines.filter(l => HEADER.test(l))).toHaveLength(1)
    for (const l of lines) {
      expect(l).not.toMatch(UNSAFE)
      expect(l.startsWith('[') || l.startsWith('* ') || l.startsWith('    | ')).toBe(true)
    }
    const json = await lineModeOutput(true, (app) => { app.emit('message', fake(`x\u009b31my\u202e`)) })
    expect(json).toHaveLength(1)
    expect(json[0]).not.toMatch(UNSAFE)
    expect(JSON.parse(json[0]).data.text).toBe('x\u009b31my\u202e') // same JSON value, escaped on the wire
  })

  it('the UI pane shows one header and indented continuation rows; other channels stay out of it', async () => {
    const client = Object.assign(new EventEmitter(), {
      context: () => ({ spaceId: 's', channelId: 'c', spaceName: 'Evil', channelName: 'general' }),
      identity: () => ({ userId: 'me', name: 'me', peerId: 'p' }),
      spaces: () => [],
      channels: () => [{ channelId: 'c', name: 'general', unread: 0, mentions: 0, lastRead: null }],
      messages: async () => ({ spaceId: 's', channelId: 'c', messages: [], more: false }),
      members: () => [],
      away: () => ({ channels: [] }),
      markRead: async () => {},
      status: () => ({ name: 'me', peers: 0, relays: { known: 0, connected: 0 }, dht: 0, syncing: null, words: 'offline' })
    }) as unknown as SpaceClient
    const model = new ViewModel(client, {})
    model.resize(100, 30)
    await model.start()
    const item = (channelId: string): MessageItem => ({ ...fake(forged), spaceId: 's', channelId, own: false, mention: false, action: false, role: null, quote: null, delivery: null })
    client.emit('message', item('c'))
    client.emit('message', { ...item('elsewhere'), id: 'zzzzzzzz' })
    model.notice(`error NOT_FOUND: ${OSC}x${C1}`, 'error')
    const rows = model.frame().pane.map(rowText)
    expect(rows.filter(t => /^\d\d:\d\d /.test(t))).toHaveLength(1)
    for (const t of rows) {
      expect(t).not.toMatch(UNSAFE)
      expect(t).not.toContain('pwned')
    }
    // continuation rows are indented: no row but the header starts at column 0 with a time
    expect(rows.some(t => t.startsWith('      [12:00] alice: fake'))).toBe(true)
    expect(rows.join('\n')).not.toContain('zzzzzz')
  })
})
