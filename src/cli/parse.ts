/**
 * Splitting a command line into words: whitespace separates words; "double" and 'single' quotes group
 * words; inside double quotes a backslash escapes the next character.
 */
import { BadArgumentError } from '../errors.js'

/**
 * Splits `line` into words.
 * @throws BadArgumentError on an unclosed quote
 */
export function splitWords (line: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quote != null) {
      if (ch === quote) quote = null
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]
      else cur += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += ch
      inWord = true
    }
  }
  if (quote != null) throw new BadArgumentError(`unclosed ${quote} quote`)
  if (inWord) words.push(cur)
  return words
}

/** Levenshtein edit distance (for "did you mean" suggestions). */
export function editDistance (a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]
}
