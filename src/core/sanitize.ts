/**
 * Text from peers is untrusted: before it reaches a terminal, terminal control sequences (CSI, OSC,
 * DCS and other ESC sequences, C0/C1 controls, bidi overrides) are removed. Newlines and tabs are
 * kept only where `allowNewlines` says so.
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
