/** `invite create [--max-uses N] [--expires 24h|7d|never]`. */
import { defineCommand } from './command.js'
import { dateTime } from '../format/message.js'
import { BadArgumentError } from '../errors.js'
import { quoted } from '../core/sanitize.js'

/** Default lifetime of an invite, ms (7 days, as Discord's default). */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600_000

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }

/**
 * Parses a duration such as `30m`, `24h`, `7d` into ms; `never` gives 0.
 * @throws BadArgumentError for anything else
 */
export function parseDuration (text: string): number {
  if (text === 'never') return 0
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim())
  if (m == null) throw new BadArgumentError(`${quoted(text)} is not a duration; use e.g. 30m, 24h, 7d or never`)
  const ms = Number(m[1]) * UNITS[m[2]]
  if (ms <= 0) throw new BadArgumentError('the duration must be positive')
  return ms
}

export default defineCommand({
  name: 'invite create',
  usage: 'invite create [--max-uses N] [--expires 24h|7d|never]',
  help: 'make an invite token for the current space (default: unlimited uses, expires in 7d)',
  args: [],
  flags: [{ name: 'max-uses', value: true }, { name: 'expires', value: true }],
  run: async (client, a) => {
    const maxUses = a['max-uses'] == null ? 0 : Number(a['max-uses'])
    if (a['max-uses'] != null && (!Number.isInteger(maxUses) || maxUses < 1)) throw new BadArgumentError('--max-uses must be a whole number, 1 or more')
    return await client.createInvite({ maxUses, ttlMs: a.expires == null ? DEFAULT_INVITE_TTL_MS : parseDuration(a.expires) })
  },
  // the token on a line of its own, never broken: a terminal wraps it softly and copies it whole
  format: (d) => `invite ${d.inviteId.slice(0, 8)} (${d.maxUses == null ? 'unlimited uses' : `${d.maxUses} use(s)`}, ${d.expiresAt == null ? 'never expires' : `expires ${dateTime(d.expiresAt)}`}); others join with:\n/join ${d.invite}`
})
