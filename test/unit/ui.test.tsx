import React from 'react'
import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ChatView } from '../../src/ui/ChatApp.js'
import type { Line, Status } from '../../src/ui/controller.js'

const status: Status = { name: 'alice', peers: 2, routingTable: 2, space: 'Test Space', channel: 'general' }

const tick = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

describe('ink UI', () => {
  it('shows scrollback, the status line and what the user types; Enter submits', async () => {
    const submitted: string[] = []
    const lines: Line[] = [{ id: 0, kind: 'message', text: '[12:00] bob: hi alice' }]
    const history = ['older command']
    const ui = render(<ChatView lines={lines} status={status} onSubmit={(v) => submitted.push(v)} recall={() => history[0]} />)
    // wait (bounded) until ink listens to stdin, then type
    for (let i = 0; i < 100 && ui.stdin.listenerCount('readable') + ui.stdin.listenerCount('data') === 0; i++) await tick()
    ui.stdin.write('hello')
    for (let i = 0; i < 100 && !(ui.lastFrame() ?? '').includes('> hello'); i++) await tick()
    const frame = ui.lastFrame() ?? ''
    expect(frame).toContain('[12:00] bob: hi alice')
    expect(frame).toContain('alice | 2 peers | DHT 2 | ok | Test Space #general')
    expect(frame).toContain('> hello')
    ui.stdin.write('\r')
    await tick()
    expect(submitted).toEqual(['hello'])
    expect(ui.lastFrame()).not.toContain('> hello')
    ui.stdin.write('\u001b[A')
    for (let i = 0; i < 100 && !(ui.lastFrame() ?? '').includes('> older command'); i++) await tick()
    expect(ui.lastFrame()).toContain('> older command')
    ui.unmount()
  })

  it('text and Enter arriving in one chunk submit it; a pasted wrapped line stays one line', async () => {
    const submitted: string[] = []
    const ui = render(<ChatView lines={[]} status={status} onSubmit={(v) => submitted.push(v)} recall={() => ''} />)
    for (let i = 0; i < 100 && ui.stdin.listenerCount('readable') + ui.stdin.listenerCount('data') === 0; i++) await tick()
    ui.stdin.write('space create "Test Space"\r')
    for (let i = 0; i < 100 && submitted.length === 0; i++) await tick()
    expect(submitted).toEqual(['space create "Test Space"'])
    ui.stdin.write('join sw1zAAA\nBBB')
    for (let i = 0; i < 100 && !(ui.lastFrame() ?? '').includes('> join sw1zAAA BBB'); i++) await tick()
    expect(ui.lastFrame()).toContain('> join sw1zAAA BBB')
    expect(submitted).toHaveLength(1)
    ui.unmount()
  })

  it('says offline with no peers and no space', () => {
    const ui = render(<ChatView lines={[]} status={{ ...status, peers: 0, routingTable: 0, space: null, channel: null }} onSubmit={() => {}} recall={() => ''} />)
    expect(ui.lastFrame()).toContain('0 peers | DHT 0 | offline | no space')
    ui.unmount()
  })
})
