/**
 * Accounts: one Ed25519 key per user, kept in a key file (JSON, mode 0600):
 *
 *   {"version":1,"name":"alice","privateKey":"<base64 libp2p protobuf private key>"}
 *
 * The same key signs ops and is the libp2p identity, so the PeerId is stable across restarts.
 * The user id is the base32 of the 32-byte public key.
 */
import { chmod, open, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { AccountFileError } from './errors.js'
import { idToString } from './core/ids.js'
import { MAX_NAME_CHARS } from './core/op.js'
import { Signer } from './core/signing.js'

export interface Account {
  /** Absolute path of the key file. */
  file: string
  /** Display name (the key file's stem unless changed with `nick`). */
  name: string
  privateKey: Ed25519PrivateKey
  signer: Signer
  /** base32 of the public key. */
  userId: string
  /** libp2p PeerId as text (12D3Koo...). */
  peerId: string
}

/** Default data dir for a key file: beside it, `<file>.data` (alice.key -> alice.key.data). */
export function defaultDataDir (keyFile: string): string {
  return resolve(dirname(keyFile), basename(keyFile) + '.data')
}

/** Default display name for a key file: its stem (alice.key -> alice). */
export function defaultName (keyFile: string): string {
  const stem = basename(keyFile, extname(keyFile)).trim()
  return (stem.length > 0 ? stem : 'anonymous').slice(0, MAX_NAME_CHARS)
}

function toAccount (file: string, name: string, privateKey: Ed25519PrivateKey): Account {
  const seed = privateKey.raw.subarray(0, 32)
  const pub = privateKey.publicKey.raw
  return {
    file,
    name,
    privateKey,
    signer: new Signer(seed, pub),
    userId: idToString(pub),
    peerId: peerIdFromPrivateKey(privateKey).toString()
  }
}

async function writeKeyFile (file: string, name: string, key: Ed25519PrivateKey, exclusive: boolean): Promise<void> {
  const body = JSON.stringify({ version: 1, name, privateKey: Buffer.from(privateKeyToProtobuf(key)).toString('base64') }, null, 2) + '\n'
  if (exclusive) {
    // 'wx' fails if the file appeared meanwhile: an existing key file is never overwritten.
    const fh = await open(file, 'wx', 0o600)
    try { await fh.writeFile(body) } finally { await fh.close() }
    return
  }
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  await writeFile(tmp, body, { mode: 0o600 })
  await rename(tmp, file)
  await chmod(file, 0o600)
}

/**
 * Loads the account in `file`, creating it (new key, mode 0600) if the file does not exist.
 * @throws AccountFileError naming the file if it exists but cannot be read or parsed; the file is
 *   left untouched
 */
export async function loadOrCreateAccount (file: string): Promise<Account> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AccountFileError(`cannot read key file ${path}: ${(err as Error).message}`, { cause: err })
    }
    const key = await generateKeyPair('Ed25519')
    const name = defaultName(path)
    try {
      await writeKeyFile(path, name, key, true)
    } catch (e) {
      throw new AccountFileError(`cannot create key file ${path}: ${(e as Error).message}`, { cause: e })
    }
    return toAccount(path, name, key)
  }
  try {
    const json = JSON.parse(text) as { version?: unknown, name?: unknown, privateKey?: unknown }
    if (json.version !== 1 || typeof json.privateKey !== 'string') throw new Error('not a spaceway key file (version 1 with privateKey)')
    const key = privateKeyFromProtobuf(Buffer.from(json.privateKey, 'base64'))
    if (key.type !== 'Ed25519') throw new Error(`key type ${key.type} is not Ed25519`)
    const name = typeof json.name === 'string' && json.name.trim() !== '' ? json.name.slice(0, MAX_NAME_CHARS) : defaultName(path)
    return toAccount(path, name, key)
  } catch (err) {
    throw new AccountFileError(`key file ${path} is corrupt or not a spaceway key (${(err as Error).message}); it was left untouched`, { cause: err })
  }
}

/** Saves a new display name into the key file (atomic replace, mode 0600). */
export async function saveAccountName (account: Account, name: string): Promise<void> {
  await writeKeyFile(account.file, name, account.privateKey, false)
  account.name = name
}
