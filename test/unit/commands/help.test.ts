import { describe, expect, it } from 'vitest'
import { COMMANDS, execute } from '../../../src/commands/index.js'
import { FakeClient } from '../../helpers/fake-client.js'

describe('help', () => {
  it('lists every command with its usage and aliases, asking nothing of the client', async () => {
    const fake = new FakeClient()
    const r = await execute(fake, 'help')
    expect(r).toMatchObject({ ok: true, cmd: 'help' })
    if (r?.ok !== true) return
    const lines = r.text.split('\n')
    expect(lines).toHaveLength(COMMANDS.length)
    expect(lines).toContain(`  /${'send <text>'.padEnd(30)} post a message to the current channel (in the interactive UI, just type)`)
    expect(lines).toContain(`  /${'quit'.padEnd(30)} leave spaceway (also: /exit)`)
    expect(fake.calls).toEqual([])
  })

  it('explains one command by name, alias, with a slash or two words', async () => {
    const fake = new FakeClient()
    for (const [line, name] of [['help send', 'send'], ['help /SEND', 'send'], ['help exit', 'quit'], ['help channel list', 'channels'], ['help space create', 'space create']]) {
      const r = await execute(fake, line)
      expect(r, line).toMatchObject({ ok: true, data: { commands: [{ name }] } })
    }
  })

  it('an unknown command is BAD_ARGUMENT; flags are not taken', async () => {
    const fake = new FakeClient()
    expect(await execute(fake, 'help bogus')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'no command "bogus"; `/help` lists them' } })
    expect(await execute(fake, 'help --all')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'unknown option "--all"; usage: help [command]' } })
  })
})
