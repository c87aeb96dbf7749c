/**
 * Peers of private spaces without a network: each a replica with its key ring and key manager;
 * what one authors is handed to the others by `deliver` (tests choose who receives what, and when).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { idFromString, idToString } from '../../src/core/ids.js'
import { inviteProof } from '../../src/core/invite.js'
import type { Op, OpType, Payloads } from '../../src/core/op.js'
import { Signer } from '../../src/core/signing.js'
import type { SpaceState } from '../../src/core/space-state.js'
import type { SealableType } from '../../src/core/envelope.js'
import { KeyManager, splitPayload } from '../../src/key-manager.js'
import { Replica } from '../../src/replica.js'
import { KeyRing } from '../../src/store/keyring.js'
import { OpStore } from '../../src/store/op-store.js'
import { newSigner } from './ops.js'

export class PrivatePeer {
  /** Every op this peer authored, in order. */
  readonly authored: Op[] = []
  private readonly work = new Set<Promise<void>>()

  constructor (readonly name: string, readonly signer: Signer, readonly seed: Uint8Array, readonly replica: Replica, readonly ring: KeyRing, readonly keys: KeyManager) {
    replica.on('authored', op => { this.authored.push(op) })
    replica.on('op', (op, local) => {
      const state = replica.store.spaces.get(op.spaceId)
      if (state == null) return
      const w = keys.onOp(op, state, local)
      this.work.add(w)
      void w.finally(() => this.work.delete(w))
    })
  }

  /** Resolves once the key work started by applied ops (opening boxes) is done. */
  async idle (): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work])
  }

  get userId (): string { return idToString(this.signer.publicKey) }

  space (spaceId: string): SpaceState { return this.replica.store.spaces.get(spaceId) as SpaceState }

  /** Authors like App.author: content of a private space sealed with the current epoch. */
  async author<T extends OpType> (type: T, spaceId: string, payload: Payloads[T]): Promise<Op<T>> {
    const state = this.space(spaceId)
    if (!KeyManager.sealsType(state, type)) return await this.replica.author(type, spaceId, payload)
    const { plain, body } = splitPayload(type as SealableType, payload as never)
    return await this.replica.author(type, spaceId, payload, { seal: await this.keys.sealer(state, type as SealableType, plain, body, undefined, 0) })
  }

  /** Creates a private space (sealed name, first epoch boxed to us). */
  async createSpace (name: string, history: 'full' | 'since-join' = 'full'): Promise<string> {
    const secret = this.keys.newSecret()
    const plain = { nonce: Replica.nonce(), public: false as const, history, enc: this.keys.enc.publicKey }
    const seal = await this.keys.sealer(null, 'space.create', plain, { name }, secret)
    const op = await this.replica.author('space.create', null, plain as unknown as Payloads['space.create'], { seal })
    await this.keys.keep(op.spaceId, secret)
    await this.keys.rotate(this.space(op.spaceId), secret)
    return op.spaceId
  }

  /** An invite of `spaceId` (unlimited uses): its op and seed. */
  async invite (spaceId: string): Promise<{ op: Op, seed: Uint8Array }> {
    const seed = new Uint8Array(32).map(() => Math.floor(Math.random() * 256))
    const op = await this.replica.author('invite.create', spaceId, { key: Signer.fromSeed(seed).publicKey, maxUses: 0, expiresAt: 0 })
    return { op, seed }
  }

  async join (spaceId: string, inv: { op: Op, seed: Uint8Array }): Promise<Op> {
    return await this.replica.author('member.join', spaceId, { invite: idFromString(inv.op.id), proof: inviteProof(inv.seed, spaceId, this.signer.publicKey), enc: this.keys.enc.publicKey })
  }

  /** The texts of a channel's messages this peer can open (null where it cannot). */
  async texts (spaceId: string, channel = spaceId): Promise<Array<string | null>> {
    const state = this.space(spaceId)
    const ops = await this.replica.store.messages(spaceId, channel, 10_000)
    return ops.map(op => state.openBody(op)?.text ?? null)
  }
}

/** Registers clean-up; `peer(name)` makes a peer on a fresh data dir. */
export function privatePeers (): { peer: (name: string) => Promise<PrivatePeer> } {
  const stores: OpStore[] = []
  const replicas: Replica[] = []
  const dirs: string[] = []
  const managers: KeyManager[] = []
  afterEach(async () => {
    for (const k of managers.splice(0)) k.stop()
    await Promise.all(replicas.splice(0).map(async r => { await r.close() }))
    await Promise.all(stores.splice(0).map(async s => { await s.close() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })
  return {
    peer: async (name) => {
      const dir = await mkdtemp(join(tmpdir(), `spaceway-priv-${name}-`))
      dirs.push(dir)
      const signer = await newSigner()
      const seed = new Uint8Array(32).map(() => Math.floor(Math.random() * 256))
      const store = await OpStore.open(dir)
      stores.push(store)
      const replica = new Replica(store, signer)
      replicas.push(replica)
      await replica.init()
      const ring = new KeyRing(store.jsonSublevel('keys'), seed)
      await ring.load()
      store.setKeys(ring)
      const keys = await KeyManager.create(replica, ring, seed, idToString(signer.publicKey), { autoShare: false })
      managers.push(keys)
      return new PrivatePeer(name, signer, seed, replica, ring, keys)
    }
  }
}

/** Hands `ops` to every peer in `to` (in order), and waits for the key work they cause. */
export async function deliver (ops: Op[], ...to: PrivatePeer[]): Promise<void> {
  for (const p of to) {
    const s = ops[0]?.spaceId
    if (s != null) await p.replica.want(s)
    await p.replica.ingest(ops.map(o => o.bytes))
    await p.idle()
  }
}
