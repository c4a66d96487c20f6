/**
 * TUF 1.0 repository workflows on a directory: the writer core + the
 * file-system adapter + the trust dir's encrypted key store.
 *
 *   await initTuf1Repository({ dir, trustDir });                     // 4 new keys, v1 of everything
 *   await updateTuf1Repository({ dir, trustDir }, (w) => w.addTarget('v1', info));
 *   await refreshTuf1Repository({ dir, trustDir });                  // cron: timestamp (+ snapshot)
 *
 * Only the keys a commit needs are unlocked (`Tuf1Writer.keysNeeded`): the
 * offline root key is asked for only when root changes.
 */
import type { PrivateKeyAlgorithm } from '../../crypto/signers.js';
import { LocalError } from '../../errors.js';
import { KeyStore } from '../../keys/keystore.js';
import type { PassphraseProvider } from '../../keys/passphrase.js';
import type { Tuf1KeyJson, Tuf1TopLevelRoleName } from '../../metadata/tuf1.js';
import { resolveTrustDir } from '../../storage/trust-dir.js';
import { createKey } from '../keys.js';
import { openTuf1Repository, readTuf1Files, tuf1SignersFromKeyStore, writeTuf1Files } from './fs.js';
import { type Tuf1PublicKey, type Tuf1Signer, tuf1KeyOf, tuf1Signer } from './keys.js';
import {
  type Tuf1CommitResult,
  type Tuf1ExpiryKind,
  type Tuf1RefreshOptions,
  type Tuf1RefreshResult,
  Tuf1Writer,
} from './writer.js';

/** Where a TUF 1.0 repository lives on disk, which trust dir holds its keys, passphrases and clock. */
export interface Tuf1RepositoryOptions {
  /** Repository directory (`metadata/`, `targets/`). */
  dir: string;
  /** Trust dir whose `private/` holds the keys (default: as the CLI resolves it). */
  trustDir?: string;
  passphrase?: PassphraseProvider;
  /** PBKDF2 iterations of key files written (default: the key store's). */
  iterations?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  expiresIn?: Partial<Record<Tuf1ExpiryKind, number>>;
  /** Signers held elsewhere (an offline root key, a key being rotated in), used besides the key store. */
  signers?: readonly Tuf1Signer[];
}

/** Options of `initTuf1Repository`: repository options plus the algorithm of the new keys and the GUN recorded in them. */
export interface Tuf1InitRepositoryOptions extends Tuf1RepositoryOptions {
  /** Algorithm of new keys (default `ecdsa` P-256). */
  algorithm?: PrivateKeyAlgorithm;
  /** Recorded in the key files' `gun:` header (targets/snapshot/timestamp keys). */
  gun?: string;
  /** Root's `consistent_snapshot` (default true; see `Tuf1InitOptions.consistentSnapshot`). */
  consistentSnapshot?: boolean;
}

/** The key ids a new TUF 1.0 repository was created with (pin `root`), and the files written. */
export interface Tuf1InitResult {
  /** TUF 1.0 key ids per role; pin `root`. */
  readonly keyIds: Record<Tuf1TopLevelRoleName, string>;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

function keyStoreOf(opts: Tuf1RepositoryOptions): KeyStore {
  return new KeyStore(resolveTrustDir(opts.trustDir), {
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
    ...(opts.iterations === undefined ? {} : { iterations: opts.iterations }),
  });
}

async function signersFor(
  store: KeyStore,
  keys: ReadonlyMap<string, Tuf1KeyJson>,
  extra: readonly Tuf1Signer[] = [],
): Promise<Tuf1Signer[]> {
  const given = new Set(extra.map((s) => s.key.keyid));
  const wanted = Object.fromEntries([...keys].filter(([id]) => !given.has(id)));
  return [...extra, ...(await tuf1SignersFromKeyStore(store, wanted))];
}

/**
 * Creates a repository in `dir` (refused when it already holds metadata):
 * new root, targets, snapshot and timestamp keys in the key store (encrypted,
 * like every key we write), then version 1 of every role.
 */
export async function initTuf1Repository(opts: Tuf1InitRepositoryOptions): Promise<Tuf1InitResult> {
  const existing = await readTuf1Files(opts.dir).catch(() => new Map());
  if (existing.size > 0) throw new LocalError('USAGE', `${opts.dir} already holds a TUF repository`);
  const store = keyStoreOf(opts);
  const algorithm = opts.algorithm ?? 'ecdsa';
  const signers = {} as Record<Tuf1TopLevelRoleName, Tuf1Signer>;
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const gun = role === 'root' ? undefined : opts.gun;
    signers[role] = tuf1Signer(await createKey(store, algorithm, role, gun));
  }
  const w = Tuf1Writer.init({
    keys: {
      root: [signers.root.key],
      targets: [signers.targets.key],
      snapshot: [signers.snapshot.key],
      timestamp: [signers.timestamp.key],
    },
    ...(opts.consistentSnapshot === undefined ? {} : { consistentSnapshot: opts.consistentSnapshot }),
  });
  const result = w.commit(Object.values(signers), {
    now: (opts.now ?? Date.now)(),
    ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
  });
  await writeTuf1Files(opts.dir, result.files);
  return {
    keyIds: {
      root: signers.root.key.keyid,
      targets: signers.targets.key.keyid,
      snapshot: signers.snapshot.key.keyid,
      timestamp: signers.timestamp.key.keyid,
    },
    files: result.files,
  };
}

/** A new key in the key store, for rotation or a delegation; returns how metadata lists it. */
export async function generateTuf1Key(
  opts: Pick<Tuf1RepositoryOptions, 'trustDir' | 'passphrase' | 'iterations'>,
  role: string,
  algorithm: PrivateKeyAlgorithm = 'ecdsa',
  gun?: string,
): Promise<Tuf1PublicKey> {
  return tuf1KeyOf(await createKey(keyStoreOf({ dir: '', ...opts }), algorithm, role, gun));
}

/**
 * Opens the repository, applies `edit`, signs what changed with the keys it
 * needs and writes the new files (timestamp last). Nothing is written when a
 * key is missing (LocalError KEY_NOT_FOUND) or `edit` throws.
 */
export async function updateTuf1Repository(
  opts: Tuf1RepositoryOptions,
  edit: (writer: Tuf1Writer) => void | Promise<void>,
): Promise<Tuf1CommitResult> {
  const w = await openTuf1Repository(opts.dir);
  await edit(w);
  const signers = await signersFor(keyStoreOf(opts), w.keysNeeded(), opts.signers);
  const result = w.commit(signers, {
    now: (opts.now ?? Date.now)(),
    ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
  });
  await writeTuf1Files(opts.dir, result.files);
  return result;
}

/**
 * Re-signs timestamp, and snapshot when it is due (for a cron job). Targets
 * roles and root are renewed only with keys given in `signers`; the ones due
 * without a key are reported in `expiring`.
 */
export async function refreshTuf1Repository(
  opts: Tuf1RepositoryOptions & Pick<Tuf1RefreshOptions, 'renewWithin'>,
): Promise<Tuf1RefreshResult> {
  const w = await openTuf1Repository(opts.dir);
  const root = w.root;
  const online = new Map<string, Tuf1KeyJson>();
  for (const role of ['snapshot', 'timestamp'] as const)
    for (const id of root.roles[role].keyids) {
      const key = root.keys[id];
      if (key) online.set(id, key);
    }
  const signers = await signersFor(keyStoreOf(opts), online, opts.signers);
  const result = w.refresh(signers, {
    now: (opts.now ?? Date.now)(),
    ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
    ...(opts.renewWithin ? { renewWithin: opts.renewWithin } : {}),
  });
  await writeTuf1Files(opts.dir, result.files);
  return result;
}
