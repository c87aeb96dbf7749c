/**
 * Hop counts of a Kademlia lookup, from the query events @libp2p/kad-dht 16.4.5 yields. Its events
 * carry no hop number (`path` is the disjoint path's index and queue sizes), so the hops are
 * rebuilt: the peers the lookup starts from (the querier's k closest to the key, query/manager.js)
 * are hop 1, and a peer first named in a `PEER_RESPONSE`'s `closer` list of a hop-h peer is hop
 * h + 1 (query/query-path.js queries exactly those). A lookup's hop count is then the hop of the
 * peer whose answer held what was looked for (Maymounkov & Mazieres, "Kademlia", IPTPS 2002:
 * O(log n) such hops for n nodes); `depth` is the deepest hop the walk went to before it ended.
 */
import type { PeerId } from '@libp2p/interface'
import type { QueryEvent } from '@libp2p/kad-dht'

/** Hops of one lookup (counts of peers along the walk, >= 1 once anyone answered). */
export interface LookupHops {
  /** Hop of the first peer whose answer held the target (0: the querier held it; null: nobody). */
  answer: number | null
  /** Deepest hop of any peer that answered. */
  depth: number
  /** Peers that answered. */
  responses: number
}

/**
 * Follows one lookup's events. `isAnswer` says whether a `PEER_RESPONSE` held what was looked for
 * (e.g. providers, or the target among `closer`). Events may come in any order (paths run
 * concurrently): hops are worked out in `result()`, each the shortest route the walk took.
 */
export class HopCounter {
  private readonly starting: string[]
  private readonly events: Array<{ from: string, closer: string[], answer: boolean }> = []
  private local = false

  /** @param starting the peers the lookup starts from (hop 1) */
  constructor (starting: PeerId[], private readonly isAnswer: (e: Extract<QueryEvent, { name: 'PEER_RESPONSE' }>) => boolean) {
    this.starting = starting.map(p => p.toString())
  }

  /** The querier already held the answer (hop 0). */
  heldLocally (): void {
    this.local = true
  }

  /** Takes one query event (others than `PEER_RESPONSE` are ignored). */
  observe (e: QueryEvent): void {
    if (e.name !== 'PEER_RESPONSE') return
    this.events.push({ from: e.from.toString(), closer: e.closer.map(c => c.id.toString()), answer: this.isAnswer(e) })
  }

  /** The hops, from the events so far. */
  result (): LookupHops {
    const hop = new Map<string, number>(this.starting.map(p => [p, 1]))
    // A responder nobody named (a starting peer the caller did not know of): hop 1.
    for (const e of this.events) if (!hop.has(e.from) && !this.events.some(o => o.closer.includes(e.from))) hop.set(e.from, 1)
    // Shortest hops by relaxation (Bellman-Ford over "named in the answer of"); at most one pass per event.
    for (let changed = true, passes = 0; changed && passes <= this.events.length; passes++) {
      changed = false
      for (const e of this.events) {
        const h = hop.get(e.from)
        if (h == null) continue
        for (const c of e.closer) {
          if ((hop.get(c) ?? Infinity) > h + 1) { hop.set(c, h + 1); changed = true }
        }
      }
    }
    let answer: number | null = this.local ? 0 : null
    let depth = 0
    for (const e of this.events) {
      const h = hop.get(e.from) ?? 1
      depth = Math.max(depth, h)
      if (e.answer && (answer == null || h < answer)) answer = h
    }
    return { answer, depth, responses: this.events.length }
  }
}
