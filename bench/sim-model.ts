/**
 * The scale model of docs/SCALE.md, as functions: what one space of n peers costs under GossipSub
 * v1.1 and what a DHT of N peers costs under Kademlia. Pure arithmetic, no I/O; `npm run sim`
 * (bench/sim.ts) prints tables from these and compares them with a small measured network.
 *
 * Sources: GossipSub v1.1 spec (https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md,
 * mesh degree D, gossip to D_lazy peers per heartbeat, mcache windows) and v1.0 (`gossipsub-v1.0.md`,
 * parameters); Kademlia: Maymounkov & Mazieres, "Kademlia: A Peer-to-peer Information System Based
 * on the XOR Metric", IPTPS 2002 (k-buckets, alpha, O(log n) lookups).
 */

/** GossipSub parameters (names as in the spec). Times in seconds. */
export interface GossipParams {
  D: number
  Dlo: number
  Dhi: number
  Dlazy: number
  /** gossip_factor: gossip goes to max(Dlazy, factor * non-mesh topic peers) peers (v1.1). */
  gossipFactor: number
  heartbeatS: number
  /** mcache_gossip: heartbeat windows whose ids an IHAVE advertises. */
  historyGossip: number
  /** Most ids in one IHAVE (js: GossipsubMaxIHaveLength). */
  maxIHaveLength: number
  /** The publisher sends to every topic peer it is connected to, not only its mesh (v1.1 flood publishing). */
  floodPublish: boolean
}

/** Ours (src/net/node.ts): D, D_lo, D_hi set; D_lazy, gossip factor, heartbeat, windows are @libp2p/gossipsub 17 defaults. */
export const OURS: GossipParams = { D: 4, Dlo: 2, Dhi: 8, Dlazy: 6, gossipFactor: 0.25, heartbeatS: 1, historyGossip: 3, maxIHaveLength: 5000, floodPublish: true }
/** @libp2p/gossipsub 17 defaults (constants.js), flood publishing on (its default). */
export const LIBP2P_DEFAULTS: GossipParams = { D: 6, Dlo: 4, Dhi: 12, Dlazy: 6, gossipFactor: 0.25, heartbeatS: 1, historyGossip: 3, maxIHaveLength: 5000, floodPublish: true }

/** Wire sizes, bytes. */
export interface WireSizes {
  /** One op as published (its canonical signed encoding). */
  op: number
  /** Per published message: GossipSub RPC framing (protobuf: data, topic ~55 chars) + yamux header (12) + noise tag/length (18). */
  msgOverhead: number
  /** Message id: SHA-256 of the data (node.ts msgIdFn) plus its protobuf tag/length. */
  id: number
  /** Per IHAVE control message: topic, tags, framing. */
  ihaveOverhead: number
}

/** Cost of one space, per peer, in steady state (no churn: GRAFT/PRUNE and IWANT taken as ~0). */
export interface SpaceCost {
  /** Mesh degree used (D; a peer with fewer topic connections than D has them all). */
  mesh: number
  /** Peers an IHAVE goes to each heartbeat: min(c - mesh, max(Dlazy, factor * (c - mesh))). */
  lazy: number
  /** Copies of each message a peer receives on average (one useful, the rest duplicates). */
  copiesPerMsg: number
  /** Full messages in per peer per second. */
  msgsIn: number
  /** IHAVE messages in per peer per second, and message ids they carry. */
  ihaveIn: number
  idsIn: number
  /** Bytes in per peer per second: eager push, and gossip. Out is the same on average (every send is someone's receive). */
  bytesPush: number
  bytesGossip: number
  /** Hops for a message to reach everyone: ln(n)/ln(D) (the brief's estimate) and ln(n)/ln(D-1) (random D-regular graph). */
  hopsLogD: number
  hopsLogD1: number
}

/**
 * Steady-state cost per peer of a space with `n` peers, each connected to `c` topic peers, where
 * `rate` messages per second are published in total (uniformly by members).
 *
 * Eager push: the publisher sends to its c topic peers (flood publish) or D mesh peers; every other
 * peer, on first receipt, forwards to its mesh peers but the one it got it from (ops are < 512 bytes,
 * below IDONTWANT's threshold, so v1.2 IDONTWANT does not cut duplicates). Sends per message:
 * first + (n - 1)(D - 1); each is one peer's receipt, so copies per peer = that / n.
 * Gossip: every heartbeat each peer sends one IHAVE to `lazy` non-mesh topic peers, naming the ids
 * of the last `historyGossip` windows (rate * historyGossip * heartbeat ids, at most maxIHaveLength);
 * an empty window list sends nothing (probability exp(-rate * historyGossip * heartbeat)).
 */
export function spaceCost (n: number, c: number, rate: number, p: GossipParams, w: WireSizes): SpaceCost {
  const mesh = Math.min(p.D, c, n - 1)
  const nonMesh = Math.max(0, Math.min(c, n - 1) - mesh)
  const lazy = Math.min(nonMesh, Math.max(p.Dlazy, Math.floor(p.gossipFactor * nonMesh)))
  const first = p.floodPublish ? Math.min(c, n - 1) : mesh
  const copiesPerMsg = (first + (n - 1) * Math.max(0, mesh - 1)) / n
  const msgsIn = rate * copiesPerMsg
  const idsPerIhave = Math.min(p.maxIHaveLength, rate * p.historyGossip * p.heartbeatS)
  const nonEmpty = 1 - Math.exp(-rate * p.historyGossip * p.heartbeatS)
  const ihaveIn = lazy * nonEmpty / p.heartbeatS
  const idsIn = lazy * idsPerIhave / p.heartbeatS
  return {
    mesh,
    lazy,
    copiesPerMsg,
    msgsIn,
    ihaveIn,
    idsIn,
    bytesPush: msgsIn * (w.op + w.msgOverhead),
    bytesGossip: ihaveIn * w.ihaveOverhead + idsIn * w.id,
    hopsLogD: Math.log(n) / Math.log(mesh),
    hopsLogD1: Math.log(n) / Math.log(Math.max(2, mesh - 1))
  }
}

/** Kademlia parameters: k (bucket size, replication), alpha (parallel queries), d (disjoint paths, S/Kademlia; 1 = the paper's single lookup). */
export interface KadParams { k: number, alpha: number, d: number, refreshS: number }
/** The paper's suggested k = 20, alpha = 3. */
export const KAD_PAPER: KadParams = { k: 20, alpha: 3, d: 1, refreshS: 3600 }
/** @libp2p/kad-dht 16 defaults: K = 20, ALPHA = 10, disjointPaths = alpha, table refresh every 5 min. */
export const KAD_JS: KadParams = { k: 20, alpha: 10, d: 10, refreshS: 300 }

/** Cost of a DHT of `N` peers. */
export interface DhtCost {
  /** ceil(log2 N): the paper's bound on lookup steps (each step at least halves the XOR distance). */
  hopsBound: number
  /** log2(N) / log2(k): each answer holds the k closest contacts the responder knows in the target's subtree, so a step gains ~log2(k) bits, not 1. */
  hopsExpected: number
  /** RPCs per lookup: single path alpha * hops + k (the k closest are all queried before the lookup ends); with d disjoint paths, d times the path's steps + k. */
  rpcsPerLookup: number
  /** Non-empty buckets ~ log2(N / k) + 1, each up to k contacts. */
  buckets: number
  tableEntries: number
  /** Table refresh: one lookup per bucket per refresh period, RPCs per second per peer. */
  refreshRpcsPerS: number
}

export function dhtCost (N: number, p: KadParams): DhtCost {
  const hopsBound = Math.ceil(Math.log2(N))
  const hopsExpected = Math.log2(N) / Math.log2(p.k)
  const rpcsPerLookup = p.d === 1 ? p.alpha * hopsExpected + p.k : p.d * hopsExpected + p.k
  const buckets = Math.max(1, Math.log2(N / p.k) + 1)
  return { hopsBound, hopsExpected, rpcsPerLookup, buckets, tableEntries: Math.min(N - 1, buckets * p.k), refreshRpcsPerS: buckets * rpcsPerLookup / p.refreshS }
}

/**
 * Provider records: every member of every space provides the space's CID (src/dht/announcer.ts),
 * re-announced every `reannounceS`. Each announce is one lookup plus k ADD_PROVIDER. Records land on
 * the k peers closest to the CID: a space of m members puts m records on each of them (the hot spot).
 */
export function providerCost (N: number, spacesPerPeer: number, biggestSpace: number, reannounceS: number, p: KadParams, recordBytes: number): { rpcsPerPeerPerS: number, recordsPerNode: number, hotRecords: number, hotBytes: number, hotAddsPerS: number } {
  const lookup = dhtCost(N, p).rpcsPerLookup
  return {
    rpcsPerPeerPerS: spacesPerPeer * (lookup + p.k) / reannounceS,
    recordsPerNode: spacesPerPeer * p.k,
    hotRecords: biggestSpace,
    hotBytes: biggestSpace * recordBytes,
    hotAddsPerS: biggestSpace / reannounceS
  }
}

/**
 * A relay holding the space: it is a mesh member (push and gossip as any peer), stores every op, and
 * serves catch-up: each member fetches what it missed once per `catchUpPeriodS` while away for
 * `awayS` on average, shared among `relays`.
 */
export function relayCost (n: number, rate: number, storedBytesPerOp: number, opBytes: number, space: SpaceCost, relays: number, awayS: number, catchUpPeriodS: number): { storePerDay: number, catchUpBytesPerS: number, meshBytesPerS: number } {
  return {
    storePerDay: rate * 86_400 * storedBytesPerOp,
    catchUpBytesPerS: n * rate * awayS * opBytes / catchUpPeriodS / relays,
    meshBytesPerS: space.bytesPush + space.bytesGossip
  }
}
