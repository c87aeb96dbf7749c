/**
 * Small bounded containers for state a peer can make us grow: a FIFO-evicting map (oldest entry
 * dropped first), used for remembered rejections and per-peer counters.
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
