/**
 * History bundles of private spaces (docs/PROTOCOL.md "Private spaces"): a `key.rotate` of a
 * `full`-history space seals, under its new epoch's history key, the earlier secrets its author
 * holds that no other held secret already bundles, and names their rotates (each also a dep). Bundles
 * chain - each opens the ones before it - so one key reads the whole history, and a rotate stays
 * small however many came before.
 */
import { decode, encode } from 'cborg'
import { logger } from '@libp2p/logger'
import { historyKey, keyIdOf, open, seal, SECRET_BYTES, type RandomSource } from './core/crypto.js'
import { BoundedMap } from './core/bounded.js'
import { concatBytes, idFromString, idToString, toHex } from './core/ids.js'
import { MAX_BUNDLED, type Op, type Payloads } from './core/op.js'
import type { SpaceState } from './core/space-state.js'
import type { OpStore } from './store/op-store.js'
import type { KeyRing } from './store/keyring.js'

const log = logger('spaceway:keys')

/** AAD of a rotate's history bundle: the space and the new epoch's key id. */
function historyAad (spaceId: string, keyId: Uint8Array): Uint8Array {
  return concatBytes('spaceway/history/v1\n', idFromString(spaceId), keyId)
}

export class HistoryBundles {
  /** Rotate ids -> the secrets their history bundles really hold (opened here). */
  private readonly opened = new BoundedMap<string, Uint8Array[]>(10_000)

  /**
   * @param keep stores a secret of a space opened from a bundle; true if it was new
   */
  constructor (
    private readonly store: Pick<OpStore, 'getOps'>,
    private readonly ring: KeyRing,
    private readonly keep: (spaceId: string, secret: Uint8Array) => Promise<boolean>,
    private readonly random: RandomSource
  ) {}

  /**
   * The history bundle of a new epoch `secret` (key id `keyId`) of `state`: the bundle heads we hold
   * (`heads`) sealed under it, or null when there are none.
   */
  async make (state: SpaceState, secret: Uint8Array, keyId: Uint8Array): Promise<Payloads['key.rotate']['history']> {
    const earlier = await this.heads(state, toHex(keyId))
    if (earlier.length === 0) return null
    const sealed = seal(historyKey(secret), historyAad(state.info.spaceId, keyId), encode(earlier.map(([, s]) => s)), this.random)
    return { ...sealed, rotates: earlier.map(([r]) => idFromString(r)) }
  }

  /**
   * The secrets of `state`'s epochs we hold, except `except` and those the bundle of another one we
   * hold already seals (from those, the holder opens its way down the chain), newest first, at most
   * MAX_BUNDLED: [rotate id, secret]. A secret covers what the bundle of its epoch's first rotate
   * really holds (opened here), never what a plaintext list claims; taking the first rotate of each
   * key id keeps the chain acyclic (a bundle names only rotates before its own).
   */
  private async heads (state: SpaceState, except: string): Promise<Array<[string, Uint8Array]>> {
    const held = this.ring.forSpace(state.info.spaceId)
      .filter(([k]) => k !== except && state.epochByKeyId.has(k))
      .map(([k, secret]) => ({ k, secret, rotate: state.epochByKeyId.get(k) as string }))
    const covered = new Set<string>()
    for (const h of held) for (const e of await this.of(state, h.rotate, h.secret)) covered.add(toHex(keyIdOf(e)))
    const order = (r: string): string => state.epochs.get(r)?.key ?? ''
    return held.filter(h => !covered.has(h.k)).sort((a, b) => order(a.rotate) < order(b.rotate) ? 1 : -1).slice(0, MAX_BUNDLED).map(h => [h.rotate, h.secret])
  }

  /**
   * Opens, down the chain, the earlier secrets bundled under the epoch with key id `keyId`
   * (full-history spaces): each new one kept, then its own bundles opened in turn. (A secret held
   * already had its bundles opened when it was kept.)
   */
  async open (state: SpaceState, keyId: string, secret: Uint8Array): Promise<void> {
    const todo: Array<[string, Uint8Array]> = [[keyId, secret]]
    const seen = new Set<string>()
    while (todo.length > 0) {
      const [k, s] = todo.pop() as [string, Uint8Array]
      if (seen.has(k)) continue
      seen.add(k)
      // every rotate with this key id (another member may have reused one it saw)
      for (const e of [...state.epochs.values()].filter(e => e.keyId === k)) {
        for (const inside of await this.of(state, e.rotate, s)) {
          const ik = toHex(keyIdOf(inside))
          if (await this.keep(state.info.spaceId, inside) && !seen.has(ik)) todo.push([ik, inside])
        }
      }
    }
  }

  /** The secrets the history bundle of rotate `rotateId` really holds, opened with its `secret` (cached). */
  private async of (state: SpaceState, rotateId: string, secret: Uint8Array): Promise<Uint8Array[]> {
    const cached = this.opened.get(rotateId)
    if (cached != null) return cached
    const op = (await this.store.getOps([rotateId])).get(rotateId) as Op<'key.rotate'> | undefined
    if (op == null) return []
    const inside = openBundle(state, op, secret)
    this.opened.set(rotateId, inside)
    return inside
  }
}

/**
 * The secrets the history bundle of rotate `op` seals, opened with its epoch `secret`: only those of
 * the epochs it names (a bundle stuffed with anything else is ignored). Empty if there is no bundle
 * or it does not open.
 */
function openBundle (state: SpaceState, op: Op<'key.rotate'>, secret: Uint8Array): Uint8Array[] {
  const h = op.payload.history
  if (h == null) return []
  let earlier: unknown
  try {
    earlier = decode(open(historyKey(secret), historyAad(state.info.spaceId, op.payload.key), { nonce: h.nonce, ct: h.ct }))
  } catch (err) {
    log.error('the history bundle of rotate %s by %s does not open: %s', op.id, op.author, (err as Error).message)
    return []
  }
  if (!Array.isArray(earlier)) return []
  const named = new Set(h.rotates.map(r => state.epochs.get(idToString(r))?.keyId))
  const out: Uint8Array[] = []
  for (const s of earlier.slice(0, h.rotates.length)) {
    if (s instanceof Uint8Array && s.length === SECRET_BYTES && named.has(toHex(keyIdOf(s)))) out.push(s)
  }
  return out
}
