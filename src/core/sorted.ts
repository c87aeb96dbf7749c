/** Sorted arrays of strings (order keys, ids), searched by bisection. */

/** Index of the first element >= `key` in sorted `arr`, starting at `from` (arr.length if none). */
export function lowerIndex (arr: readonly string[], key: string, from = 0): number {
  let lo = from
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (arr[mid] < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Inserts `key` into the sorted array `arr`; no-op if present. Returns true if inserted. */
export function insertSorted (arr: string[], key: string): boolean {
  const i = lowerIndex(arr, key)
  if (arr[i] === key) return false
  arr.splice(i, 0, key)
  return true
}
