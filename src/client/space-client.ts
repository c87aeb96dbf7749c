/**
 * The one typed seam between the engine and everything a person or script drives: the interactive
 * UI (src/ui), line mode and `--json` (src/cli) and every command (src/commands) use a
 * `SpaceClient`, never the App, store, replica, network or DHT modules. The engine's implementation
 * is `EngineClient` (engine-client.ts); unit tests use a fake (test/helpers/fake-client.ts).
 *
 * Everything a query returns or an event carries is display-ready: every peer-supplied string went
 * through the one sanitiser (core/sanitize.ts), and every user is named by a label unique in its
 * space (`alice~dxux` when two members share a display name; see core/labels.ts).
 *
 * Errors: actions throw `SpacewayError` subclasses with stable codes (errors.ts): BAD_ARGUMENT,
 * NOT_FOUND, AMBIGUOUS, NO_CURRENT_SPACE, FORBIDDEN, BANNED, INVITE_*, KEY_PENDING, TIMEOUT, DIAL_FAILED.
 */
import type { EventEmitter } from 'node:events'
import type { MessageView } from '../views.js'
import type { UserRef } from '../space-events.js'

export type { MessageView, UserRef }

/** Roles in a space, highest first. */
export type Role = 'owner' | 'admin' | 'moderator' | 'member'

/** Who this client is. `userId`: base32 Ed25519 public key (52 characters); `peerId`: the same key as a libp2p PeerId. */
export interface Identity { userId: string, name: string, peerId: string }

/** The current space and channel (null where none), with their sanitised names. */
export interface ContextView { spaceId: string | null, channelId: string | null, spaceName: string | null, channelName: string | null }

/** Unread counts of a channel or space. `unread` is capped at UNREAD_CAP (shown as `999+`). */
export interface Counts { unread: number, mentions: number }

/** Most unread messages counted per channel (more show as `999+`). */
export const UNREAD_CAP = 1000

/** A space this user is a member of, as listings and the sidebar show it. */
export interface SpaceSummary extends Counts {
  spaceId: string
  /** Sanitised; `(private space)` while its key has not reached us. */
  name: string
  role: Role
  public: boolean
  /** Direct messages with one other user. */
  dm: boolean
}

/** A channel of a space. */
export interface ChannelSummary extends Counts {
  channelId: string
  name: string
  /** Position of the last message read here (the "new messages" line goes after it), or null. */
  lastRead: string | null
}

/**
 * Where one of our own messages has got to: `pending` (no peer was subscribed when it was written:
 * it goes out when one appears), `sent` (published to `peers` peers), `stored` (a relay holds it:
 * a sync with the relay finished after it was written).
 */
export interface DeliveryStatus { state: 'pending' | 'sent' | 'stored', peers: number }

/**
 * A message as the UI shows it: the view (views.ts) plus where it sits and what it means to us.
 * `position` orders messages in a channel (string comparison: the HLC order every replica shares).
 */
export interface MessageItem extends MessageView {
  position: string
  /** Written by this user. */
  own: boolean
  /** Mentions us: `@name` with our name, or a reply to a message of ours. */
  mention: boolean
  /** An action (`/me waves`): the text is what follows `/me `. */
  action: boolean
  /** The author's role in the space when shown (owner and admins carry a badge); null if no longer a member. */
  role: Role | null
  /** The message replied to, when `replyTo` is set and it is stored here: its author and the start of its text. */
  quote: { author: UserRef, snippet: string } | null
  /** Own messages of this session: delivery (null for others' and older ones). */
  delivery: DeliveryStatus | null
}

/** A window of a channel's messages, oldest first. `more`: older messages exist before the first one. */
export interface MessagePage { spaceId: string, channelId: string, messages: MessageItem[], more: boolean }

/** Which messages `messages` returns: the newest `limit` (at most 10,000), or those before/after a position. */
export interface MessageQuery { spaceId?: string, channelId?: string, limit: number, before?: string, after?: string }

/** A member as listings and the member pane show it. `name` is the unique label. */
export interface MemberView { userId: string, name: string, role: Role, online: boolean }

/**
 * Connection health in plain words. `peers`: connected peers; `relays`: relays known and connected;
 * `dht`: peers in the Kademlia routing table; `syncing`: ops received so far by catch-ups running
 * (null when none); `words`: one phrase for the status line, e.g. `online, relay connected`,
 * `offline: no peers`, `relay down`.
 */
export interface ClientStatus {
  name: string
  peers: number
  relays: { known: number, connected: number }
  dht: number
  syncing: { spaces: number, ops: number } | null
  words: string
}

/** One line of "while you were away": unread messages and mentions per channel, busiest first. */
export interface AwaySummary { channels: Array<{ spaceId: string, spaceName: string, channelId: string, channelName: string } & Counts> }

/** Data of `space create`. */
export interface SpaceCreated { spaceId: string, name: string, public: boolean, history?: 'full' | 'since-join' }
/** Data of `space`, `join` (the space now current). */
export interface SpaceEntered { spaceId: string, name: string }
/** Data of `channel`, `channel create`, `channel rename`. */
export interface ChannelRef { channelId: string, name: string }
/** Data of `send` and `reply`: our new message. `replyTo` for a reply. */
export interface MessageSent { id: string, ts: number, text: string, replyTo?: string, delivery: DeliveryStatus }
/** Data of `invite create`. `expiresAt`: ms since the epoch, or null (never). */
export interface InviteCreated { invite: string, inviteId: string, maxUses: number | null, expiresAt: number | null }
/** One invite of `invites`. */
export interface InviteView {
  inviteId: string
  createdBy: UserRef
  maxUses: number | null
  uses: number
  usesLeft: number | null
  expiresAt: number | null
  status: 'active' | 'revoked' | 'expired' | 'used up'
  /** The token, when this client made it. */
  invite: string | null
}
/** Data of `role`, `kick`, `ban`, `unban`, `dm`, `block`, `unblock`: the user acted on. */
export interface UserActed { userId: string, name: string, role?: string, rekeyed?: boolean, spaceId?: string }
/** Data of `msg`. */
export interface DirectSent { spaceId: string, userId: string, name: string, id: string, ts: number }
/** Data of `peers`. `user`: the member of a shared space this peer is; `relay`: one of our relays. */
export interface PeerView { peerId: string, addrs: string[], direction: string | null, relay: boolean, user: UserRef | null }
/** Data of `edit` (`text` sanitised), `delete`, `react`. */
export interface MessageActed { messageId: string, text?: string, emoji?: string, on?: boolean }

/** A sync bringing ops here (`phase` started, progress, done). */
export interface SyncView { peerId: string, spaceId: string, phase: 'started' | 'progress' | 'done', received: number, ms: number, sent?: number }

/**
 * Events. The first block is the scripting contract's events (docs/cli-json.md), with the same
 * data; the rest are for the interactive UI.
 */
export interface ClientEvents {
  /** A message from another author (or from this user on another device) was accepted; the unread counts of `spaces` and `channels` include it already. */
  message: [MessageItem]
  'message:edit': [{ spaceId: string, messageId: string, text: string, author: UserRef }]
  'message:delete': [{ spaceId: string, messageId: string, by: UserRef }]
  'message:react': [{ spaceId: string, messageId: string, emoji: string, on: boolean, user: UserRef }]
  'member:join': [{ spaceId: string, user: UserRef, you: boolean }]
  'member:leave': [{ spaceId: string, spaceName: string, user: UserRef, reason: 'kick' | 'ban' | 'leave', by: UserRef, you: boolean }]
  'member:role': [{ spaceId: string, user: UserRef, role: string, by: UserRef }]
  /** A member's display name changed: `from` is the label before, `user.name` the label now. */
  'member:name': [{ spaceId: string, user: UserRef, from: string }]
  'channel:create': [{ spaceId: string, channelId: string, name: string, by: UserRef }]
  'channel:rename': [{ spaceId: string, channelId: string, from: string, name: string, by: UserRef }]
  'channel:delete': [{ spaceId: string, channelId: string, name: string, by: UserRef }]
  'op:rejected': [{ reason: string, peerId: string | null, message: string }]
  'peer:connect': [peerId: string]
  'peer:disconnect': [peerId: string]
  sync: [SyncView]
  dm: [{ spaceId: string, via: string, from: UserRef }]
  /** A key of a private space arrived: its sealed names and messages read now. `name`: the space's name. */
  key: [{ spaceId: string, name: string }]
  'key:forged': [{ spaceId: string, from: UserRef, op: string }]
  'relay:refused': [{ peerId: string, spaceId: string }]
  /** One of our messages got further (`DeliveryStatus`). */
  delivery: [{ spaceId: string, messageId: string, status: DeliveryStatus }]
  /** Something the status line, sidebar or counts show changed. */
  change: []
}

/**
 * The client interface. Queries are synchronous where the engine holds the answer in memory;
 * `messages` and `invites` read the store. Actions resolve with the `data` of the scripting
 * contract (docs/cli-json.md) and throw SpacewayError subclasses.
 */
export interface SpaceClient extends EventEmitter<ClientEvents> {
  // --- queries ---
  identity: () => Identity
  context: () => ContextView
  /** Spaces we are a member of, oldest first, with unread counts (hidden direct messages left out). */
  spaces: () => SpaceSummary[]
  /** Channels of a space (default: the current one), with unread counts. @throws NoCurrentSpaceError */
  channels: (spaceId?: string) => ChannelSummary[]
  /** Messages of a channel (default: the current one). @throws NoCurrentSpaceError, BadArgumentError (limit outside 1..10,000) */
  messages: (query: MessageQuery) => Promise<MessagePage>
  /** Members of a space (default: the current one), by role then label. @throws NoCurrentSpaceError */
  members: (spaceId?: string) => MemberView[]
  status: () => ClientStatus
  /** Unread messages and mentions per channel, for the summary line after start-up or a catch-up. */
  away: () => AwaySummary
  /** Delivery of one of our messages of this session, or null. */
  delivery: (messageId: string) => DeliveryStatus | null
  /** Addresses others can dial, with /p2p/ suffix. */
  addresses: () => string[]
  peers: () => { peers: PeerView[] }
  /** The `network` report (docs/cli-json.md). */
  network: () => Record<string, unknown>
  /** The `dht` report (docs/cli-json.md). */
  dht: () => Record<string, unknown>
  invites: () => Promise<{ invites: InviteView[] }>

  // --- actions ---
  connect: (multiaddr: string) => Promise<{ peerId: string }>
  createSpace: (name: string, options: { public: boolean, history: 'full' | 'since-join' }) => Promise<SpaceCreated>
  /** Switches to a space by name, name prefix, id or id prefix; returns to the channel last open there. */
  switchSpace: (query: string) => Promise<SpaceEntered>
  join: (inviteOrSpaceId: string) => Promise<SpaceEntered>
  createInvite: (options: { maxUses: number, ttlMs: number }) => Promise<InviteCreated>
  revokeInvite: (inviteIdPrefix: string) => Promise<{ inviteId: string }>
  setRole: (user: string, role: string) => Promise<UserActed>
  removeUser: (kind: 'kick' | 'ban' | 'unban', user: string) => Promise<UserActed>
  leave: () => Promise<{ spaceId: string }>
  createChannel: (name: string) => Promise<ChannelRef>
  renameChannel: (channel: string, name: string) => Promise<ChannelRef>
  deleteChannel: (channel: string) => Promise<{ channelId: string, name: string }>
  switchChannel: (query: string) => Promise<ChannelRef>
  /** Posts `text` verbatim to the current channel. @throws BadArgumentError (empty, over MAX_MESSAGE_CHARS) */
  send: (text: string) => Promise<MessageSent>
  reply: (messageIdPrefix: string, text: string) => Promise<MessageSent>
  edit: (messageIdPrefix: string, text: string) => Promise<MessageActed>
  deleteMessage: (messageIdPrefix: string) => Promise<MessageActed>
  react: (messageIdPrefix: string, emoji: string) => Promise<MessageActed>
  dm: (user: string) => Promise<UserActed>
  msg: (user: string, text: string) => Promise<DirectSent>
  block: (user: string) => Promise<UserActed>
  unblock: (user: string) => Promise<UserActed>
  nick: (name: string) => Promise<{ name: string }>
  /** Marks a channel read up to `position` (persisted; never moves back). */
  markRead: (spaceId: string, channelId: string, position: string) => Promise<void>
}
