/**
 * Line mode (stdin not a TTY, or `--json`): one command per input line, run in input order. With
 * `--json` every stdout line is one JSON object (docs/cli-json.md); otherwise plain text. End of
 * input or `quit` shuts the node down cleanly and resolves.
 */
import { createInterface } from 'node:readline'
import type { App } from '../app.js'
import { execute } from './execute.js'
import { formatEvent, formatMessage, formatResult, keyNotices } from './format.js'
import { spaceView } from '../views.js'
import { sanitizeText, terminalSafeJson } from '../core/sanitize.js'

/** Events passed through as they are (`--json`) or as text. */
export const SPACE_EVENTS = ['message:edit', 'message:delete', 'message:react', 'member:join', 'member:leave', 'member:role', 'op:rejected'] as const

export interface LineModeOptions {
  json: boolean
  input?: NodeJS.ReadableStream
  /** Where results go (default process.stdout). */
  write?: (line: string) => void
}

/**
 * Runs line mode until end of input or `quit`. The output boundary: text lines pass `sanitizeText`
 * (line breaks kept: the formatters indent peer text's own), JSON lines escape every character a
 * terminal could act on (`terminalSafeJson`), whatever the layers below did.
 */
export async function runLineMode (app: App, options: LineModeOptions): Promise<void> {
  const out = options.write ?? ((line: string) => { process.stdout.write(line + '\n') })
  const json = options.json
  const write = (text: string): void => { out(sanitizeText(text, true)) }
  const emit = (obj: unknown): void => { out(terminalSafeJson(obj)) }

  app.on('message', (m) => {
    if (json) emit({ type: 'event', event: 'message', data: m })
    else write(formatMessage(m))
  })
  app.on('peer:connect', (peerId) => {
    if (json) emit({ type: 'event', event: 'peer:connect', data: { peerId } })
  })
  app.on('sync', (p) => {
    if (json) emit({ type: 'event', event: 'sync', data: p })
    else if (p.phase === 'done') write(`synced ${p.received} op(s) of space ${p.spaceId.slice(0, 8)} from ${p.peerId} in ${p.ms} ms`)
  })
  app.on('dm', (data) => {
    if (json) emit({ type: 'event', event: 'dm', data })
    else write(`${data.from.name} opened direct messages with you (space ${data.spaceId.slice(0, 8)})`)
  })
  const keyNotice = keyNotices()
  app.on('key', (data) => {
    if (json) emit({ type: 'event', event: 'key', data })
    else {
      const state = app.store.spaces.get(data.spaceId)
      const text = state == null ? '' : keyNotice(data.spaceId, spaceView(state).name)
      if (text !== '') write(text)
    }
  })
  app.on('key:forged', (data) => {
    if (json) emit({ type: 'event', event: 'key:forged', data })
    else write(`${data.from.name} sent you a key that does not open (op ${data.op.slice(0, 8)} in space ${data.spaceId.slice(0, 8)}); the space is being re-keyed`)
  })
  app.on('relay:refused', (data) => {
    if (json) emit({ type: 'event', event: 'relay:refused', data })
    else write(`relay ${data.peerId} refused to hold space ${data.spaceId.slice(0, 8)} (it is full): members who are offline cannot catch up through it`)
  })
  app.on('peer:disconnect', (peerId) => {
    if (json) emit({ type: 'event', event: 'peer:disconnect', data: { peerId } })
  })
  for (const event of SPACE_EVENTS) {
    app.on(event, (data: unknown) => {
      if (json) emit({ type: 'event', event, data })
      else if (event !== 'op:rejected') {
        const text = formatEvent(event, data as Record<string, unknown>)
        if (text !== '') write(text)
      }
    })
  }

  const rl = createInterface({ input: options.input ?? process.stdin, terminal: false, crlfDelay: Infinity })
  for await (const line of rl) {
    const result = await execute(app, line)
    if (result == null) continue
    if (json) emit(result)
    else if (result.ok) {
      const text = formatResult(result.cmd, result.data as Record<string, unknown>)
      if (text !== '') write(text)
    } else write(`error ${sanitizeText(result.error.code)}: ${sanitizeText(result.error.message)}`)
    if (result.cmd === 'quit' && result.ok) break
  }
  rl.close()
}
