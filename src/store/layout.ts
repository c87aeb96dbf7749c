/**
 * The storage key layout, in one place. One LevelDB database per data dir (via `level`), with
 * sublevels:
 *   ops   <opId>                               -> signed op bytes
 *   idx   the views of every space, derived from the ops (rebuilt when SCHEMA changes):
 *         keys in `IDX` below (core/space-state.ts writes them, store/op-store.ts reads them)
 *   opix  the op table of every space (store/op-index.ts), in chunks: keys in `OPIX` below
 *   meta  what this client remembers that no op says: keys in `META` below -> JSON
 *   keys  (client only) epoch secrets sealed under the account's keystore key (store/keyring.ts)
 *   peers (client only) the peer pool (dht/peer-pool.ts)
 *   relays (client only) relays learned from members, by PeerId (net/learned-relays.ts)
 * Rows:
 *   ops  sublevel   <opId>                      -> signed op bytes
 *   idx  sublevel   space!<s>                   -> SpaceInfo
 *                   head!<s>!<opId>             -> 1           (the space's heads)
 *                   is!<s>!<n, 8 hex>           -> string interned by the op table (heads key, author, channel)
 *                   ch!<s>!<channelId>          -> ChannelView
 *                   msg!<s>!<channelId>!<orderKey> -> author user id (messages of a channel, in order)
 *                   prof!<s>!<userId>           -> ProfileView
 *                   auth!<s>!<orderKey>         -> op id   (membership ops, replayed at load)
 *                   edit!<s>!<messageId>        -> EditView
 *                   del!<s>!<messageId>         -> DeleteView
 *                   react!<s>!<messageId>!<userId>!<emoji> -> ReactionView
 *                   react!<s>!<messageId>!<userId>!#<opId> -> SealedReaction (private spaces)
 *                   rot!<s>!<orderKey>          -> op id   (key.rotate ops: the epochs)
 *                   share!<s>!<rotateId>!<userId> -> op id (key.share: epoch shared with a member)
 *                   sname!<s>!<opId>            -> 1       (ops whose sealed bodies hold names)
 *   opix sublevel   <s>!<chunk n, 8 hex>        -> 64 records of 88 bytes: order key, size, heads,
 *                                                 author, channel (store/op-index.ts; sync reconciles the keys)
 *   meta sublevel   schema, context, joining!<s>, invite!<inviteId>, adopted!<s> -> JSON
 *   keys sublevel   (client only) epoch secrets sealed under the account's keystore key (keyring.ts)
 *
 *   meta sublevel   read!<s>!<c> -> order key; last!<s> -> channel id; dm!<u>, block!<u>, hidden!<s> (see META)
 * `<s>` space id, `<c>` channel id (the default channel's id is the space id), `<k>` order key
 * (core/order.ts: HLC then op id), `<u>` user id, `<m>` message id.
 */

/** Names of the sublevels of the database. */
export const SUBLEVELS = { ops: 'ops', idx: 'idx', opix: 'opix', meta: 'meta', keys: 'keys', peers: 'peers', relays: 'relays' } as const

/** Keys of the opix sublevel: chunk `n` of the op table of space `s` (store/op-index.ts). */
export const OPIX = {
  chunk: (s: string, n: number) => `${s}!${n.toString(16).padStart(8, '0')}`,
  space: (s: string) => `${s}!`
}

/** Keys of the idx sublevel. */
export const IDX = {
  space: (s: string) => `space!${s}`,
  head: (s: string, id: string) => `head!${s}!${id}`,
  /** A string the op table of the space interns (store/op-index.ts), by its index. */
  interned: (s: string, n: number) => `is!${s}!${n.toString(16).padStart(8, '0')}`,
  /** Prefix of the interned strings of a space. */
  internedRows: (s: string) => `is!${s}!`,
  channel: (s: string, c: string) => `ch!${s}!${c}`,
  message: (s: string, c: string, k: string) => `msg!${s}!${c}!${k}`,
  profile: (s: string, u: string) => `prof!${s}!${u}`,
  membership: (s: string, k: string) => `auth!${s}!${k}`,
  edit: (s: string, m: string) => `edit!${s}!${m}`,
  deleted: (s: string, m: string) => `del!${s}!${m}`,
  reaction: (s: string, m: string, u: string, e: string) => `react!${s}!${m}!${u}!${e}`,
  /** A sealed reaction, by the op that holds it (its emoji is opened when shown). */
  sealedReaction: (s: string, m: string, u: string, op: string) => `react!${s}!${m}!${u}!#${op}`,
  rotate: (s: string, k: string) => `rot!${s}!${k}`,
  share: (s: string, rotate: string, u: string) => `share!${s}!${rotate}!${u}`,
  /** Prefixes of row families of one space (for loading). */
  messageRows: (s: string) => `msg!${s}!`,
  reactionRows: (s: string) => `react!${s}!`,
  shareRows: (s: string) => `share!${s}!`,
  /** An op whose sealed body holds a name (space, channel, profile). */
  sealedName: (s: string, op: string) => `sname!${s}!${op}`
}

/** Keys of the meta sublevel. The `*Prefix` entries list a family (`metaRange`). */
export const META = {
  schema: 'schema',
  /** The current space and channel ({spaceId, channelId}). */
  context: 'context',
  /** A space being joined: fetched from peers but not ours yet (value: since, ms). */
  joining: (s: string) => `joining!${s}`,
  joiningPrefix: 'joining!',
  /** The token of an invite this client made. */
  invite: (inviteId: string) => `invite!${inviteId}`,
  /** Our direct-message space with a user. */
  dm: (u: string) => `dm!${u}`,
  /** A user whose direct messages we refuse. */
  block: (u: string) => `block!${u}`,
  /** A space hidden from `spaces` (direct messages with a user we blocked, that we cannot leave). */
  hidden: (s: string) => `hidden!${s}`,
  hiddenPrefix: 'hidden!',
  /** Relay only: the peer that brought a space (quotas per peer). */
  adopted: (s: string) => `adopted!${s}`,
  adoptedPrefix: 'adopted!',
  /** The last-read position of a channel (an order key). */
  read: (s: string, c: string) => `read!${s}!${c}`,
  readPrefix: 'read!',
  /** The channel last open in a space. */
  lastChannel: (s: string) => `last!${s}`,
  lastChannelPrefix: 'last!'
}
