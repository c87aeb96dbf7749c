/**
 * The one total order every replica uses for ops of a space: by HLC timestamp, then by op id
 * (base32 text, compared as strings). Message lists, sync ranges and LevelDB index keys all use it.
 */
import { hlcKey, type Hlc } from './hlc.js'

/** Sort key of an op: 20 hex chars of HLC then the 52-char base32 id. Sorts as the total order. */
export function orderKey (hlc: Hlc, id: string): string {
  return hlcKey(hlc) + id
}

/** Splits an order key back into its HLC key and op id. */
export function splitOrderKey (key: string): { hlcKey: string, id: string } {
  return { hlcKey: key.slice(0, 20), id: key.slice(20) }
}
