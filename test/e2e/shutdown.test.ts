/**
 * End to end: a client or relay whose output goes away stops cleanly and quietly, and every stop is
 * bounded (a second signal, or the deadline, forces the exit). Real processes with piped stdio.
 */
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, e2eFixture, RelayProcess } from '../helpers/proc.js'
import { FORCED_EXIT_CODE, STOP_DEADLINE_MS } from '../../src/cli/lifecycle.js'

const { start, dir } = e2eFixture()
const relays: RelayProcess[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(relays.splice(0).map(async r => await r.stop('SIGKILL')))
})

/** Resolves with the exit code, or rejects after `ms` (the process is then killed). */
async function exitWithin (child: { exited: Promise<number | null>, child: { kill: (s: NodeJS.Signals) => boolean } }, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { child.child.kill('SIGKILL'); reject(new Error(`did not exit within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([child.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

async function tcpConnect (port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1')
  s.on('error', () => {})
  sockets.push(s)
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject) })
  return s
}

/** Resolves when `text` has appeared on the relay's stderr (bounded). */
async function stderrShows (r: RelayProcess, text: string, ms = 10_000): Promise<void> {
  if (r.stderr.includes(text)) return
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => { reject(new Error(`stderr never showed ${JSON.stringify(text)}: ${r.stderr.slice(-1000)}`)) }, ms)
    const on = (): void => { if (r.stderr.includes(text)) { clearTimeout(t); r.child.stderr.off('data', on); resolve() } }
    r.child.stderr.on('data', on)
  })
}

describe('closed output', () => {
  it('a client whose stdout and stderr pipes are destroyed stops and exits 0 at its next output', async () => {
    const a = start('alice')
    await a.ready()
    await a.ok('space create Pipes')
    a.child.stdout.destroy()
    a.child.stderr.destroy()
    // stdin stays open: only the closed output can end it (the old handler span on EPIPE instead)
    a.child.stdin.write('whoami\n')
    expect(await exitWithin(a, 8000)).toBe(0)
  })

  it('`spaceway --json | head -2` ends quietly, without a stack trace', async () => {
    const account = join(dir(), 'headless.key')
    // `exec 0<&-` drops the group's own copy of the pipe's read end: once head has exited, nobody reads
    const script = `"${process.execPath}" "${BIN}" --json --no-mdns --host 127.0.0.1 --account "${account}" | { head -2; exec 0<&-; echo HEAD_DONE >&2; }`
    const sh = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    const exited = new Promise<number | null>(resolve => sh.on('exit', resolve))
    const headDone = new Promise<void>(resolve => {
      sh.stderr.on('data', (d) => { stderr += String(d); if (stderr.includes('HEAD_DONE')) resolve() })
    })
    sh.stdout.on('data', (d) => { stdout += String(d) })
    sh.stdin.write('whoami\n')
    await headDone
    sh.stdin.write('whoami\n')
    expect(await exitWithin({ exited, child: sh }, 8000)).toBe(0)
    expect(stdout.trim().split('\n')).toHaveLength(2)
    expect(stderr).not.toMatch(/EPIPE|internal error|at /)
  })

  it('a relay whose stdout and stderr pipes are destroyed stops and exits 0 at its next (debug) output', async () => {
    const r = new RelayProcess(join(dir(), 'relay'), [], { DEBUG: 'libp2p:tcp:listener*' })
    relays.push(r)
    const ready = await r.ready
    r.child.stdout.destroy()
    r.child.stderr.destroy()
    // an inbound connection makes libp2p's listener log to the (closed) stderr
    await tcpConnect(Number(ready.addrs[0].split('/')[4]))
    expect(await exitWithin(r, 8000)).toBe(0)
  })
})

describe('bounded stop', () => {
  // A stalled HTTP request on the metrics port holds the relay's stop (http.Server#close waits for it).
  async function stuckRelay (): Promise<RelayProcess> {
    const r = new RelayProcess(join(dir(), 'relay'), [], { DEBUG: 'spaceway:lifecycle' })
    relays.push(r)
    const { metricsPort } = await r.ready
    const s = await tcpConnect(metricsPort)
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n')
    return r
  }

  it('a second SIGTERM during a stuck stop exits at once', async () => {
    const r = await stuckRelay()
    r.child.kill('SIGTERM')
    await stderrShows(r, 'stopping (SIGTERM)')
    const t0 = Date.now()
    r.child.kill('SIGTERM')
    expect(await exitWithin(r, STOP_DEADLINE_MS - 1000)).toBe(FORCED_EXIT_CODE)
    expect(Date.now() - t0).toBeLessThan(STOP_DEADLINE_MS - 1000)
  })

  it('a stuck stop ends at the deadline', async () => {
    const r = await stuckRelay()
    const t0 = Date.now()
    r.child.kill('SIGTERM')
    expect(await exitWithin(r, STOP_DEADLINE_MS + 4000)).toBe(FORCED_EXIT_CODE)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(STOP_DEADLINE_MS - 100)
  })
})
