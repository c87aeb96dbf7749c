/**
 * The key ring: epoch secrets of private spaces this user holds, in memory for opening bodies, and
 * at rest in the client's LevelDB (`keys` sublevel) sealed with XChaCha20-Poly1305 under a key
 * derived from the account key (HKDF-SHA256, label `spaceway/keystore/v1`). A copy of the data dir
 * without the key file holds no readable secret. Rows: `<space id>!<key id hex>` -> {nonce, ct}.
 */
import { logger } from '@libp2p/logger'
import { hkdf, keyIdOf, open, seal, systemRandom, type RandomSource } from '../core/crypto.js'
import { toHex } from '../core/ids.js'
import type { KeyLookup } from '../core/space-state.js'
import type { Sub } from './op-store.js'

const log = logger('spaceway:keyring')

const te = new TextEncoder()

/** A secret as stored: nonce and ciphertext, hex. */
interface Row { nonce: string, ct: string }

export class KeyRing implements KeyLookup {
  private readonly secrets = new Map<string, { secret: Uint8Array, spaceId: string }>()
  private readonly storeKey: Uint8Array

  /**
   * @param sub the `keys` sublevel
   * @param accountSeed the account's 32-byte Ed25519 seed (the keystore key is derived from it)
   */
  constructor (private readonly sub: Sub<Row>, accountSeed: Uint8Array, private readonly random: RandomSource = systemRandom) {
    this.storeKey = hkdf(accountSeed, 'spaceway/keystore/v1')
  }

  /** Loads every stored secret (one that does not open - another account's data dir - is skipped). */
  async load (): Promise<void> {
    for await (const [k, row] of this.sub.iterator({})) {
      const [spaceId, keyId] = k.split('!')
      try {
        const secret = open(this.storeKey, te.encode(k), { nonce: Buffer.from(row.nonce, 'hex'), ct: Buffer.from(row.ct, 'hex') })
        if (toHex(keyIdOf(secret)) === keyId) this.secrets.set(keyId, { secret, spaceId })
      } catch {
        log.error('key %s does not open with this account\'s key; skipped', k)
      }
    }
  }

  /** The secret with key id `keyIdHex`, if held. */
  get (keyIdHex: string): Uint8Array | undefined {
    return this.secrets.get(keyIdHex)?.secret
  }

  /** True if the secret with this key id is held. */
  has (keyIdHex: string): boolean {
    return this.secrets.has(keyIdHex)
  }

  /** Every secret held for `spaceId`, as [key id hex, secret]. */
  forSpace (spaceId: string): Array<[string, Uint8Array]> {
    return [...this.secrets].filter(([, v]) => v.spaceId === spaceId).map(([k, v]) => [k, v.secret])
  }

  /**
   * Adds a secret of `spaceId` (its key id is derived from it) and persists it sealed. Returns its
   * key id (hex), and whether it was new.
   */
  async add (spaceId: string, secret: Uint8Array): Promise<{ keyId: string, added: boolean }> {
    const keyId = toHex(keyIdOf(secret))
    if (this.secrets.has(keyId)) return { keyId, added: false }
    this.secrets.set(keyId, { secret, spaceId })
    const rowKey = `${spaceId}!${keyId}`
    const box = seal(this.storeKey, te.encode(rowKey), secret, this.random)
    await this.sub.put(rowKey, { nonce: toHex(box.nonce), ct: toHex(box.ct) })
    return { keyId, added: true }
  }
}
