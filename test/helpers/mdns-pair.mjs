// Runs inside a network namespace of its own (only `lo`): starts two spaceway processes with mDNS on
// and prints `connected` once one of them reports a peer:connect found by mDNS (bounded: 20 s).
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/spaceway.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'spaceway-mdns-'))
const procs = ['alice', 'bob'].map(name => spawn(process.execPath, [bin, '--json', '--host', '127.0.0.1', '--account', join(dir, `${name}.key`)], { stdio: ['pipe', 'pipe', 'inherit'] }))
let finished = false
const finish = (code, text) => {
  if (finished) return
  finished = true
  process.stdout.write(text + '\n')
  for (const p of procs) p.stdin.end()
  setTimeout(() => process.exit(code), 3000).unref()
  Promise.all(procs.map(p => new Promise(resolve => p.on('exit', resolve)))).then(() => process.exit(code))
}
const timer = setTimeout(() => finish(1, 'timeout'), 20_000)
for (const p of procs) {
  createInterface({ input: p.stdout }).on('line', (line) => {
    const msg = JSON.parse(line)
    if (msg.type === 'event' && msg.event === 'peer:connect') { clearTimeout(timer); finish(0, 'connected') }
  })
}
