/**
 * The full-screen UI's state against a fake SpaceClient: what a typed line does, what the pane,
 * the sidebar and the status line show, and how keys move between channels and through history.
 * Keys are fed as Node's readline decodes them (emitKeypressEvents).
 */
import { PassThrough } from 'node:stream'
import { emitKeypressEvents } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { ViewModel } from '../../../src/ui/view-model.js'
import { rowText } from '../../../src/ui/layout.js'
import type { MessageItem } from '../../../src/client/space-client.js'
import { FakeClient, IDS } from '../../helpers/fake-client.js'

/** Feeds raw terminal input to the model, key by key, as the real UI does. */
function typer (model: ViewModel): (raw: string) => void {
  const input = new PassThrough()
  emitKeypressEvents(input)
  input.on('keypress', (str, key) => { model.key(str, key) })
  return (raw) => { input.write(raw) }
}

/** Resolves once the model's queue of submitted lines has run (each submit goes through it). */
async function settle (model: ViewModel): Promise<void> {
  await (model as unknown as { busy: Promise<void> }).busy
  await new Promise(resolve => setImmediate(resolve))
}

async function setup (cols = 120, rows = 30): Promise<{ client: FakeClient, model: ViewModel, type: (raw: string) => void, pane: () => string[] }> {
  const client = new FakeClient()
  const model = new ViewModel(client, {})
  model.resize(cols, rows)
  await model.start()
  return { client, model, type: typer(model), pane: () => model.frame().pane.map(rowText) }
}

function item (over: Partial<MessageItem> & { id: string, text: string }): MessageItem {
  return {
    position: `9${over.id}`, spaceId: IDS.testSpace, channelId: IDS.general, author: { userId: IDS.bob, name: 'Bob O' }, ts: Date.now(),
    edited: false, deleted: false, replyTo: null, reactions: [], locked: false, own: false, mention: false, action: false, role: 'member', quote: null, delivery: null, ...over
  }
}

describe('input model', () => {
  it('a line is a message unless it starts with /: ordinary sentences that start with a command word are sent', async () => {
    const { client, model, type } = await setup()
    for (const line of ['leave it to me, I will do it', 'quit smoking, they said', 'help me understand this', 'channels are confusing']) type(`${line}\r`)
    await settle(model)
    expect(client.callsOf('send')).toEqual([['leave it to me, I will do it'], ['quit smoking, they said'], ['help me understand this'], ['channels are confusing']])
    expect(client.callsOf('leave')).toEqual([])
  })

  it('//text sends /text; a command echoes first, then its result', async () => {
    const { client, model, type, pane } = await setup()
    type('//shrug\r')
    type('/whoami\r')
    await settle(model)
    expect(client.callsOf('send')).toEqual([['/shrug']])
    const rows = pane()
    const echo = rows.findIndex(r => r.includes('> /whoami'))
    const result = rows.findIndex(r => r.includes(`user id: ${IDS.alice}`))
    expect(echo).toBeGreaterThanOrEqual(0)
    expect(result).toBeGreaterThan(echo)
  })

  it('/leave asks y/N and only y leaves; an unknown command says so and suggests a close one', async () => {
    const { client, model, type, pane } = await setup()
    type('/leave\r')
    expect(model.frame().status.hint).toMatch(/leave "Test Space"\? \[y\/N\]/)
    type('n')
    await settle(model)
    expect(client.callsOf('leave')).toEqual([])
    type('/leave\ry')
    await settle(model)
    expect(client.callsOf('leave')).toEqual([[]])
    type('/sned hi\r')
    await settle(model)
    expect(pane().join('\n')).toContain('did you mean `/send`?')
  })

  it('a failed message goes back into the input (nothing typed is lost)', async () => {
    const { client, model, type } = await setup()
    client.fail('send', new (await import('../../../src/errors.js')).PermissionError('FORBIDDEN', 'forbidden', 'not allowed'))
    type("it's important\r")
    await settle(model)
    expect(model.editor.text).toBe("it's important")
  })

  it('over 4,000 characters is refused with the count and kept for editing', async () => {
    const { client, model, type, pane } = await setup()
    type(`\u001b[200~${'x'.repeat(5000)}\u001b[201~\r`)
    await settle(model)
    expect(client.callsOf('send')).toEqual([])
    expect(model.editor.text).toHaveLength(5000)
    expect(pane().join('\n')).toContain('5000 characters; the limit is 4000')
  })
})

describe('the pane', () => {
  it('shows the current channel only; other channels count in the sidebar', async () => {
    const { client, model, pane } = await setup()
    client.emit('message', item({ id: 'x1elsewhere', text: 'in random', channelId: IDS.random }))
    client.emit('message', item({ id: 'x2here', text: 'in general' }))
    const text = pane().join('\n')
    expect(text).toContain('in general')
    expect(text).not.toContain('in random')
    // the client counts (the engine's read markers); the sidebar shows what it says, the channel on screen is read
    client.spaceList[0].channels[1].unread = 2
    client.emit('change')
    const side = model.frame().sidebar?.map(r => `${r.text} ${r.unread} ${r.mentions}`)
    expect(side).toContain('#random 2 0')
    expect(side).toContain('#general 0 0')
    expect(client.callsOf('markRead').length).toBeGreaterThan(0)
  })

  it('a multi-line message keeps every later row indented (no row a peer writes passes for a header)', async () => {
    const { client, pane } = await setup()
    client.emit('message', item({ id: 'x3multi', text: 'first\n12:00 alice: forged\rthird' }))
    const rows = pane()
    const i = rows.findIndex(r => r.includes('first'))
    expect(rows[i]).toMatch(/^\d\d:\d\d Bob O: first/)
    expect(rows[i + 1]).toBe('      12:00 alice: forged')
    expect(rows[i + 2].startsWith('      third')).toBe(true)
  })

  it('replies show the quoted author and snippet; /me is an action; own messages show delivery', async () => {
    const { client, pane } = await setup()
    client.emit('message', item({ id: 'x4me', text: 'waves', action: true }))
    client.emit('message', item({ id: 'x5own', text: 'mine', own: true, author: { userId: IDS.alice, name: 'alice' }, role: 'owner', delivery: { state: 'pending', peers: 0 } }))
    const text = pane().join('\n')
    expect(text).toContain('↪ Bob O: hi alice')
    expect(text).toMatch(/\d\d:\d\d \* Bob O waves/)
    expect(text).toMatch(/★alice: mine · not sent yet \(no peer\)/)
    client.emit('delivery', { spaceId: IDS.testSpace, messageId: 'x5own', status: { state: 'stored', peers: 2 } })
    expect(pane().join('\n')).toMatch(/★alice: mine ✓✓ stored by relay/)
  })

  it('a day separator carries the full date, and messages one time format', async () => {
    const { pane } = await setup()
    expect(pane().some(r => /─ \w+day \d{1,2} \w+ \d{4} ─/.test(r))).toBe(true)
  })

  it('below 60 columns there is no sidebar; the member list shows from 110 columns and toggles with Alt-M', async () => {
    const { model, type } = await setup(50, 20)
    expect(model.frame().sidebar).toBeNull()
    model.resize(120, 30)
    expect(model.frame().sidebar).not.toBeNull()
    expect(model.frame().members?.map(m => m.name)).toEqual(['alice', 'carol', 'Bob O'])
    type('\u001bm')
    expect(model.frame().members).toBeNull()
  })
})

describe('moving around', () => {
  it('Alt-2 switches to the second channel and fills the pane with its history', async () => {
    const { client, model, type } = await setup()
    type('\u001b2')
    await new Promise(resolve => setImmediate(resolve))
    await settle(model)
    expect(client.callsOf('switchChannel')).toEqual([[IDS.random]])
    expect(model.frame().status.where).toBe('Test Space #random')
  })

  it('Tab completes commands and member names', async () => {
    const { model, type } = await setup()
    type('/whoa\t')
    expect(model.editor.text).toBe('/whoami ')
    type('\u0015/spa\t')
    expect(model.editor.text).toBe('/space')
    expect(model.frame().status.hint).toBe('/space  /spaces')
    type('\u0015@Bo\t')
    expect(model.editor.text).toBe('@Bob O ')
  })

  it('PgUp scrolls back through the whole channel, loading older messages from the client', async () => {
    const { client, model, type, pane } = await setup(100, 12)
    client.items = Array.from({ length: 600 }, (_, i) => item({ id: `old${String(i).padStart(4, '0')}`, position: `1${String(i).padStart(6, '0')}`, text: `m${i}` }))
    await model.openChannel()
    expect(pane().join('\n')).toContain('m599')
    type('\u001b[1;5H')
    await settle(model)
    await new Promise(resolve => setImmediate(resolve))
    expect(pane().join('\n')).toContain('m0 ')
    expect(model.frame().status.scrolled).toBe(true)
    type('\u001b[1;5F')
    await new Promise(resolve => setImmediate(resolve))
    await settle(model)
    expect(pane().join('\n')).toContain('m599')
  })
})
