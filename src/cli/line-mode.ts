/**
 * Line mode (stdin not a TTY, or `--json`): one command per input line, run in input order. With
 * `--json` every stdout line is one JSON object (docs/cli-json.md); otherwise plain text. End of
 * input or `quit` resolves (the caller stops the client).
 */
import { createInterface } from 'node:readline'
import type { ClientEvents, SpaceClient } from '../client/space-client.js'
import { execute } from '../commands/index.js'
import { formatEvent } from '../format/events.js'
import { formatMessage } from '../format/message.js'
import { sanitizeText, terminalSafeJson } from '../core/sanitize.js'

/** Events passed through as they are (`--json`) or as text (space events, channel and name changes). */
export const SPACE_EVENTS = ['message:edit', 'message:delete', 'message:react', 'member:join', 'member:leave', 'member:role', 'member:name', 'channel:create', 'channel:rename', 'channel:delete', 'op:rejected'] as const

export interface LineModeOptions {
  json: boolean
  input?: NodeJS.ReadableStream
  /** Where results go (default process.stdout). */
  write?: (line: string) => void
}

/**
 * A notice that the keys of private space `name` arrived, at most once per space every 10 s (a
 * history brings several at once): a function of (spaceId, name) -> text or ''.
 */
export function keyNotices (): (spaceId: string, name: string) => string {
  const last = new Map<string, number>()
  return (spaceId, name) => {
    const now = Date.now()
    if ((last.get(spaceId) ?? 0) > now - 10_000) return ''
    last.set(spaceId, now)
    return `the key of "${name}" reached you: its messages read now`
  }
}

/**
 * Runs line mode until end of input or `quit`. The output boundary: text lines pass `sanitizeText`
 * (line breaks kept: the formatters indent peer text's own), JSON lines escape every character a
 * terminal could act on (`terminalSafeJson`), whatever the layers below did.
 */
export async function runLineMode (client: SpaceClient, options: LineModeOptions): Promise<void> {
  const out = options.write ?? ((line: string) => { process.stdout.write(line + '\n') })
  const json = options.json
  const write = (text: string): void => { out(sanitizeText(text, true)) }
  const emit = (obj: unknown): void => { out(terminalSafeJson(obj)) }
  const on = <K extends keyof ClientEvents & string>(event: K, text: (...data: ClientEvents[K]) => string): void => {
    (client.on as (e: string, l: (...d: unknown[]) => void) => void)(event, (...data: unknown[]) => {
      if (json) emit({ type: 'event', event, data: event.startsWith('peer:') ? { peerId: data[0] } : data[0] })
      else {
        const t = text(...(data as ClientEvents[K]))
        if (t !== '') write(t)
      }
    })
  }

  on('message', (m) => formatMessage(m))
  on('peer:connect', () => '')
  on('peer:disconnect', () => '')
  on('sync', (p) => p.phase === 'done' ? `synced ${p.received} op(s) of space ${p.spaceId.slice(0, 8)} from ${p.peerId} in ${p.ms} ms` : '')
  on('dm', (d) => `${d.from.name} opened direct messages with you (space ${d.spaceId.slice(0, 8)})`)
  const keyNotice = keyNotices()
  on('key', (d) => keyNotice(d.spaceId, d.name))
  on('key:forged', (d) => `${d.from.name} sent you a key that does not open (op ${d.op.slice(0, 8)} in space ${d.spaceId.slice(0, 8)}); the space is being re-keyed`)
  on('relay:refused', (d) => `relay ${d.peerId} refused to hold space ${d.spaceId.slice(0, 8)} (it is full): members who are offline cannot catch up through it`)
  for (const event of SPACE_EVENTS) on(event, (data: unknown) => event === 'op:rejected' ? '' : formatEvent(event, data as Record<string, unknown>))

  const rl = createInterface({ input: options.input ?? process.stdin, terminal: false, crlfDelay: Infinity })
  for await (const line of rl) {
    const result = await execute(client, line, 'line')
    if (result == null) continue
    if (json) {
      const { text: _text, ...record } = result as typeof result & { text?: string }
      emit(record)
    } else if (result.ok) {
      if (result.text !== '') write(result.text)
    } else write(`error ${sanitizeText(result.error.code)}: ${sanitizeText(result.error.message)}`)
    if (result.cmd === 'quit' && result.ok) break
  }
  rl.close()
}
