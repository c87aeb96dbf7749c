/** The ink view draws a frame: sidebar with counts, the pane, members, status line and input (ink-testing-library). */
import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { Screen } from '../../../src/ui/Screen.js'
import { ViewModel } from '../../../src/ui/view-model.js'
import { FakeClient } from '../../helpers/fake-client.js'

async function frameOf (cols: number, rows: number, setup?: (c: FakeClient, m: ViewModel) => void): Promise<string> {
  const client = new FakeClient()
  const model = new ViewModel(client, {})
  model.resize(cols, rows)
  await model.start()
  setup?.(client, model)
  const { lastFrame, unmount } = render(<Screen frame={model.frame()} />)
  const out = lastFrame() ?? ''
  unmount()
  return out
}

describe('Screen', () => {
  it('draws the sidebar with unread and mention counts, the pane, the member list, one status line and the input', async () => {
    const out = await frameOf(120, 20, (c) => { c.spaceList[0].channels[1].unread = 4; c.spaceList[1].channels[0].mentions = 2; c.emit('change') })
    const lines = out.split('\n')
    expect(lines).toHaveLength(20)
    expect(out).toMatch(/#random\s+4/)
    expect(out).toMatch(/Book club\s+/)
    expect(out).toMatch(/#general\s+@2/)
    expect(out).toContain('Members (3)')
    expect(out).toContain('★alice')
    expect(out).toContain('Bob O: hi alice')
    expect(lines.filter(l => l.includes('│ Test Space #general'))).toHaveLength(1)
    expect(lines[lines.length - 1]).toMatch(/^>/)
  })

  it('at 50 columns: no sidebar and no member list, still one status line', async () => {
    const out = await frameOf(50, 12)
    expect(out).not.toContain('Book club')
    expect(out).not.toContain('Members (')
    expect(out.split('\n').filter(l => l.includes('online, relay connected'))).toHaveLength(1)
  })
})
