/**
 * A record of every bench run: each figure printed is also kept, and at the end of the run written
 * to `bench/results/<ISO time>-<part>.json` (git-ignored) with the commit, Node version, machine and
 * load. Comparing two runs (`npm run bench:compare -- a.json b.json`) shows a regression such as
 * the relay RSS one of issue 12 as a changed figure.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One figure: its name as printed and its value text. */
export interface Figure { name: string, value: string }

/** A run's record. `load`: the 1-minute load average at the start and end. */
export interface RunRecord { part: string, startedAt: string, commit: string | null, node: string, cpus: number, memoryGiB: number, load: [number, number], figures: Figure[] }

/** Where records go: bench/results beside the sources (not dist/). */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results')

/** Collects the figures of one run. */
export class Recorder {
  private readonly record: RunRecord

  constructor (part: string) {
    let commit: string | null = null
    try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() } catch {}
    this.record = { part, startedAt: new Date().toISOString(), commit, node: process.version, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), load: [loadavg()[0], 0], figures: [] }
  }

  add (name: string, value: string): void {
    this.record.figures.push({ name, value })
  }

  /** Writes the record; returns its path. Failures are reported, not thrown (the figures were printed). */
  async save (dir = RESULTS_DIR): Promise<string | null> {
    this.record.load[1] = loadavg()[0]
    const file = join(dir, `${this.record.startedAt.replace(/[:.]/g, '-')}-${this.record.part}.json`)
    try {
      await mkdir(dir, { recursive: true })
      await writeFile(file, JSON.stringify(this.record, null, 2) + '\n')
      return file
    } catch (err) {
      process.stderr.write(`bench: could not save the record: ${(err as Error).message}\n`)
      return null
    }
  }
}

/** The figures of two records side by side (names in the order of the first, then any new ones). */
export async function compare (a: string, b: string): Promise<string> {
  const [ra, rb] = await Promise.all([a, b].map(async f => JSON.parse(await readFile(f, 'utf8')) as RunRecord))
  const values = new Map(rb.figures.map(f => [f.name, f.value]))
  const names = [...new Set([...ra.figures.map(f => f.name), ...rb.figures.map(f => f.name)])]
  const left = new Map(ra.figures.map(f => [f.name, f.value]))
  const lines = [`${''.padEnd(48)} ${`${ra.commit ?? '?'} ${ra.node}`.padEnd(28)} ${rb.commit ?? '?'} ${rb.node}`]
  for (const n of names) lines.push(`${n.padEnd(48)} ${(left.get(n) ?? '-').padEnd(28)} ${values.get(n) ?? '-'}`)
  return lines.join('\n')
}
