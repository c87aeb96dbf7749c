/**
 * Dialing a multiaddr typed by a user or given as a flag, with a deadline and clear errors.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { BadArgumentError, DialFailedError, TimeoutError } from '../errors.js'
import type { SpacewayNode } from './node.js'
import { quoted, sanitizeText } from '../core/sanitize.js'

/** Deadline of a user-requested dial, ms. */
export const DIAL_TIMEOUT_MS = 10_000

/**
 * Parses a multiaddr.
 * @throws BadArgumentError naming the text if it is not a valid multiaddr
 */
export function parseMultiaddr (text: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(text)
  } catch (err) {
    throw new BadArgumentError(`not a valid multiaddr: ${quoted(text)} (${sanitizeText((err as Error).message)}); expected e.g. /ip4/127.0.0.1/tcp/9001/p2p/12D3Koo...`)
  }
  if (!text.startsWith('/')) throw new BadArgumentError(`not a valid multiaddr: ${quoted(text)}; expected e.g. /ip4/127.0.0.1/tcp/9001/p2p/12D3Koo...`)
  return ma
}

/** The PeerId in a multiaddr's /p2p/ component, if any. */
export function peerIdOf (ma: Multiaddr): string | undefined {
  return ma.getComponents().findLast(c => c.name === 'p2p')?.value
}

/**
 * Dials `text` and resolves with the remote PeerId once the connection is up.
 * @throws BadArgumentError (malformed, or our own address), TimeoutError (no answer within
 *   DIAL_TIMEOUT_MS), DialFailedError (refused, unreachable, wrong PeerId...)
 */
export async function dialAddress (node: SpacewayNode, text: string, signal?: AbortSignal): Promise<string> {
  const ma = parseMultiaddr(text)
  if (peerIdOf(ma) === node.peerId.toString()) throw new BadArgumentError('that is this node\'s own address')
  const deadline = AbortSignal.timeout(DIAL_TIMEOUT_MS)
  try {
    const conn = await node.dial(ma, { signal: signal != null ? AbortSignal.any([signal, deadline]) : deadline })
    return conn.remotePeer.toString()
  } catch (err) {
    // `text` may come from an invite token (peer-chosen): sanitised, like the library's detail.
    if (deadline.aborted) throw new TimeoutError(`no answer from ${sanitizeText(text)} within ${DIAL_TIMEOUT_MS / 1000} s`)
    const e = err as Error
    const detail = e instanceof AggregateError && e.errors.length > 0 ? (e.errors[0] as Error).message : e.message
    throw new DialFailedError(`cannot connect to ${sanitizeText(text)}: ${sanitizeText(detail)}`, { cause: err })
  }
}
