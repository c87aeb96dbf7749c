/**
 * What a command is (one per file in this folder) and how a typed line becomes its arguments.
 *
 * A command declares its arguments (`args`) and flags; `bind` turns the text after the command's
 * name into them, the same way for every command, in every mode (the interactive UI, line mode,
 * `--json`):
 * - `word`: one word; a word that starts with `"` or `'` runs to the matching quote (a name with
 *   spaces: `space "Test Space"`); a quote inside a word is an ordinary character (`don't`);
 * - `words`: the remaining words joined by one space (a name: `space create Book club`);
 * - `text`: the rest of the line verbatim, exactly as typed (messages: no quote parsing, so
 *   apostrophes, quotes, tabs, backslashes and line breaks arrive unchanged);
 * - flags (`--public`, `--max-uses 5`) anywhere before a `text` argument.
 * Missing, extra and unknown arguments fail with BadArgumentError naming the usage.
 */
import type { SpaceClient } from '../client/space-client.js'
import { BadArgumentError } from '../errors.js'
import { quoted } from '../core/sanitize.js'

/** One argument of a command. `optional` arguments may be left out (only at the end). */
export interface ArgSpec { name: string, kind: 'word' | 'words' | 'text', optional?: boolean }

/** A `--flag`: `value` true when it takes a value (`--max-uses 5`), false for a switch (`--public`). */
export interface FlagSpec { name: string, value: boolean }

/** Bound arguments: each argument and flag by name (a switch that is set is 'true'). */
export type Args = Record<string, string | undefined>

/**
 * A command. `run` does it through the client and returns the result's `data` (the scripting
 * contract, docs/cli-json.md); `format` turns that data into the text line mode and the UI show
 * ('' for nothing). `confirm`: in the interactive UI, ask y/N first when there is unsent input (or
 * always, for `leave` and `ban`: see ui/).
 */
export interface Command<R = unknown> {
  /** Canonical name: the command's words without arguments (what `--json` reports as `cmd`). */
  name: string
  aliases?: string[]
  usage: string
  help: string
  args: ArgSpec[]
  flags?: FlagSpec[]
  confirm?: 'always' | 'unsent'
  run: (client: SpaceClient, args: Args) => Promise<R> | R
  format: (data: R) => string
}

/** Helper that keeps `R` typed between `run` and `format` in each command file. */
export function defineCommand<R> (command: Command<R>): Command<R> {
  return command
}

interface Token { text: string, quoted: boolean }

/**
 * Reads words off a line, keeping the position, so a `text` argument can take the rest verbatim.
 * A word that starts with a quote runs to the matching quote (in double quotes a backslash escapes
 * the next character).
 */
class Words {
  pos = 0
  constructor (readonly text: string, readonly usage: string) {}

  private skipSpace (): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++
  }

  /** The next word without taking it (no quote handling: for flags), or null at the end. */
  peek (): string | null {
    this.skipSpace()
    return /^\S+/.exec(this.text.slice(this.pos))?.[0] ?? null
  }

  /** @throws BadArgumentError on an unclosed quote */
  next (): Token | null {
    this.skipSpace()
    const { text } = this
    if (this.pos >= text.length) return null
    const q = text[this.pos]
    if (q !== '"' && q !== "'") {
      const start = this.pos
      while (this.pos < text.length && !/\s/.test(text[this.pos])) this.pos++
      return { text: text.slice(start, this.pos), quoted: false }
    }
    let word = ''
    let i = this.pos + 1
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\' && q === '"' && i + 1 < text.length) i++
      word += text[i++]
    }
    if (i >= text.length) throw new BadArgumentError(`unclosed ${q} quote; usage: ${this.usage}`)
    this.pos = i + 1
    return { text: word, quoted: true }
  }

  /** The rest of the line verbatim (leading separators and trailing line breaks left out). */
  rest (): string {
    this.skipSpace()
    const out = this.text.slice(this.pos).replace(/[\r\n]+$/, '')
    this.pos = this.text.length
    return out
  }
}

/**
 * Binds the text after a command's name to its arguments and flags.
 * @throws BadArgumentError for a missing or extra argument, an unknown flag, a flag without its value, an unclosed quote
 */
export function bind (command: Command<any>, text: string): Args {
  const out: Args = {}
  const usage = command.usage
  const flags = command.flags ?? []
  const words = new Words(text, usage)
  /** Takes `t` as a flag if it is one. @throws BadArgumentError for an unknown flag */
  const flag = (t: Token): boolean => {
    if (t.quoted || !/^--[a-z]/.test(t.text)) return false
    const f = flags.find(f => `--${f.name}` === t.text)
    if (f == null) throw new BadArgumentError(`unknown option ${quoted(t.text)}; usage: ${usage}`)
    if (!f.value) { out[f.name] = 'true'; return true }
    const v = words.next()
    if (v == null) throw new BadArgumentError(`${t.text} needs a value; usage: ${usage}`)
    out[f.name] = v.text
    return true
  }
  const missing = (name: string): BadArgumentError => new BadArgumentError(`${name} is missing; usage: ${usage}`)
  for (const spec of command.args) {
    if (spec.kind === 'text') {
      for (let w = words.peek(); w != null && flags.some(f => `--${f.name}` === w); w = words.peek()) flag(words.next() as Token)
      const value = words.rest()
      if (value.trim() !== '') out[spec.name] = value
      else if (spec.optional !== true) throw missing(spec.name)
      continue
    }
    const got: string[] = []
    for (let t = words.next(); t != null; t = spec.kind === 'word' && got.length > 0 ? null : words.next()) {
      if (flag(t)) continue
      got.push(t.text)
      if (spec.kind === 'word') break
    }
    if (got.length > 0) out[spec.name] = got.join(' ')
    else if (spec.optional !== true) throw missing(spec.name)
  }
  // what is left: flags, or one argument too many
  for (let t = words.next(); t != null; t = words.next()) {
    if (!flag(t)) throw new BadArgumentError(`too many arguments (${quoted(t.text, 40)}); usage: ${usage}`)
  }
  return out
}
