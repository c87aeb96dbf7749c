/**
 * `npm run relay`: starts the relay. `--json` prints `{"type":"ready","peerId","addrs"}` on stdout;
 * otherwise a banner with the multiaddr to give clients. SIGINT/SIGTERM stop it cleanly, as does
 * stdout or stderr closing; every stop is bounded (src/cli/lifecycle.ts).
 */
import '../src/polyfill.js'
import { Command, InvalidArgumentError, Option } from 'commander'
import { toErrorInfo } from '../src/errors.js'
import { sanitizeText } from '../src/core/sanitize.js'
import { installLifecycle } from '../src/cli/lifecycle.js'
import { RELAY_DEFAULTS, RelayServer } from './relay.js'

function int (min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`)
    return n
  }
}
const d = RELAY_DEFAULTS

const opts = new Command('spaceway-relay')
  .description('spaceway relay: circuit relay v2, DHT bootstrap peer, store-and-forward for spaces')
  .addOption(new Option('-p, --port <n>', 'TCP port').argParser(int(0, 65535)).default(d.port))
  .addOption(new Option('--host <addr>', 'interface to listen on').default(d.host))
  .addOption(new Option('-d, --data-dir <dir>', 'key and database').default('./relay-data'))
  .addOption(new Option('--metrics-port <n>', '/health and /metrics on 127.0.0.1').argParser(int(0, 65535)).default(d.metricsPort))
  .addOption(new Option('--max-reservations <n>', 'circuit relay reservations').argParser(int(1, 100_000)).default(d.maxReservations))
  .addOption(new Option('--max-reservations-per-ip <n>', 'circuit relay reservations per IP address (IPv6: per /64)').argParser(int(1, 100_000)).default(d.maxReservationsPerIp))
  .addOption(new Option('--circuit-duration <ms>', 'longest relayed connection, ms').argParser(int(1000, 86_400_000)).default(d.circuitDurationMs))
  .addOption(new Option('--circuit-data <bytes>', 'most data per relayed connection, bytes').argParser(int(1024, Number.MAX_SAFE_INTEGER)).default(d.circuitDataBytes))
  .addOption(new Option('--max-spaces <n>', 'spaces held').argParser(int(1, 1_000_000)).default(d.maxSpaces))
  .addOption(new Option('--max-ops-per-space <n>', 'ops stored per space').argParser(int(1, Number.MAX_SAFE_INTEGER)).default(d.limits.maxOpsPerSpace))
  .addOption(new Option('--max-bytes-per-space <n>', 'bytes stored per space').argParser(int(1, Number.MAX_SAFE_INTEGER)).default(d.limits.maxBytesPerSpace))
  .addOption(new Option('--max-op-rate <n>', 'live ops accepted per peer per second').argParser(int(1, 1_000_000)).default(d.maxOpRate))
  .addOption(new Option('--max-message-bytes <n>', 'largest sync message, bytes').argParser(int(1024, 64 * 1024 * 1024)).default(d.maxMessageBytes))
  .addOption(new Option('--max-spaces-per-peer <n>', 'spaces one peer may make the relay hold').argParser(int(1, 1_000_000)).default(d.maxSpacesPerPeer))
  .addOption(new Option('--store-rate <bytes>', 'bytes of ops stored per peer per second (burst: 256 s worth)').argParser(int(1024, Number.MAX_SAFE_INTEGER)).default(d.storeBytesPerSecond))
  .option('-b, --bootstrap <multiaddr>', 'another relay or peer to bootstrap from (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .option('--peer-relay <multiaddr>', 'another relay to back up and be backed up by: every space held is reconciled with it (repeatable; needs /p2p/<PeerId>)', (v: string, p: string[]) => [...p, v], [])
  .addOption(new Option('--peer-sync-interval <ms>', 'anti-entropy with peer relays, ms (jittered +-20%)').argParser(int(1000, 86_400_000)).default(d.peerSyncIntervalMs))
  .option('--no-discover-relays', 'do not find other relays to peer with through the DHT (nor announce this one)')
  .addOption(new Option('--max-discovered-relays <n>', 'relays found through the DHT peered with at once (--peer-relay ones on top)').argParser(int(0, 64)).default(d.maxDiscoveredRelays))
  .addOption(new Option('--discover-interval <ms>', 'relays lookup period in the DHT once some were found, ms (sooner while none)').argParser(int(1000, 86_400_000)).default(d.discoverIntervalMs))
  .option('--json', 'print the ready line as JSON', false)
  .option('--trust-loopback', 'exempt 127.0.0.0/8 from libp2p\'s connection limits (local test clusters only)', false)
  .parse(process.argv)
  .opts()

const lifecycle = installLifecycle({ label: 'internal error (the relay keeps running)', reportRejections: true })
let relay: RelayServer
try {
  relay = await RelayServer.start({
    dataDir: opts.dataDir,
    host: opts.host,
    port: opts.port,
    metricsPort: opts.metricsPort,
    maxReservations: opts.maxReservations,
    maxReservationsPerIp: opts.maxReservationsPerIp,
    circuitDurationMs: opts.circuitDuration,
    circuitDataBytes: opts.circuitData,
    maxSpaces: opts.maxSpaces,
    limits: { maxOpsPerSpace: opts.maxOpsPerSpace, maxBytesPerSpace: opts.maxBytesPerSpace },
    maxOpRate: opts.maxOpRate,
    maxMessageBytes: opts.maxMessageBytes,
    maxSpacesPerPeer: opts.maxSpacesPerPeer,
    storeBytesPerSecond: opts.storeRate,
    bootstrap: opts.bootstrap,
    peerRelays: opts.peerRelay,
    peerSyncIntervalMs: opts.peerSyncInterval,
    discoverRelays: opts.discoverRelays !== false,
    maxDiscoveredRelays: opts.maxDiscoveredRelays,
    discoverIntervalMs: opts.discoverInterval,
    trustLoopback: opts.trustLoopback === true
  })
} catch (err) {
  const { code, message } = toErrorInfo(err)
  lifecycle.report(`error ${sanitizeText(code)}: ${sanitizeText(message)}`)
  process.exit(1)
}
lifecycle.setStop(async () => { await relay.stop() })

const ready = { type: 'ready', peerId: relay.account.peerId, addrs: relay.addresses(), metricsPort: relay.metricsPort() }
if (opts.json === true) lifecycle.writeOut(JSON.stringify(ready) + '\n')
else {
  lifecycle.writeOut(`spaceway relay ${ready.peerId}\nclients connect with:\n${ready.addrs.map(a => `  spaceway --account you.key --relay ${a}`).join('\n')}\nhealth and metrics: http://127.0.0.1:${ready.metricsPort}/health, /metrics\n`)
}
