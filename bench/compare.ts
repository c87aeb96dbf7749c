/** `npm run bench:compare -- <record a> <record b>`: two bench runs' figures side by side (bench/results.ts). */
import { compare } from './results.js'

const [a, b] = process.argv.slice(2)
if (a == null || b == null) {
  process.stderr.write('usage: npm run bench:compare -- <bench/results/a.json> <bench/results/b.json>\n')
  process.exit(1)
}
process.stdout.write(await compare(a, b) + '\n')
