/**
 * Text from peers is untrusted: before it reaches a terminal, terminal control sequences (CSI, OSC,
 * DCS and other ESC sequences, C0/C1 controls, bidi overrides) are removed. Newlines and tabs are
 * kept only where `allowNewlines` says so. This module is the one sanitiser: views, events, error
 * messages and the output boundaries (line mode, the ink UI, start-up errors) all use it.
 */

// ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] ... BEL or ST), 2-char ESC.
const ESC_SEQUENCES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)|[@-Z\\-_]|.?)/g
// C1 CSI/OSC single-byte introducers and their payloads.
const C1_SEQUENCES = /[\u009b][0-?]*[ -/]*[@-~]|[\u009d\u0090\u0098\u009e\u009f][\s\S]*?(?:\u0007|\u009c|$)/g
// Remaining C0 controls (except \t \n), DEL, C1 controls, and Unicode bidi overrides/isolates.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/**
 * Removes terminal control sequences from `text`.
 * @param allowNewlines keep `\n` (message bodies); otherwise newlines and tabs become spaces (names).
 */
export function sanitizeText (text: string, allowNewlines = false): string {
  let out = text.replace(/\r\n?/g, '\n').replace(ESC_SEQUENCES, '').replace(C1_SEQUENCES, '').replace(CONTROLS, '')
  if (!allowNewlines) out = out.replace(/[\n\t]/g, ' ')
  return out
}

/**
 * A string someone else chose (a peer's name, or what the user typed, which may be pasted from a
 * peer) quoted for an error message: sanitised on one line, then JSON-quoted. At most `max`
 * characters of the sanitised text are kept (`...` marks a cut).
 */
export function quoted (text: string, max = 200): string {
  const clean = sanitizeText(text)
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}...` : clean)
}

// What JSON.stringify leaves raw but a terminal may act on: DEL, C1 controls, bidi overrides and
// isolates, and the Unicode line/paragraph separators.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * `JSON.stringify(value)` with every character a terminal could act on written as a `\uXXXX`
 * escape: the same JSON value, but the line printed holds no C0/C1 control, bidi override or line
 * separator. (JSON.stringify escapes only C0 controls; such characters can only occur inside
 * strings, where the escape is equivalent.)
 */
export function terminalSafeJson (value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
