/**
 * `spaceway` entry point: parses flags (commander), starts the App, then runs the ink UI (stdin is a
 * TTY and no --json) or line mode. Start-up failures print `error CODE: message` on stderr and exit 1.
 * Stopping (end of input, `quit`, a signal, stdout or stderr closed) is bounded: see lifecycle.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { App } from '../app.js'
import { DEFAULT_RELAY } from '../app.js'
import { EngineClient } from '../client/engine-client.js'
import { toErrorInfo } from '../errors.js'
import { sanitizeText } from '../core/sanitize.js'
import { runLineMode } from './line-mode.js'
import { installLifecycle } from './lifecycle.js'

function parsePort (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535')
  return n
}

function parseMs (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 3_600_000) throw new InvalidArgumentError('a duration in ms from 1 to 3600000')
  return n
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

export interface CliOptions {
  account: string
  dataDir?: string
  port: number
  host: string
  mdns: boolean
  bootstrap: string[]
  json: boolean
  dhtTimeout: number
  dhtCheckInterval: number
  relay: string[]
  relayOnly: boolean
  trustLoopback?: boolean
  bell: boolean
  notify: boolean
}

/** Builds the commander program (exported for tests). */
export function program (): Command {
  return new Command('spaceway')
    .description('peer-to-peer terminal chat for spaces, channels and messages')
    .addOption(new Option('-a, --account <file>', 'key file (created on first use)').env('SPACEWAY_ACCOUNT').makeOptionMandatory())
    .addOption(new Option('-d, --data-dir <dir>', 'database directory (default: <key file>.data beside the key file)').env('SPACEWAY_DATA_DIR'))
    .addOption(new Option('-p, --port <number>', 'TCP port to listen on (0 = any free port)').argParser(parsePort).default(0).env('SPACEWAY_PORT'))
    .addOption(new Option('--host <address>', 'interface to listen on').default('0.0.0.0').env('SPACEWAY_HOST'))
    .option('--no-mdns', 'do not discover or announce peers on the LAN with mDNS')
    .option('-b, --bootstrap <multiaddr>', 'peer to dial at start (repeatable)', collect, [])
    .option('-r, --relay <multiaddr>', `relay to use (repeatable; default: ${DEFAULT_RELAY}, tried quietly)`, collect, [])
    .option('--relay-only', 'no public listener: reachable only through the relay circuit (needs --relay)', false)
    .addOption(new Option('--dht-timeout <ms>', 'bound of each DHT query in ms (adapts below it to observed latency)').argParser(parseMs).default(10_000))
    .addOption(new Option('--dht-check-interval <ms>', 'how often an empty routing table triggers a bootstrap, ms').argParser(parseMs).default(15_000).hideHelp())
    .option('--no-bell', 'no terminal bell when you are mentioned (interactive UI)')
    .option('--notify', 'a desktop notification when you are mentioned (interactive UI; needs notify-send or osascript)', false)
    .option('--json', 'line mode with one JSON object per stdout line (see docs/cli-json.md)', false)
    // for local test clusters (env SPACEWAY_TRUST_LOOPBACK=1): 127.0.0.0/8 skips libp2p's connection limits
    .addOption(new Option('--trust-loopback', 'exempt 127.0.0.0/8 from libp2p\'s connection limits').hideHelp())
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
}

/** In --relay-only mode, waits (bounded) for a reservation so `ready` can list a circuit address. */
async function waitForCircuit (app: App, ms: number): Promise<void> {
  if (app.addresses().length > 0) return
  await new Promise<void>(resolve => {
    const done = (): void => { if (app.addresses().length > 0 || timer == null) finish() }
    const finish = (): void => { clearTimeout(timer); app.off('change', done); resolve() }
    const timer = setTimeout(finish, ms)
    app.on('change', done)
  })
}

/**
 * Runs the CLI with `argv` (process.argv form). Exits the process when the user quits, input ends,
 * a signal arrives or the output closes (status 0; 1 when a stop had to be forced or start-up
 * failed).
 */
export async function main (argv: string[]): Promise<void> {
  let opts: CliOptions
  try {
    opts = program().parse(argv).opts<CliOptions>()
  } catch (err) {
    // --help and --version printed what was asked; anything else is a bad flag: one documented error line
    const e = err as { code?: string, message?: string, exitCode?: number }
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0)
    process.stderr.write(`error BAD_ARGUMENT: ${sanitizeText(String(e.message ?? err).replace(/^error: /, ''))} (spaceway --help lists the options)\n`)
    process.exit(1)
  }
  // What a peer sends must never end the REPL: a stray rejection deep in the network stack (Node's
  // default is to exit) goes to the debug log, an uncaught exception is reported once on stderr.
  const lifecycle = installLifecycle({ label: 'internal error (spaceway keeps running)' })
  const interactive = process.stdin.isTTY === true && !opts.json
  // the UI's modules load while the node starts (React and ink in production mode: the development
  // build checks every render, several times slower)
  if (interactive) process.env.NODE_ENV ??= 'production'
  const ui = interactive ? import('../ui/run.js') : null
  ui?.catch(() => {})
  let app: App
  try {
    app = await App.start({ account: opts.account, dataDir: opts.dataDir, host: opts.host, port: opts.port, mdns: opts.mdns, bootstrap: opts.bootstrap, dhtTimeoutMs: opts.dhtTimeout, dhtCheckMs: opts.dhtCheckInterval, relays: opts.relay.length > 0 ? opts.relay : undefined, relayOnly: opts.relayOnly, trustLoopback: opts.trustLoopback === true || process.env.SPACEWAY_TRUST_LOOPBACK === '1' })
  } catch (err) {
    const { code, message } = toErrorInfo(err)
    lifecycle.report(`error ${sanitizeText(code)}: ${sanitizeText(message)}`)
    process.exit(1)
  }
  const client = await EngineClient.create(app)
  // what we wrote just before quitting may have reached nobody yet: one bounded push, then stop
  let pushing = false
  lifecycle.setStop(async () => { client.stop(); pushing = true; await app.flush(); await app.stop() }, () => app.stopPhase ?? (pushing ? 'pushing messages not yet sent' : null))
  if (ui != null) {
    const { runUi } = await ui
    await runUi(client, { bell: opts.bell, notify: opts.notify })
  } else {
    if (opts.relayOnly) await waitForCircuit(app, 10_000)
    const ready = { type: 'ready', peerId: app.account.peerId, userId: app.account.userId, name: app.account.name, addrs: app.addresses() }
    if (opts.json) lifecycle.writeOut(JSON.stringify(ready) + '\n')
    else lifecycle.writeOut(`spaceway: ${sanitizeText(ready.name)} (${ready.peerId})\nlistening on:\n${ready.addrs.map(a => `  ${a}`).join('\n')}\n`)
    await runLineMode(client, { json: opts.json, write: (line) => { lifecycle.writeOut(line + '\n') } })
  }
  await lifecycle.shutdown(0, interactive ? 'quit' : 'end of input')
}
