import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/commands/index.js'
import { FakeClient } from '../../helpers/fake-client.js'

const USAGE = 'space create <name> [--public] [--history full|since-join]'

describe('space create', () => {
  it('takes the name from every word; --public anywhere', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'space create Book club --public')
    expect(fake.calls).toEqual([{ method: 'createSpace', args: ['Book club', { public: true, history: 'full' }] }])
    if (r?.ok !== true) throw new Error(JSON.stringify(r))
    const { spaceId } = r.data as { spaceId: string }
    expect(r.text).toBe(`created space "Book club"\nspace id: ${spaceId}\n(public: others join with  /join ${spaceId})`)
  })

  it('a private space with --history since-join before the name; a quoted name keeps its spaces', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, '/space create --history since-join "Secret  club"', 'ui')
    expect(fake.callsOf('createSpace')).toEqual([['Secret  club', { public: false, history: 'since-join' }]])
    expect(r).toMatchObject({ ok: true, cmd: 'space create', text: expect.stringMatching(/\n\(private, invite-only: `\/invite create` makes a token others join with\)$/) })
  })

  it('rejects bad flags and a missing name without calling the client', async () => {
    const fake = new FakeClient()
    const bad = async (line: string): Promise<string> => {
      const r = await execute(fake, line)
      if (r?.ok !== false || r.error.code !== 'BAD_ARGUMENT') throw new Error(`${line}: ${JSON.stringify(r)}`)
      return r.error.message
    }
    expect(await bad('space create x --bogus')).toBe(`unknown option "--bogus"; usage: ${USAGE}`)
    expect(await bad('space create --public')).toBe(`name is missing; usage: ${USAGE}`)
    expect(await bad('space create x --history')).toBe(`--history needs a value; usage: ${USAGE}`)
    expect(await bad('space create x --history forever')).toMatch(/^--history is full/)
    expect(await bad('space create x --public --history full')).toBe('--history is for private spaces; a public space is readable by anyone')
    expect(await bad('space create "unclosed')).toBe(`unclosed " quote; usage: ${USAGE}`)
    expect(fake.calls).toEqual([])
  })
})
