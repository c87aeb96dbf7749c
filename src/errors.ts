/**
 * Every error the user can see is a `SpacewayError` with a stable UPPER_SNAKE `code`.
 * The CLI prints `code: message`; `--json` carries `{code, message}` (docs/cli-json.md).
 * Callers match on `.code` (or `.name`), never on message text.
 */
import { sanitizeText } from './core/sanitize.js'

export class SpacewayError extends Error {
  static name = 'SpacewayError'
  /** Stable machine-readable code, e.g. `NOT_FOUND`. */
  readonly code: string

  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = (this.constructor as { name: string }).name
  }
}

/** A command name that does not exist. `suggestion` is the nearest known command, if any. */
export class UnknownCommandError extends SpacewayError {
  static name = 'UnknownCommandError'
  constructor (message: string) { super('UNKNOWN_COMMAND', message) }
}

/** A missing or malformed argument (bad multiaddr, bad number, missing text...). */
export class BadArgumentError extends SpacewayError {
  static name = 'BadArgumentError'
  constructor (message: string) { super('BAD_ARGUMENT', message) }
}

/** No space, channel, message or peer matches what was asked for. */
export class NotFoundError extends SpacewayError {
  static name = 'NotFoundError'
  constructor (message: string) { super('NOT_FOUND', message) }
}

/** A prefix or name matches more than one thing. */
export class AmbiguousError extends SpacewayError {
  static name = 'AmbiguousError'
  constructor (message: string) { super('AMBIGUOUS', message) }
}

/** A command that needs a current space (or channel) was run without one. */
export class NoCurrentSpaceError extends SpacewayError {
  static name = 'NoCurrentSpaceError'
  constructor (message = 'no current space: run `space create <name>`, `join <space id>` or `space <name>` first') {
    super('NO_CURRENT_SPACE', message)
  }
}

/** A dial failed: unreachable, refused, wrong PeerId, or no transport for the address. */
export class DialFailedError extends SpacewayError {
  static name = 'DialFailedError'
  constructor (message: string, options?: { cause?: unknown }) { super('DIAL_FAILED', message, options) }
}

/** A network operation ran past its deadline. */
export class TimeoutError extends SpacewayError {
  static name = 'TimeoutError'
  constructor (message: string) { super('TIMEOUT', message) }
}

/** The key file exists but cannot be read or parsed. The file is never overwritten. */
export class AccountFileError extends SpacewayError {
  static name = 'AccountFileError'
  constructor (message: string, options?: { cause?: unknown }) { super('BAD_ACCOUNT_FILE', message, options) }
}

/** The data dir's LevelDB is locked by another running process. */
export class DataDirLockedError extends SpacewayError {
  static name = 'DataDirLockedError'
  constructor (message: string, options?: { cause?: unknown }) { super('DATA_DIR_LOCKED', message, options) }
}

/** A DHT operation found the routing table empty, and a bootstrap did not fill it. */
export class NoDhtPeersError extends SpacewayError {
  static name = 'NoDhtPeersError'
  constructor (message: string) { super('NO_DHT_PEERS', message) }
}

/** The TCP port (or host) could not be bound. */
export class ListenError extends SpacewayError {
  static name = 'ListenError'
  constructor (message: string, options?: { cause?: unknown }) { super('LISTEN_FAILED', message, options) }
}

/**
 * An op failed validation. `reason` is a stable lower_snake tag (`bad_signature`, `too_large`, ...)
 * that debug logs and rejection counters carry.
 */
export class InvalidOpError extends SpacewayError {
  static name = 'InvalidOpError'
  readonly reason: string
  constructor (reason: string, message: string) {
    super('INVALID_OP', message)
    this.reason = reason
  }
}

/**
 * The space's rules do not allow what was asked (by this user, or an op from a peer). `code` is
 * one of FORBIDDEN, BANNED, INVITE_EXHAUSTED, INVITE_EXPIRED, INVITE_REVOKED, NOT_FOUND,
 * BAD_ARGUMENT (see `REASON_CODES` in core/auth.ts); `reason` is the op rejection reason.
 */
export class PermissionError extends SpacewayError {
  static name = 'PermissionError'
  readonly reason: string
  constructor (code: string, reason: string, message: string) {
    super(code, message)
    this.reason = reason
  }
}

/** A sync peer sent bytes that break the sync protocol; that stream is reset, nothing else. */
export class SyncProtocolError extends SpacewayError {
  static name = 'SyncProtocolError'
  constructor (message: string) { super('SYNC_PROTOCOL', message) }
}

/**
 * Turns anything thrown into a `{code, message}` pair for display. Unknown errors get `INTERNAL`.
 * The message is sanitised on one line (`sanitizeText`): error messages may quote peer-chosen names,
 * and every display path (line mode, `--json`, the ink UI, start-up errors) goes through here.
 */
export function toErrorInfo (err: unknown): { code: string, message: string } {
  if (err instanceof SpacewayError) return { code: sanitizeText(err.code), message: sanitizeText(err.message) }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'INTERNAL', message: sanitizeText(message) }
}
