/**
 * End to end: restarts, start-up failures and bad input, with real processes.
 */
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { BIN, e2eFixture } from '../helpers/proc.js'

const { start, dir: currentDir } = e2eFixture()
function runOnce (args: string[], input = ''): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--json', '--no-mdns', '--host', '127.0.0.1', ...args], { input, encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('restart', () => {
  it('keeps the PeerId, spaces, channels, messages and the current context', async () => {
    const a = start('alice')
    const first = await a.ready()
    const { spaceId } = await a.ok('space create "Keep Me"')
    await a.ok('channel create random')
    await a.ok('send still here')
    expect(await a.quit()).toBe(0)

    const again = start('alice')
    const second = await again.ready()
    expect(second.peerId).toBe(first.peerId)
    expect(second.userId).toBe(first.userId)
    expect((await again.ok('spaces')).spaces).toEqual([{ spaceId, name: 'Keep Me', role: 'owner', public: false, dm: false, unread: 0, mentions: 0 }])
    expect((await again.ok('context')).spaceId).toBe(spaceId)
    expect((await again.ok('messages')).messages.map((m: any) => m.text)).toEqual(['still here'])
    expect((await again.ok('channels')).channels.map((c: any) => c.name)).toEqual(['general', 'random'])
  })
})

describe('bad input', () => {
  it('gets stable error codes and the REPL stays usable', async () => {
    const a = start('alice')
    await a.ready()
    const code = async (line: string): Promise<string> => (await a.cmd(line)).error?.code ?? 'OK'
    expect(await code('frobnicate')).toBe('UNKNOWN_COMMAND')
    expect((await a.cmd('conect x')).error.message).toMatch(/did you mean `connect`/)
    expect(await code('connect')).toBe('BAD_ARGUMENT')
    expect(await code('connect /ip4/999.1.1.1/tcp/1')).toBe('BAD_ARGUMENT')
    expect(await code('connect not-a-multiaddr')).toBe('BAD_ARGUMENT')
    expect(await code('connect /ip4/127.0.0.1/tcp/1/p2p/12D3KooWDCLo5ZFnqobWmi5bggLtfnBtcYh2PyA4RdUF9dWhYgwA')).toBe('DIAL_FAILED')
    expect(await code('send hello')).toBe('NO_CURRENT_SPACE')
    expect(await code('channel create x')).toBe('NO_CURRENT_SPACE')
    expect(await code('space nope')).toBe('NOT_FOUND')
    expect(await code('join abc')).toBe('BAD_ARGUMENT')
    expect(await code('join aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe('NOT_FOUND')
    expect(await code('space create')).toBe('BAD_ARGUMENT')
    expect(await code('space "unclosed')).toBe('BAD_ARGUMENT')
    await a.ok('space create Dup')
    await a.ok('space create Dup')
    expect(await code('space Dup')).toBe('AMBIGUOUS')
    expect(await code('messages lots')).toBe('BAD_ARGUMENT')
    expect(await code(`send ${'x'.repeat(4001)}`)).toBe('BAD_ARGUMENT')
    // message text is verbatim: quotes and apostrophes arrive as typed; escape sequences never reach a screen
    await a.ok('send "\u001b[31mstill\u001b[0m works", it\'s "quoted"\there')
    expect((await a.ok('messages 1')).messages[0].text).toBe('"still works", it\'s "quoted"\there')
  })

  it('a port in use is a clear error and exit status 1', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const r = runOnce(['--account', join(currentDir(), 'a.key'), '--port', String(port)])
    server.close()
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/LISTEN_FAILED: port in use/)
    expect(r.stdout).toBe('')
  })

  it('a corrupt key file is named in the error and left untouched', async () => {
    const file = join(currentDir(), 'broken.key')
    await writeFile(file, 'this is not a key')
    const r = runOnce(['--account', file])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('BAD_ACCOUNT_FILE')
    expect(r.stderr).toContain(file)
    expect(await readFile(file, 'utf8')).toBe('this is not a key')
  })

  it('a data dir already open by another spaceway is a clear error', async () => {
    const a = start('alice')
    await a.ready()
    const r = runOnce(['--account', join(currentDir(), 'alice.key')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/DATA_DIR_LOCKED/)
    expect((await a.cmd('whoami')).ok).toBe(true)
  })

  it('end of input exits 0 after finishing the command in progress', async () => {
    const r = runOnce(['--account', join(currentDir(), 'bob.key')], 'space create Late\nsend bye\n')
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l))
    expect(lines.map(l => l.type)).toEqual(['ready', 'result', 'result'])
    expect(lines.every(l => l.type === 'ready' || l.ok === true)).toBe(true)
  })
})
