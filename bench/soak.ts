/**
 * `npm run soak -- --minutes N [--seed S] [--send-interval ms] [--max-peers n] [--settle ms] [--no-rss-check]`:
 * the soak of issue 12 (bench/soak-run.ts). Prints progress, then the summary; exits 1 on any lost
 * message or RSS growth beyond the rule of bench/soak-rss.ts, 2 if the set-up failed. The figures are
 * also kept in bench/results/<time>-soak.json.
 */
import '../src/polyfill.js'
import { Command, InvalidArgumentError } from 'commander'
import { formatSoak, runSoak, SOAK_DEFAULTS } from './soak-run.js'
import { Recorder } from './results.js'

const num = (min: number) => (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`a number >= ${min}`)
  return n
}
const d = SOAK_DEFAULTS
const opts = new Command('soak')
  .option('--minutes <n>', 'length of the churn phase, minutes', num(0.1), d.minutes)
  .option('--seed <n>', 'seed of the churn schedule', num(0), d.seed)
  .option('--send-interval <ms>', 'each client sends one message per interval', num(100), d.sendIntervalMs)
  .option('--max-peers <n>', 'most clients at once (owner included)', num(3), d.maxPeers)
  .option('--settle <ms>', 'longest wait for convergence after the churn', num(1000), d.settleMs)
  .option('--rss-interval <ms>', 'RSS sampling period', num(500), d.rssIntervalMs)
  .option('--no-rss-check', 'report RSS without judging it')
  .parse(process.argv)
  .opts()

const line = (s: string): void => { process.stdout.write(s + '\n') }
const recorder = new Recorder('soak')
try {
  const r = await runSoak({ minutes: opts.minutes, seed: opts.seed, sendIntervalMs: opts.sendInterval, maxPeers: opts.maxPeers, settleMs: opts.settle, rssIntervalMs: opts.rssInterval, rssCheck: opts.rssCheck !== false, log: line })
  const text = formatSoak(r, { rssCheck: opts.rssCheck !== false })
  line(text)
  for (const l of text.split('\n')) if (!l.startsWith('  ') || l.includes('growth')) { const [k, ...v] = l.split(': '); recorder.add(k.trim(), v.join(': ')) }
  await recorder.save()
  process.exit(r.ok ? 0 : 1)
} catch (err) {
  process.stderr.write(`soak: set-up failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(2)
}
