/**
 * Memory of a long-lived client under peer churn (issue 12's soak: client RSS must not grow): one
 * in-process App holds a public space; `cycles` short-lived `spaceway --json` processes (each a new
 * PeerId and user) connect to it, join, send one message and quit, `at` at a time. The App's heap
 * after a full GC, external and ArrayBuffer memory, and its peer store size are printed every 20
 * cycles, and the growth per churned peer at the end. `npm run bench -- churn` (by hand; 2-3 min).
 */
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { App } from '../src/app.js'
import { actions } from '../src/actions.js'
import { LineClient } from './line-client.js'

type Report = (name: string, value: string) => void

/** A full GC, also without --expose-gc. */
function fullGc (): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc(); gc()
}

export async function churnBench (dir: string, report: Report, options: { cycles?: number, at?: number } = {}): Promise<void> {
  const cycles = options.cycles ?? Number(process.env.CHURN_CYCLES ?? 160)
  const at = options.at ?? 4
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
  const a = await App.start({ account: join(dir, 'churn-a.key'), host: '127.0.0.1', port: 0, mdns: false, trustLoopback: true, relays: ['/ip4/127.0.0.1/tcp/1'] })
  try {
    const { spaceId } = await actions.spaceCreate(a, 'Churn', true)
    const samples: Array<{ cycle: number, heap: number, external: number, buffers: number }> = []
    for (let i = 0; i <= cycles; i += at) {
      if (i % 20 === 0) {
        fullGc()
        const m = process.memoryUsage()
        samples.push({ cycle: i, heap: m.heapUsed, external: m.external, buffers: m.arrayBuffers })
        process.stdout.write(`  cycle ${i}: heap ${(m.heapUsed / 1048576).toFixed(1)} MiB, external ${(m.external / 1048576).toFixed(1)} MiB, peer store ${(await a.node.peerStore.all()).length} peers\n`)
      }
      if (i >= cycles) break
      await Promise.all(Array.from({ length: at }, async (_, k) => {
        const b = new LineClient(['--account', join(dir, `churn-b${i + k}.key`), '--relay', '/ip4/127.0.0.1/tcp/1'])
        await b.ready
        await b.run(`connect ${a.addresses()[0]}`)
        await b.run(`join ${spaceId}`)
        await b.run(`send hello ${i + k}`)
        await b.stop()
      }))
    }
    // growth after the first 20 (module and JIT warm-up), per churned peer
    const first = samples[1]
    const last = samples[samples.length - 1]
    const peers = last.cycle - first.cycle
    report(`churn: long-lived client, growth per churned peer (${peers} peers, one message each)`, `heap ${kib((last.heap - first.heap) / peers)}, external ${kib((last.external - first.external) / peers)} (of which ArrayBuffers ${kib((last.buffers - first.buffers) / peers)})`)
  } finally {
    await a.stop()
  }
}
