/**
 * The publishing core: load the verified state of a repository, apply an
 * edit, sign what changed with the keys the trust dir holds, publish, and on
 * a conflict with a concurrent publisher start again from the server's state
 * (bounded). Documents are rebuilt with exactly the fields Notary's Go structs
 * have, so notary-server's re-serialisation of what we upload is identical.
 */

import { type RepositoryContext, repositoryContext, type TrustOptions } from '../context/repository.js';
import type { Signer, TufPublicKey } from '../crypto/types.js';
import { LocalError, NetworkError, PublishError, TrustError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';
import { KeyStore as KeyStoreImpl } from '../keys/keystore.js';
import { defaultPassphraseProvider, type PassphraseProvider } from '../keys/passphrase.js';
import {
  defaultExpires,
  delegationRole,
  fileMetaOf,
  signMetadata,
  snapshotBody,
  targetsBody,
  timestampBody,
} from '../metadata/build.js';
import type {
  DelegationRoleJson,
  FileMetaJson,
  KeyJson,
  Metadata,
  RootBody,
  RootMetadata,
  SnapshotMetadata,
  TargetsBody,
  TargetsMetadata,
  TimestampMetadata,
} from '../metadata/model.js';
import { setOwn } from '../metadata/parse.js';
import type { ImageReference } from '../reference.js';
import { NotaryServerStore } from '../transport/notary-server.js';
import { loadAllTargetsRoles } from '../trust/lookup.js';
import { Updater } from '../trust/updater.js';
import { heldSigners, holdsAny } from './keys.js';

/** Options of every operation that writes trust data: `TrustOptions` plus keys and passphrases. */
export interface PublishOptions extends TrustOptions {
  /** Where passphrases come from (default: environment, then a terminal prompt). */
  passphrase?: PassphraseProvider;
  /** PBKDF2 iterations for key files written by this call (default 1,000,000). */
  keyIterations?: number;
  /** Key store to use (default: `<trustDir>/private`). */
  keystore?: KeyStore;
  /** Attempts when a concurrent publisher wins the race (default 3). */
  maxAttempts?: number;
}

/** The verified state of a repository, as the workflows edit it. */
export interface RepoState {
  readonly ctx: RepositoryContext;
  readonly keystore: KeyStore;
  readonly root: RootMetadata;
  readonly snapshot: SnapshotMetadata;
  readonly timestamp: TimestampMetadata;
  /** `targets` and every delegation that has metadata. */
  readonly targets: ReadonlyMap<string, TargetsMetadata>;
}

/** What a workflow changes. Bodies are unsigned; `publishEdit` signs them. */
export interface Edit {
  root?: RootBody;
  /** Extra signers for the new root (the old root keys during a root rotation). */
  rootSigners?: Signer[];
  /** New bodies of targets roles (`targets`, `targets/releases`, ...). */
  targets?: Map<string, TargetsBody>;
  /** Delegation roles whose metadata is dropped from the snapshot. */
  removedRoles?: string[];
}

export function keystoreFor(ctx: { trustDir: string }, opts: PublishOptions): KeyStore {
  if (opts.keystore) return opts.keystore;
  const o: ConstructorParameters<typeof KeyStoreImpl>[1] = {};
  if (opts.passphrase) o.passphrase = opts.passphrase;
  else if (opts.env) o.passphrase = defaultPassphraseProvider({ env: opts.env });
  if (opts.keyIterations !== undefined) o.iterations = opts.keyIterations;
  return new KeyStoreImpl(ctx.trustDir, o);
}

/** The verified state, or null when the repository has no trust data yet. */
export async function loadState(ctx: RepositoryContext, keystore: KeyStore): Promise<RepoState | null> {
  const updater = new Updater(ctx.store, ctx.cache, ctx.policy);
  try {
    await updater.refresh();
  } catch (e) {
    if (e instanceof TrustError && e.code === 'NO_TRUST_DATA') return null;
    throw e;
  }
  const roles = await loadAllTargetsRoles(updater);
  await updater.commit();
  const set = updater.trusted;
  return {
    ctx,
    keystore,
    root: set.root,
    snapshot: set.snapshot!,
    timestamp: set.timestamp!,
    targets: new Map(roles.map((md) => [md.role, md])),
  };
}

// ---------------------------------------------------------------- Go-shaped bodies

function fileMetaGo(m: FileMetaJson): FileMetaJson {
  const out: FileMetaJson = { hashes: { ...m.hashes }, length: m.length };
  if (m.custom !== undefined && m.custom !== null) out.custom = m.custom;
  return out;
}

function keysGo(keys: Record<string, KeyJson>): Record<string, KeyJson> {
  const out: Record<string, KeyJson> = {};
  for (const [id, k] of Object.entries(keys)) {
    out[id] = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
  }
  return out;
}

/** A copy of a targets body with only the fields Go's `Targets` struct has (unknown fields dropped). */
export function editableTargets(body: TargetsBody | undefined, role: string): TargetsBody {
  const targets: Record<string, FileMetaJson> = {};
  for (const [name, m] of Object.entries(body?.targets ?? {})) setOwn(targets, name, fileMetaGo(m));
  const roles: DelegationRoleJson[] = (body?.delegations.roles ?? []).map((r) =>
    delegationRole(r.name, r.keyids, r.paths ?? [], r.threshold),
  );
  return targetsBody(targets, (body?.version ?? 0) + 1, defaultExpires(role), {
    keys: keysGo(body?.delegations.keys ?? {}),
    roles,
  });
}

/** A copy of the root body, next version, renewed expiry, Go's fields only. */
export function editableRoot(root: RootMetadata): RootBody {
  const s = root.signed;
  const roles: RootBody['roles'] = {};
  for (const [name, r] of Object.entries(s.roles))
    roles[name] = { keyids: [...r.keyids], threshold: r.threshold };
  return {
    _type: 'Root',
    consistent_snapshot: s.consistent_snapshot,
    expires: defaultExpires('root'),
    keys: keysGo(s.keys),
    roles,
    version: s.version + 1,
  };
}

/** Root keys by id for a body we built (only usable, parsed keys). */
function keysOf(
  body: RootBody | TargetsBody,
  fallback: ReadonlyMap<string, TufPublicKey>,
): Map<string, TufPublicKey> {
  const listed = body._type === 'Root' ? body.keys : body.delegations.keys;
  const out = new Map<string, TufPublicKey>();
  for (const id of Object.keys(listed)) {
    const k = fallback.get(id);
    if (k) out.set(id, k);
  }
  return out;
}

// ---------------------------------------------------------------- signing and publishing

async function signersFor(
  keystore: KeyStore,
  role: string,
  keyids: readonly string[],
  threshold: number,
  keys: ReadonlyMap<string, TufPublicKey>,
): Promise<Signer[]> {
  const signers = await heldSigners(keystore, keyids, keys);
  if (signers.length < threshold) {
    throw new LocalError(
      'KEY_NOT_FOUND',
      signers.length === 0
        ? `no private key for ${role} in the trust dir (${keystore.privateDir}); it needs one of [${keyids.join(', ')}]`
        : `${role} needs ${threshold} signatures, the trust dir holds keys for ${signers.length}`,
      { role, expected: String(threshold), actual: String(signers.length) },
    );
  }
  return signers;
}

/** Every key known to the state, plus keys introduced by the edit. */
function allKeys(
  state: RepoState,
  extra: ReadonlyMap<string, TufPublicKey> = new Map(),
): Map<string, TufPublicKey> {
  const out = new Map<string, TufPublicKey>(state.root.keys);
  for (const md of state.targets.values()) for (const [id, k] of md.keys) out.set(id, k);
  for (const [id, k] of extra) out.set(id, k);
  return out;
}

/** Fails (before anything is uploaded) when neither this trust dir nor the store can sign `role`. */
async function requireServerSigning(state: RepoState, role: 'snapshot' | 'timestamp'): Promise<void> {
  const store = state.ctx.store;
  if (store instanceof NotaryServerStore) return; // notary-server signs, or rejects the upload itself
  if ((await store.getServerKey(role)) !== null) return;
  throw new LocalError(
    'KEY_NOT_FOUND',
    `the ${role} key of ${state.ctx.ref.gun} is not in the trust dir (${state.keystore.privateDir}), and ` +
      `${store.description} cannot sign ${role}s: a local repository is published by whoever holds its ` +
      'snapshot and timestamp keys',
    { role },
  );
}

export interface PublishResult {
  /** Roles uploaded, in order. */
  roles: string[];
}

/**
 * Signs the edit and publishes it. `newKeys` lists public keys the edit
 * introduces (so their signatures and ids can be resolved).
 */
export async function publishEdit(
  state: RepoState,
  edit: Edit,
  newKeys: ReadonlyMap<string, TufPublicKey> = new Map(),
): Promise<PublishResult> {
  const known = allKeys(state, newKeys);
  const ks = state.keystore;
  const files: { role: string; md: Metadata }[] = [];

  // root: signed by its own root keys (and, on rotation, the previous ones)
  const rootBodyNow = edit.root ?? state.root.signed;
  const rootKeys = keysOf(rootBodyNow, known);
  if (edit.root) {
    const r = edit.root.roles.root!;
    const own = await signersFor(ks, 'root', r.keyids, r.threshold, rootKeys);
    const extra = (edit.rootSigners ?? []).filter((s) => !own.some((o) => o.publicKey.id === s.publicKey.id));
    files.push({ role: 'root', md: signMetadata('root', edit.root, [...extra, ...own]) });
  }

  // targets roles, parents before children so delegation keys resolve from the edited parent
  const bodies = edit.targets ?? new Map<string, TargetsBody>();
  const order = [...bodies.keys()].sort((a, b) => a.split('/').length - b.split('/').length);
  for (const role of order) {
    const body = bodies.get(role)!;
    let keyids: readonly string[];
    let threshold: number;
    let keys: Map<string, TufPublicKey>;
    if (role === 'targets') {
      const r = rootBodyNow.roles.targets!;
      keyids = r.keyids;
      threshold = r.threshold;
      keys = rootKeys;
    } else {
      const parentName = role.slice(0, role.lastIndexOf('/'));
      const parent = bodies.get(parentName) ?? state.targets.get(parentName)?.signed;
      const d = parent?.delegations.roles.find((x) => x.name === role);
      if (!parent || !d)
        throw new LocalError('USAGE', `${parentName} does not delegate to ${role}`, { role });
      keyids = d.keyids;
      threshold = d.threshold;
      keys = keysOf(parent, known);
    }
    files.push({ role, md: signMetadata(role, body, await signersFor(ks, role, keyids, threshold, keys)) });
  }

  if (files.length === 0) return { roles: [] };

  // snapshot and timestamp: signed here when this trust dir holds their keys, else the server makes
  // them; a store that signs nothing (a local directory) would otherwise publish unreferenced files
  const snapRole = rootBodyNow.roles.snapshot!;
  if (!(await holdsAny(ks, snapRole.keyids, rootKeys))) {
    await requireServerSigning(state, 'snapshot');
  } else {
    const meta: Record<string, FileMetaJson> = {};
    for (const [name, m] of Object.entries(state.snapshot.signed.meta)) setOwn(meta, name, fileMetaGo(m));
    for (const f of files) setOwn(meta, f.role, fileMetaOf(f.md.wireBytes()));
    for (const r of edit.removedRoles ?? []) delete meta[r];
    const body = snapshotBody(meta, state.snapshot.version + 1, defaultExpires('snapshot'));
    const signers = await signersFor(ks, 'snapshot', snapRole.keyids, snapRole.threshold, rootKeys);
    const snap = signMetadata('snapshot', body, signers);
    files.push({ role: 'snapshot', md: snap });
    const tsRole = rootBodyNow.roles.timestamp!;
    if (await holdsAny(ks, tsRole.keyids, rootKeys)) {
      const tsBody = timestampBody(
        snap.wireBytes(),
        state.timestamp.version + 1,
        defaultExpires('timestamp'),
      );
      const tsSigners = await signersFor(ks, 'timestamp', tsRole.keyids, tsRole.threshold, rootKeys);
      files.push({ role: 'timestamp', md: signMetadata('timestamp', tsBody, tsSigners) });
    } else {
      await requireServerSigning(state, 'timestamp');
    }
  }

  const upload = files.map((f) => ({ role: f.role, bytes: f.md.wireBytes() }));
  try {
    await state.ctx.store.publish(upload);
  } catch (e) {
    if (
      e instanceof PublishError &&
      e.code === 'PUBLISH_REJECTED' &&
      !files.some((f) => f.role === 'snapshot')
    ) {
      // notary-server signs the snapshot only when it holds the repository's snapshot key
      throw new PublishError(
        e.code,
        `${e.message} (this trust dir holds no snapshot key of ${state.ctx.ref.gun}, so the snapshot was ` +
          'left to the server; if another client holds it, publish from there or move it to the server ' +
          "with 'trust key rotate IMAGE snapshot --server-managed')",
        { ...(e.actual !== undefined ? { actual: e.actual } : {}), cause: e },
      );
    }
    throw e;
  }
  return { roles: files.map((f) => f.role) };
}

/**
 * After a publish that the server accepted: fetch and verify what it now
 * serves, and cache only that. A verification failure here is an error (the
 * server serves something that does not verify); a network failure is not:
 * the change landed, and the next call refreshes the cache.
 */
export async function refreshAfterPublish(ctx: RepositoryContext, keystore: KeyStore): Promise<void> {
  try {
    await loadState(ctx, keystore);
  } catch (e) {
    if (e instanceof NetworkError) return;
    throw e;
  }
}

/**
 * Runs `change` against the current verified state and publishes it; when a
 * concurrent publisher got there first (CONFLICT), waits a little, refetches
 * and re-applies, up to `maxAttempts`; after that the CONFLICT is thrown (a
 * change is never dropped silently). Afterwards the local cache is refreshed
 * from the server.
 */
export async function mutate<T>(
  reference: string | ImageReference,
  opts: PublishOptions,
  change: (state: RepoState) => Promise<{ edit: Edit; newKeys?: Map<string, TufPublicKey>; result: T }>,
): Promise<T> {
  const ctx = repositoryContext(reference, opts);
  const keystore = keystoreFor(ctx, opts);
  const max = opts.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const state = await loadState(ctx, keystore);
    if (!state) {
      throw new PublishError('NO_TRUST_DATA', `${ctx.ref.gun} has no trust data yet: run 'trust init' first`);
    }
    const { edit, newKeys, result } = await change(state);
    try {
      await publishEdit(state, edit, newKeys);
    } catch (e) {
      if (e instanceof TrustError && e.code === 'CONFLICT' && attempt < max) {
        await sleep(25 * attempt + Math.floor(Math.random() * 75 * attempt));
        continue;
      }
      throw e;
    }
    await refreshAfterPublish(ctx, keystore);
    return result;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
