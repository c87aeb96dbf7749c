/**
 * Small bounded containers for state a peer can make us grow: a FIFO-evicting map (oldest entry
 * dropped first), used for remembered rejections and per-peer counters, and one bounded by the
 * total weight (e.g. bytes) of its values.
 */

/** A map that keeps at most `max` entries, evicting the oldest inserted first. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>()
  constructor (readonly max: number) {}

  get size (): number { return this.map.size }
  has (k: K): boolean { return this.map.has(k) }
  get (k: K): V | undefined { return this.map.get(k) }
  delete (k: K): boolean { return this.map.delete(k) }
  keys (): IterableIterator<K> { return this.map.keys() }

  /** Sets `k` (moving it to the newest place) and evicts the oldest entries past `max`. */
  set (k: K, v: V): void {
    this.map.delete(k)
    this.map.set(k, v)
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K)
  }
}

/**
 * A map bounded by the total weight of its values (`weigh(v)`, e.g. characters of text) as well as
 * by count, evicting the oldest inserted first.
 */
export class WeightedMap<K, V> {
  private readonly map = new Map<K, { v: V, w: number }>()
  private total = 0
  constructor (readonly maxWeight: number, readonly maxEntries: number, private readonly weigh: (v: V) => number) {}

  get size (): number { return this.map.size }
  /** Sum of the weights of the values held. */
  get weight (): number { return this.total }
  get (k: K): V | undefined { return this.map.get(k)?.v }

  set (k: K, v: V): void {
    const old = this.map.get(k)
    if (old != null) { this.total -= old.w; this.map.delete(k) }
    const w = this.weigh(v)
    this.map.set(k, { v, w })
    this.total += w
    while ((this.total > this.maxWeight || this.map.size > this.maxEntries) && this.map.size > 0) {
      const [oldest, e] = this.map.entries().next().value as [K, { v: V, w: number }]
      this.map.delete(oldest)
      this.total -= e.w
    }
  }
}
