/**
 * The publishing core: load the verified state of a repository, apply an
 * edit, sign what changed with the keys the trust dir holds, publish, and on
 * a conflict with a concurrent publisher start again from the server's state
 * (bounded). Documents are rebuilt with exactly the fields Notary's Go structs
 * have, so notary-server's re-serialisation of what we upload is identical.
 */

import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type RepositoryContext, repositoryContext, type TrustOptions } from '../context/repository.js';
import { bareKeyOf } from '../crypto/keys.js';
import type { Signer, TufPublicKey } from '../crypto/types.js';
import { inKeyOrder } from '../encoding/canonical.js';
import { LocalError, NetworkError, PublishError, TrustError, VerificationError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';
import { type PassphraseProvider, shortKeyId } from '../keys/passphrase.js';
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
import { parseTargets, setOwn } from '../metadata/parse.js';
import { keyOwnerNames } from '../metadata/roles.js';
import type { ImageReference } from '../reference.js';
import { NotaryServerStore } from '../transport/notary-server.js';
import { checkFileMeta, listedSha256Hex } from '../trust/filemeta.js';
import { loadAllTargetsRoles } from '../trust/lookup.js';
import { prepareKeys, validSignerIds } from '../trust/signatures.js';
import { Updater } from '../trust/updater.js';
import { heldSigners, holdsAny, keystoreFor } from './keys.js';

export { keystoreFor } from './keys.js';

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
  /**
   * The repository's root key id (the id root.json lists, or the id of the key
   * file): anchors a root this trust dir has not verified before. `init`: the
   * root key to use (default: a new one).
   */
  rootKeyId?: string;
  /** Told about things that went wrong after a publish landed (the command still succeeded). */
  onWarning?: (message: string) => void;
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
  /** How the root is anchored: cached by an earlier verified run, pinned, named by `rootKeyId`, signed by a held root key. */
  readonly anchor: RootAnchor | 'first-use';
}

export type RootAnchor = 'cache' | 'pinned' | 'root-key-id' | 'held-root-key';

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

/**
 * The verified state, or null when the repository has no trust data yet.
 * `requireAnchor`: a root this trust dir never verified (no cached root) must
 * be anchored before anything is built on it (pinned, named by `rootKeyId`, or
 * signed by a root key the trust dir holds); otherwise UNTRUSTED_ROOT, and the
 * cache is left untouched. Without that, a server could serve a forged root and
 * forged targets and have the publisher re-sign its entries with real keys.
 */
export async function loadState(
  ctx: RepositoryContext,
  keystore: KeyStore,
  options: { requireAnchor?: boolean; rootKeyId?: string; published?: ReadonlyMap<string, Uint8Array> } = {},
): Promise<RepoState | null> {
  const cachedRoot = await ctx.cache.read('root');
  // the operation's context: the read-back after a publish finds the root, keys and signature
  // verdicts this operation already verified, and the operation's limits apply
  const updater = new Updater(ctx.store, ctx.cache, ctx.policy, {
    context: ctx.context,
    ...(options.published ? { published: options.published } : {}),
  });
  try {
    await updater.refresh();
  } catch (e) {
    if (e instanceof TrustError && e.code === 'NO_TRUST_DATA') return null;
    throw e;
  }
  const roles = await loadAllTargetsRoles(updater);
  const set = updater.trusted;
  let anchor: RepoState['anchor'];
  if (cachedRoot !== null) anchor = 'cache';
  else if (ctx.policy.pinnedCertIds || ctx.policy.pinnedCAs) anchor = 'pinned';
  else anchor = (await rootAnchor(set.root, keystore, options.rootKeyId)) ?? 'first-use';
  if (options.requireAnchor && anchor === 'first-use') throw untrustedRoot(ctx, set.root, options.rootKeyId);
  // a root taken on first use is never cached by the publishing side: that would anchor it for the next call
  if (anchor !== 'first-use') await updater.commit();
  return {
    ctx,
    keystore,
    root: set.root,
    snapshot: set.snapshot!,
    timestamp: set.timestamp!,
    targets: new Map(roles.map((md) => [md.role, md])),
    anchor,
  };
}

/**
 * Whether a first-seen root is vouched for by a key the publisher knows: the
 * threshold of its root role must be met by valid signatures of the key
 * `rootKeyId` names, or of root keys this trust dir holds (a root listing such
 * a key but signed by another one does not count).
 */
async function rootAnchor(
  root: RootMetadata,
  keystore: KeyStore,
  rootKeyId: string | undefined,
): Promise<RootAnchor | null> {
  const role = root.signed.roles.root!;
  const bareIds = new Map<string, string>();
  for (const id of role.keyids) {
    const key = root.keys.get(id);
    if (!key) continue;
    try {
      bareIds.set(id, bareKeyOf(key).id);
    } catch {
      // an unusable key vouches for nothing
    }
  }
  const countBy = (pick: (id: string) => boolean | Promise<boolean>) => async () => {
    const ids: string[] = [];
    for (const id of bareIds.keys()) if (await pick(id)) ids.push(id);
    if (ids.length === 0) return false;
    const { valid } = validSignerIds(root, {
      role: 'root',
      keyids: ids,
      threshold: role.threshold,
      keys: root.keys,
    });
    return valid.length >= role.threshold;
  };
  if (rootKeyId !== undefined) {
    const want = rootKeyId.toLowerCase();
    if (await countBy((id) => id === want || bareIds.get(id) === want)()) return 'root-key-id';
  }
  if (await countBy(async (id) => (await keystore.get(bareIds.get(id)!)) !== undefined)())
    return 'held-root-key';
  return null;
}

function untrustedRoot(
  ctx: RepositoryContext,
  root: RootMetadata,
  rootKeyId: string | undefined,
): VerificationError {
  const gun = ctx.ref.gun;
  const served = root.signed.roles.root!.keyids.map(shortKeyId).join(', ');
  return new VerificationError(
    'UNTRUSTED_ROOT',
    `refusing to publish to ${gun}: this trust dir has not verified its root before (no cached root), ` +
      `${
        rootKeyId === undefined
          ? 'no root key id was given'
          : rootKeyId.length < 64
            ? `--root-key ${rootKeyId} is not a whole key id (anchoring needs all 64 hex digits)`
            : `root key ${rootKeyId} did not sign the served root`
      }, ` +
      'no trust pin covers it, and the trust dir holds none of its root keys. Signing on top of an unanchored ' +
      "root would let the server have its own tags signed with your keys. Anchor the root first: pass --root-key ID (the root key id 'trust init' printed; " +
      `the server now claims ${served}), pin it in the config (trust_pinning.certs {"${gun}": ["ID"]}), ` +
      "or verify the repository once from this trust dir ('trust inspect IMAGE') after checking that id",
    { role: 'root', version: root.version },
  );
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
  /** `signed.version` of each uploaded role. */
  versions: Map<string, number>;
  /** The bytes uploaded, by role (the read-back takes them instead of downloading them again). */
  bytes?: ReadonlyMap<string, Uint8Array>;
}

/** A delegation's current metadata, as trusted now or (when no longer delegated) as the snapshot still lists it. */
async function currentMetadata(state: RepoState, role: string): Promise<TargetsMetadata | null> {
  const loaded = state.targets.get(role);
  if (loaded) return loaded;
  const meta = state.snapshot.signed.meta[role];
  if (!meta) return null;
  // not delegated today, but the server still lists it (notary-server keeps snapshot entries of deleted
  // delegations): re-creating the delegation would bring it back
  const hex = listedSha256Hex(meta);
  const bytes = await state.ctx.store.getMeta(hex ? `${role}.${hex}` : role, meta.length);
  if (!bytes) return null;
  checkFileMeta(bytes, meta, role, 'snapshot');
  return parseTargets(bytes, role);
}

export interface DelegationGap {
  role: string;
  /** Version of the metadata that would stop verifying. */
  version: number;
  /** Tags it holds (what dropping it would drop). */
  tags: string[];
  threshold: number;
  /** Key ids the delegation would list. */
  keyids: string[];
  /** True when the trust dir holds enough of those keys to re-sign it. */
  canResign: boolean;
  /** True when the metadata is trusted today (its entries may be re-signed); false: a left-over of a deleted delegation. */
  trusted: boolean;
}

/**
 * Delegations of the edited targets bodies whose current metadata would miss
 * its threshold under the edited delegation (keys removed, delegation
 * re-created) and that the edit does not re-publish.
 */
export async function delegationGaps(
  state: RepoState,
  bodies: ReadonlyMap<string, TargetsBody>,
  newKeys: ReadonlyMap<string, TufPublicKey> = new Map(),
): Promise<DelegationGap[]> {
  const known = allKeys(state, newKeys);
  const gaps: DelegationGap[] = [];
  for (const body of bodies.values()) {
    const keys = keysOf(body, known);
    for (const d of body.delegations.roles) {
      if (bodies.has(d.name)) continue;
      const md = await currentMetadata(state, d.name);
      if (!md) continue;
      const set = { role: d.name, keyids: d.keyids, threshold: d.threshold, keys };
      if (validSignerIds(md, set).valid.length >= d.threshold) continue;
      const held = await heldSigners(state.keystore, d.keyids, keys);
      gaps.push({
        role: d.name,
        version: md.version,
        tags: Object.keys(md.signed.targets).sort(),
        threshold: d.threshold,
        keyids: [...d.keyids],
        canResign: held.length >= d.threshold,
        trusted: state.targets.has(d.name),
      });
    }
  }
  return gaps;
}

/**
 * Never publish a state in which a delegation's current metadata misses its
 * threshold: re-sign each such role with keys this trust dir holds (its trusted
 * entries kept; a left-over of a deleted delegation starts empty), or refuse
 * before anything is uploaded, naming the remedy.
 */
export async function closeDelegationGaps(
  state: RepoState,
  bodies: Map<string, TargetsBody>,
  newKeys: ReadonlyMap<string, TufPublicKey> = new Map(),
  hint: (gap: DelegationGap) => string = () => '',
): Promise<void> {
  for (const gap of await delegationGaps(state, bodies, newKeys)) {
    if (!gap.canResign) {
      const body = [...bodies.values()].find((b) => b.delegations.roles.some((d) => d.name === gap.role))!;
      const owners = keyOwnerNames(body.delegations.roles, gap.keyids);
      const who = owners.join(' or ');
      const remedy = !gap.trusted
        ? `${state.ctx.store.description} still lists ${gap.role} v${gap.version} from before the delegation was ` +
          `removed; re-creating the delegation would bring it back unverifiable. Run this from a trust dir that ` +
          `holds the repository key and a key of ${who || 'the new delegation'}: it publishes a fresh, empty ${gap.role}`
        : owners.length > 0
          ? `Have ${who} re-sign ${gap.role} first (their next 'trust sign' does), or run this from a trust dir ` +
            'that also holds one of their keys'
          : `Remove ${gap.role} instead`;
      throw new LocalError(
        'KEY_NOT_FOUND',
        `refusing to publish: ${gap.role} v${gap.version} would not verify after this change (it needs ` +
          `${gap.threshold} signature(s) from ${owners.join(', ') || 'no key at all'}, and has none), which would ` +
          `make every verify of ${state.ctx.ref.gun} fail. ${remedy}${hint(gap)}`,
        { role: gap.role, expected: String(gap.threshold), actual: '0' },
      );
    }
    const md = await currentMetadata(state, gap.role);
    const body = editableTargets(gap.trusted ? md!.signed : undefined, gap.role);
    body.version = gap.version + 1;
    bodies.set(gap.role, body);
  }
}

/**
 * Signs the edit and publishes it. `newKeys` lists public keys the edit
 * introduces (so their signatures and ids can be resolved).
 */
export async function publishEdit(
  state: RepoState,
  edit: Edit,
  newKeys: ReadonlyMap<string, TufPublicKey> = new Map(),
  hooks: { beforeUpload?: () => Promise<void> } = {},
): Promise<PublishResult> {
  const known = allKeys(state, newKeys);
  if (edit.targets) await closeDelegationGaps(state, edit.targets, newKeys);
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
    // an edit appends tags and keys at the end of their maps; in canonical key order the encoder
    // writes the body in one native pass instead of member by member (issue 12: a sign re-encodes
    // the whole targets role)
    const ordered: TargetsBody = {
      ...body,
      targets: inKeyOrder(body.targets),
      delegations: { ...body.delegations, keys: inKeyOrder(body.delegations.keys) },
    };
    const signers = await signersFor(ks, role, keyids, threshold, keys);
    files.push({ role, md: signMetadata(role, ordered, signers) });
  }

  if (files.length === 0) return { roles: [], versions: new Map() };

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
    const body = snapshotBody(inKeyOrder(meta), state.snapshot.version + 1, defaultExpires('snapshot'));
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
  await hooks.beforeUpload?.();
  try {
    const posting = state.ctx.store.publish(upload);
    posting.catch(() => {}); // awaited below
    // While the server takes the upload (it signs a snapshot and timestamp for it), prepare the keys
    // the read-back verifies them with (issue 12): after one turn of the loop, so the upload is out.
    await new Promise((resolve) => setImmediate(resolve));
    const roles = rootBodyNow.roles;
    const ids = ['timestamp', 'snapshot', 'targets'].flatMap((r) => roles[r]?.keyids ?? []);
    prepareKeys(
      ids.map((id) => known.get(id)),
      state.ctx.context,
    );
    await posting;
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
  return {
    roles: files.map((f) => f.role),
    versions: new Map(files.map((f) => [f.role, f.md.version])),
    bytes: new Map(upload.map((f) => [f.role, f.bytes])),
  };
}

/**
 * After a publish that the server accepted: fetch and verify what it now
 * serves, cache only that, and check that it holds what was uploaded (a server
 * that answers 2xx but stores nothing must not make us report success):
 * PublishError PUBLISH_REJECTED when the timestamp did not move or an uploaded
 * role is older than what we sent. The publish landed otherwise, so a failure
 * to read back is a warning (`onWarning`), not an error.
 */
export async function refreshAfterPublish(
  ctx: RepositoryContext,
  keystore: KeyStore,
  expect?: { before: RepoState | null; published: PublishResult },
  onWarning?: (message: string) => void,
): Promise<RepoState | null> {
  let after: RepoState | null;
  try {
    // what the server serves now, verified from the trusted root; a role whose accepted parent lists
    // exactly the bytes we uploaded is taken from those bytes (no second download of what we sent)
    after = await loadState(
      ctx,
      keystore,
      expect?.published.bytes ? { published: expect.published.bytes } : {},
    );
  } catch (e) {
    if (e instanceof NetworkError) {
      onWarning?.(`published, but could not read ${ctx.ref.gun} back to confirm it: ${e.message}`);
      return null;
    }
    if (e instanceof TrustError) {
      onWarning?.(
        `published, but what ${ctx.store.description} now serves does not verify: ${e.code}: ${e.message}`,
      );
      return null;
    }
    throw e;
  }
  if (!expect || expect.published.roles.length === 0) return after;
  const served = (role: string): number | undefined => {
    if (!after) return undefined;
    if (role === 'root') return after.root.version;
    if (role === 'snapshot') return after.snapshot.version;
    if (role === 'timestamp') return after.timestamp.version;
    return after.targets.get(role)?.version;
  };
  const missing: string[] = [];
  for (const [role, v] of expect.published.versions) {
    const have = served(role);
    if (have === undefined || have < v)
      missing.push(`${role} v${v} (serves ${have === undefined ? 'none' : `v${have}`})`);
  }
  const tsBefore = expect.before?.timestamp.version ?? 0;
  if (!after || after.timestamp.version <= tsBefore) {
    missing.push(
      `a timestamp newer than v${tsBefore} (serves ${after ? `v${after.timestamp.version}` : 'none'})`,
    );
  }
  if (missing.length > 0) {
    throw new PublishError(
      'PUBLISH_REJECTED',
      `${ctx.store.description} accepted the upload but does not serve it: expected ${missing.join(', ')}. ` +
        'Nothing was published; check the server (storage, database) and run the command again',
    );
  }
  return after;
}

/**
 * Runs `change` against the current verified state and publishes it; when a
 * concurrent publisher got there first (CONFLICT), waits a little, refetches
 * and re-applies, up to `maxAttempts`; after that the CONFLICT is thrown (a
 * change is never dropped silently). The state must be anchored (see
 * loadState). Afterwards the server is read back and the local cache refreshed.
 */
export async function mutate<T>(
  reference: string | ImageReference,
  opts: PublishOptions,
  change: (state: RepoState) => Promise<{ edit: Edit; newKeys?: Map<string, TufPublicKey>; result: T }>,
  hooks: {
    beforeUpload?: () => Promise<void>;
    /** Sees the state the server serves after the publish (null when it could not be read back). */
    after?: (after: RepoState | null, result: T) => Promise<T>;
    /**
     * Called once when the repository has no trust data (e.g. to initialise it); the state is then
     * loaded again. One refresh for a repository that exists, not a probe and then the real one.
     */
    ifMissing?: () => Promise<void>;
  } = {},
): Promise<T> {
  const ctx = repositoryContext(reference, opts);
  const keystore = keystoreFor(ctx, opts);
  // what a killed run left: temp files in the cache, temp files and uncommitted keys in private/
  await removeLeftovers(ctx.cache.dir);
  await keystore.cleanup();
  const max = opts.maxAttempts ?? 3;
  const load = () =>
    loadState(ctx, keystore, {
      requireAnchor: true,
      ...(opts.rootKeyId === undefined ? {} : { rootKeyId: opts.rootKeyId }),
    });
  for (let attempt = 1; ; attempt++) {
    const loading = load();
    if (attempt === 1) {
      // the repository key unlocks (PBKDF2 on the thread pool) while the state is fetched and
      // checked, when its passphrase needs no prompt (KeyStore.preload) and the trust dir holds one
      // repository key for the GUN (after a rotation, which one signs is known only from the state);
      // after a turn of the loop, so that the state's first request goes out first (issue 12)
      setImmediate(() =>
        keystore
          .find({ role: 'targets', gun: ctx.ref.gun })
          .then((held) => (held.length === 1 ? keystore.preload(held[0]!.keyId) : undefined))
          .catch(() => {}),
      );
    }
    let state = await loading;
    if (!state && attempt === 1 && hooks.ifMissing) {
      await hooks.ifMissing();
      state = await load();
    }
    if (!state) {
      throw new PublishError('NO_TRUST_DATA', `${ctx.ref.gun} has no trust data yet: run 'trust init' first`);
    }
    const { edit, newKeys, result } = await change(state);
    let published: PublishResult;
    try {
      published = await publishEdit(
        state,
        edit,
        newKeys,
        hooks.beforeUpload ? { beforeUpload: hooks.beforeUpload } : {},
      );
    } catch (e) {
      if (e instanceof TrustError && e.code === 'CONFLICT' && attempt < max) {
        await sleep(25 * attempt + Math.floor(Math.random() * 75 * attempt));
        continue;
      }
      throw e;
    }
    const after = await refreshAfterPublish(ctx, keystore, { before: state, published }, opts.onWarning);
    return hooks.after ? hooks.after(after, result) : result;
  }
}

/**
 * Atomic-write temp files (`.<name>.<12 hex>.tmp`) a killed run left in the repository's metadata
 * cache, once older than a minute (younger ones may belong to a run still going). Readers ignore
 * them; this keeps them from piling up.
 */
async function removeLeftovers(dir: string, depth = 0): Promise<void> {
  // synchronous: a small local directory walked once per publish (issue 12: promise-based readdir and
  // lstat cost a thread-pool round trip each, before the first request could go out)
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && depth < 8) await removeLeftovers(path, depth + 1);
    else if (e.isFile() && /^\..+\.[0-9a-f]{12}\.tmp$/.test(e.name)) {
      const st = (() => {
        try {
          return lstatSync(path);
        } catch {
          return undefined;
        }
      })();
      if (st && Date.now() - st.mtimeMs >= 60_000) await unlink(path).catch(() => undefined);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
