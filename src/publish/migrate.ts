/**
 * Migration off a Notary server (issue 11): `trust migrate IMAGE --server NOTARY_URL --to registry`.
 *
 * 1. The Notary repository is verified with the Notary client path (the trust state machine over the
 *    server, or with `fromCache` over the verified metadata already in the trust dir, offline).
 * 2. The same signed tags are published as a TUF 1.0 repository in the registry (Docker's layout),
 *    signed with the root and tagging keys from the trust dir (the Notary root key, ECDSA P-256 with a
 *    certificate, is listed as a bare `ecdsa`/`ecdsa-sha2-nistp256` key) and new publisher-held
 *    snapshot and timestamp keys (the Notary server held the old ones).
 *    The new snapshot and timestamp keys join the key store only for the push, and are removed when
 *    it fails (unless the registry may hold the new state: a repository must keep its keys).
 * 3. The GUN's recorded source in the trust dir switches to the registry location: the Notary cache
 *    moves to `<trustDir>/tuf/<gun>/notary-metadata` and the new root becomes the trusted root.
 *
 * Delegations (`targets/releases`, `targets/<signer>`, and nested ones such as `targets/releases/qa`,
 * delegated by the parent their name says) are carried with their keys, threshold and paths when the
 * trust dir holds a threshold of their private keys (their tags are re-signed by those keys) and their
 * parent is carried. A delegated role whose keys the trust dir lacks cannot be re-signed, and a TUF 1.0 client
 * refuses a delegated role that the snapshot does not list, so such a role is not carried: its tags
 * (and any tag whose resolved digest would change because of it) are reported as dropped, and the
 * migration is refused (KEY_NOT_FOUND) unless `force`.
 */

import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { recordedRegistryLocation } from '../client/registry-source.js';
import { TufUpdater } from '../client/tuf-updater.js';
import { repositoryContext, type TrustOptions, updateOptionsFor } from '../context/repository.js';
import { bareKeyOf } from '../crypto/keys.js';
import type { PrivateKeyHandle } from '../crypto/signers.js';
import { tuf1KeyId } from '../crypto/tuf1.js';
import type { TufPublicKey } from '../crypto/types.js';
import { olpcCanonicalBytes } from '../encoding/olpc.js';
import { encodePem } from '../encoding/pem.js';
import { LocalError, NetworkError, PublishError, TrustError, VerificationError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';
import type { TargetsMetadata } from '../metadata/model.js';
import { RELEASES_ROLE } from '../metadata/roles.js';
import { type ImageReference, parseReference } from '../reference.js';
import { resolveTrustDir } from '../storage/trust-dir.js';
import { buildMetadataManifest } from '../transport/oci/layout.js';
import { formatLocation, isRegistryServer } from '../transport/oci/location.js';
import { loadAllTargetsRoles, toSignedTarget } from '../trust/lookup.js';
import type { TrustedMetadataSet } from '../trust/trusted-set.js';
import { Updater } from '../trust/updater.js';
import { createKey } from './keys.js';
import { type RegistryPublishOptions, registryContext, writePin } from './registry.js';
import { keystoreFor } from './repository.js';
import { type Tuf1PublicKey, type Tuf1Scheme, tuf1KeyOf, tuf1Signer } from './tuf1/keys.js';
import { Tuf1Writer } from './tuf1/writer.js';

/** Options of `migrateRepository`: the registry destination, the Notary source (or the local cache), and what to accept. */
export interface MigrateOptions extends RegistryPublishOptions {
  /** Where to publish: `registry` (the image's repository, tag `tuf-metadata`) or `oci://HOST[:PORT]/REPO[:TAG]`. */
  to: string;
  /** Notary server URL of the source (default: docker's rule for the image's registry). */
  server?: string;
  /** Migrate from the verified Notary metadata in the trust dir, without the Notary server. */
  fromCache?: boolean;
  /**
   * With `fromCache`: accept cached metadata that has expired since it was verified. It is then
   * re-verified (signatures, thresholds, hashes, versions) as of the time the cache was written.
   */
  allowExpired?: boolean;
  /** Publish even when tags would be dropped (delegated roles whose keys the trust dir lacks). */
  force?: boolean;
}

/** A tag carried from the Notary repository to the registry, with the role that signed it. */
export interface MigratedTag {
  tag: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  /** Role that signs it in the new repository. */
  role: string;
}

/** A tag that `migrateRepository` could not carry over, and why. */
export interface DroppedTag {
  tag: string;
  digest: string;
  /** Notary role that signed it. */
  role: string;
  reason: string;
}

/** What `migrateRepository` published: tags carried and dropped, the new root key id to pin, the registry location. */
export interface MigrateResult {
  repository: string;
  /** The registry location published to (`oci://...`). */
  location: string;
  /** TUF 1.0 key id of the root key: pin this (`trust_pinning.certs`). */
  rootKeyId: string;
  /** Digest of the metadata manifest pushed. */
  digest: string;
  /** Every tag as `trust verify` resolves it (releases before targets), carried over. */
  carried: MigratedTag[];
  /** Tags not carried (or whose resolved digest would change), with the reason. */
  dropped: DroppedTag[];
  /** Delegated roles carried with their keys, threshold and paths. */
  delegations: string[];
  /** Delegated roles not carried, with the reason. */
  skippedDelegations: Array<{ role: string; reason: string }>;
  /** Where the Notary state came from. */
  source: 'server' | 'cache';
  /** Age in ms of the Notary state used (now minus when the cached timestamp was written); 0 online. */
  sourceAgeMs: number;
  /** True when the cached state had expired and was accepted with `allowExpired`. */
  sourceExpired: boolean;
}

// ---------------------------------------------------------------- reading the Notary repository

interface NotaryState {
  set: TrustedMetadataSet;
  roles: TargetsMetadata[];
  ageMs: number;
  expired: boolean;
}

async function verifyNotary(ref: ImageReference, opts: MigrateOptions): Promise<NotaryState> {
  const now = opts.now ?? Date.now;
  const base: TrustOptions = { ...opts, offline: opts.fromCache === true };
  if (opts.server !== undefined) base.server = opts.server;
  else delete base.server;
  let ageMs = 0;
  let writtenAt: number | undefined;
  if (opts.fromCache) {
    const probe = repositoryContext(ref, base);
    const ts = join(probe.cache.dir, 'timestamp.json');
    if (!existsSync(join(probe.cache.dir, 'root.json')) || !existsSync(ts)) {
      throw new VerificationError(
        'NO_TRUST_DATA',
        `no verified Notary metadata for ${ref.gun} in ${probe.cache.dir} (--from-cache needs a trust dir that verified it)`,
      );
    }
    writtenAt = (await stat(ts)).mtimeMs;
    ageMs = Math.max(0, now() - writtenAt);
  }
  const run = async (o: TrustOptions) => {
    const ctx = repositoryContext(ref, o);
    const updater = new Updater(ctx.store, ctx.cache, ctx.policy, updateOptionsFor(ctx, o));
    const set = await updater.refresh();
    const roles = await loadAllTargetsRoles(updater, ctx.context.limits.maxDelegations);
    if (!o.offline) await updater.commit();
    return { set, roles };
  };
  try {
    return { ...(await run(base)), ageMs, expired: false };
  } catch (e) {
    if (
      opts.fromCache &&
      (e instanceof NetworkError || (e instanceof TrustError && e.code === 'NO_TRUST_DATA'))
    ) {
      // Offline, the state machine asks for a file only when the cached one does not verify
      // (it answers NO_TRUST_DATA: the cache lacks it).
      throw new VerificationError(
        'BAD_METADATA',
        `the cached Notary metadata of ${ref.gun} is incomplete or does not verify (${e.message})`,
        { cause: e },
      );
    }
    if (!(opts.fromCache && e instanceof TrustError && e.code === 'EXPIRED' && writtenAt !== undefined))
      throw e;
    if (!opts.allowExpired) {
      throw new VerificationError(
        'EXPIRED',
        `the cached Notary metadata of ${ref.gun} is ${describeAge(ageMs)} old and has expired (${e.message}); ` +
          'pass --allow-expired to migrate it as verified at that time',
        { cause: e },
      );
    }
    // Everything but freshness is checked again: signatures, thresholds, hashes, versions, as of the
    // moment the cache was written (when this trust dir verified it online).
    const at = writtenAt;
    return { ...(await run({ ...base, now: () => at })), ageMs, expired: true };
  }
}

export function describeAge(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.round(ms / 60_000)} minutes`;
  if (h < 48) return `${Math.round(h)} hours`;
  return `${Math.round(h / 24)} days`;
}

// ---------------------------------------------------------------- keys

/** How a Notary public key (bare or x509) is listed in TUF 1.0 metadata (public part only). */
export function tuf1PublicKeyOf(key: TufPublicKey): Tuf1PublicKey {
  const bare = bareKeyOf(key);
  const raw = Buffer.from(bare.publicB64, 'base64');
  let keytype: Tuf1PublicKey['keytype'];
  let scheme: Tuf1Scheme;
  let pub: string;
  if (bare.keytype === 'ed25519') {
    keytype = 'ed25519';
    scheme = 'ed25519';
    pub = raw.toString('hex');
  } else if (bare.keytype === 'ecdsa' || bare.keytype === 'rsa') {
    pub = encodePem({ type: 'PUBLIC KEY', bytes: new Uint8Array(raw) });
    if (bare.keytype === 'rsa') {
      keytype = 'rsa';
      scheme = 'rsassa-pss-sha256';
    } else {
      const curve = createPublicKey({ key: raw, format: 'der', type: 'spki' }).asymmetricKeyDetails
        ?.namedCurve;
      if (curve !== 'prime256v1' && curve !== 'secp384r1') {
        throw new LocalError(
          'BAD_KEY',
          `key ${key.id.slice(0, 7)}: TUF 1.0 lists ECDSA P-256 and P-384 only`,
        );
      }
      keytype = 'ecdsa';
      scheme = curve === 'prime256v1' ? 'ecdsa-sha2-nistp256' : 'ecdsa-sha2-nistp384';
    }
  } else {
    throw new LocalError('BAD_KEY', `key ${key.id.slice(0, 7)}: ${bare.keytype} has no TUF 1.0 form`);
  }
  const keyid = tuf1KeyId({ keytype, scheme, keyval: { public: pub } }, olpcCanonicalBytes);
  return Object.freeze({ keyid, keytype, scheme, public: pub });
}

/** Private keys the key store holds for a role's key ids (x509 ids map to their bare key file). */
async function heldHandles(
  keystore: KeyStore,
  keyids: readonly string[],
  keys: ReadonlyMap<string, TufPublicKey>,
): Promise<PrivateKeyHandle[]> {
  const out: PrivateKeyHandle[] = [];
  for (const id of keyids) {
    const key = keys.get(id);
    if (!key) continue;
    const bare = bareKeyOf(key);
    if (!(await keystore.get(bare.id))) continue;
    out.push((await keystore.load(bare.id)).key);
  }
  return out;
}

/** Notary path prefixes as TUF 1.0 glob patterns (`""` matches everything); undefined if impossible. */
function globsOf(paths: readonly string[] | undefined): string[] | undefined {
  if (!paths || paths.length === 0) return [];
  const out: string[] = [];
  for (const p of paths) {
    if (/[*?[\]\\]/.test(p)) return undefined;
    out.push(`${p}*`);
  }
  return out;
}

// ---------------------------------------------------------------- migrate

/**
 * Verifies IMAGE's repository on its Notary server (or, with `fromCache`, the verified metadata in the
 * trust dir) and publishes the same signed tags, with the delegations whose keys the trust dir holds,
 * as a TUF 1.0 repository at `to` (registry-hosted trust, Docker's layout). Then the GUN's recorded
 * source in the trust dir is the registry location. Refuses (KEY_NOT_FOUND) when the root or tagging
 * key is missing, or when a tag would be dropped unless `force`; refuses (CONFLICT) when `to` already
 * has trust data. Returns the new root key id to pin.
 */
export async function migrateRepository(
  reference: string | ImageReference,
  opts: MigrateOptions,
): Promise<MigrateResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  if (!isRegistryServer(opts.to)) {
    throw new LocalError('USAGE', '--to must be registry or oci://HOST[:PORT]/REPO[:TAG]');
  }
  if (opts.server !== undefined && isRegistryServer(opts.server)) {
    throw new LocalError(
      'USAGE',
      '--server names the Notary server to migrate from (--to names the registry)',
    );
  }
  const gun = ref.gun;
  const now = opts.now ?? Date.now;
  const recorded = recordedRegistryLocation(resolveTrustDir(opts.trustDir, opts.env ?? process.env), gun);
  if (recorded !== undefined) {
    throw new PublishError(
      'CONFLICT',
      `${gun} is already registry-hosted in this trust dir (${recorded}); its Notary metadata is in tuf/<gun>/notary-metadata`,
    );
  }
  const state = await verifyNotary(ref, opts);
  const { set, roles } = state;

  // The target registry location: never overwrite existing trust data.
  const rctx = registryContext(ref, { ...opts, server: opts.to });
  const existing = await rctx.client.headManifest(rctx.location.repository, rctx.location.tag);
  if (existing !== null) {
    throw new PublishError(
      'CONFLICT',
      `${formatLocation(rctx.location)} already has trust data (${existing})`,
    );
  }
  const keystore = keystoreFor({ trustDir: rctx.trustDir }, opts);

  // Root and tagging keys from the trust dir.
  const rootRole = set.root.signed.roles.root!;
  const rootHandles = await heldHandles(keystore, rootRole.keyids, set.root.keys);
  if (rootHandles.length === 0) {
    throw new LocalError(
      'KEY_NOT_FOUND',
      `the root key of ${gun} is not in the trust dir (${keystoreDir(rctx.trustDir)})`,
    );
  }
  const targetsSet = set.keySetFor('targets');
  const targetsHandles = await heldHandles(keystore, targetsSet.keyids, targetsSet.keys);
  if (targetsHandles.length < targetsSet.threshold) {
    throw new LocalError(
      'KEY_NOT_FOUND',
      `the targets (tagging) key of ${gun} is not in the trust dir (it holds ${targetsHandles.length} of threshold ${targetsSet.threshold})`,
    );
  }
  // Every targets key and the threshold carry over (the trust dir signs with the ones it holds).
  const targetsKeys = targetsSet.keyids
    .filter((id) => targetsSet.keys.has(id))
    .map((id) => tuf1PublicKeyOf(targetsSet.keys.get(id)!));

  // What `trust verify` resolves today: releases before targets; other delegations by name.
  const byRole = new Map(roles.map((md) => [md.role, md] as const));
  const tagsOf = (md: TargetsMetadata) => {
    const paths = md.role === 'targets' ? undefined : set.keySetFor(md.role).paths;
    const out = new Map<string, { digest: string; size: number }>();
    for (const [name, meta] of Object.entries(md.signed.targets)) {
      if (md.role !== 'targets' && !(paths ?? []).some((p) => name.startsWith(p))) continue;
      const t = toSignedTarget(name, meta, md, []);
      out.set(name, { digest: t.digest, size: t.size });
    }
    return out;
  };

  // Delegations: carried when a threshold of their keys is held and their paths translate.
  const carriedRoles: Array<{
    md: TargetsMetadata;
    parent: string;
    keys: Tuf1PublicKey[];
    threshold: number;
    paths: string[];
    handles: PrivateKeyHandle[];
  }> = [];
  const skipped: Array<{ role: string; reason: string }> = [];
  for (const md of roles) {
    if (md.role === 'targets') continue;
    // Notary names say the parent (`targets/releases/qa` is delegated by `targets/releases`);
    // roles come breadth first, so a parent is decided before its children.
    const parent = md.role.slice(0, md.role.lastIndexOf('/'));
    if (parent !== 'targets' && !carriedRoles.some((r) => r.md.role === parent)) {
      skipped.push({ role: md.role, reason: `its parent ${parent} is not carried` });
      continue;
    }
    const ks = set.keySetFor(md.role);
    const handles = await heldHandles(keystore, ks.keyids, ks.keys);
    if (handles.length < ks.threshold) {
      skipped.push({
        role: md.role,
        reason: `the trust dir holds ${handles.length} of its keys, threshold ${ks.threshold}: it cannot be re-signed`,
      });
      continue;
    }
    const paths = globsOf(ks.paths);
    if (paths === undefined || paths.length === 0) {
      skipped.push({ role: md.role, reason: 'its paths have no TUF 1.0 glob form' });
      continue;
    }
    const keys = ks.keyids.filter((id) => ks.keys.has(id)).map((id) => tuf1PublicKeyOf(ks.keys.get(id)!));
    carriedRoles.push({ md, parent, keys, threshold: ks.threshold, paths, handles });
  }
  const carriedNames = new Set(carriedRoles.map((r) => r.md.role));

  const resolve = (withRoles: (role: string) => boolean) => {
    const m = new Map<string, { digest: string; size: number; role: string }>();
    const top = byRole.get('targets');
    if (top) for (const [t, v] of tagsOf(top)) m.set(t, { ...v, role: 'targets' });
    const rel = byRole.get(RELEASES_ROLE);
    if (rel && withRoles(RELEASES_ROLE))
      for (const [t, v] of tagsOf(rel)) m.set(t, { ...v, role: RELEASES_ROLE });
    return m;
  };
  const before = resolve(() => true);
  const after = resolve((r) => carriedNames.has(r));
  const carried: MigratedTag[] = [];
  const dropped: DroppedTag[] = [];
  for (const [tag, v] of before) {
    const a = after.get(tag);
    if (a && a.digest === v.digest) carried.push({ tag, digest: v.digest, size: v.size, role: v.role });
    else {
      const why = skipped.find((s) => s.role === v.role)?.reason ?? 'not carried';
      dropped.push({
        tag,
        digest: v.digest,
        role: v.role,
        reason: a
          ? `${v.role} is not carried (${why}); targets would resolve it to ${a.digest}`
          : `${v.role} is not carried (${why})`,
      });
    }
  }
  // Tags only in other delegations (consulted with --roles): carried with their role, or dropped.
  for (const md of roles) {
    if (md.role === 'targets' || md.role === RELEASES_ROLE) continue;
    if (carriedNames.has(md.role)) continue;
    for (const [tag, v] of tagsOf(md)) {
      const why = skipped.find((s) => s.role === md.role)?.reason ?? 'not carried';
      dropped.push({ tag, digest: v.digest, role: md.role, reason: `${md.role} is not carried (${why})` });
    }
  }
  if (dropped.length > 0 && !opts.force) {
    throw new LocalError(
      'KEY_NOT_FOUND',
      `migrating ${gun} would drop ${dropped.length} signed tag(s): ${dropped
        .slice(0, 5)
        .map((d) => `${d.tag} (${d.reason})`)
        .join('; ')}${dropped.length > 5 ? '; ...' : ''}; import the missing keys or pass --force`,
    );
  }

  // The new repository. Its snapshot and timestamp keys are written as pending files (a killed run
  // leaves nothing a later run keeps: KeyStore.cleanup) and become part of the key store just before
  // the push; a push that fails removes them again unless the registry may hold the new state.
  const snapshot = await createKey(keystore, 'ecdsa', 'snapshot', gun, { pending: true });
  const timestamp = await createKey(keystore, 'ecdsa', 'timestamp', gun, { pending: true });
  const newKeyIds = [snapshot.publicKey.id, timestamp.publicKey.id];
  const committed: string[] = [];
  let files: Array<{ name: string; bytes: Uint8Array }> = [];
  let commit: ReturnType<Tuf1Writer['commit']>;
  let pushed: { digest: string };
  const rootKey = tuf1KeyOf(rootHandles[0]!);
  try {
    const writer = Tuf1Writer.init({
      gun,
      keys: {
        root: [rootKey],
        targets: targetsKeys,
        snapshot: [tuf1KeyOf(snapshot)],
        timestamp: [tuf1KeyOf(timestamp)],
      },
      thresholds: { targets: targetsSet.threshold },
    });
    const top = byRole.get('targets');
    if (top) {
      for (const [tag, v] of tagsOf(top)) {
        writer.addTarget(
          tag,
          { length: v.size, hashes: { sha256: v.digest.slice('sha256:'.length) } },
          'targets',
        );
      }
    }
    for (const r of carriedRoles) {
      writer.addDelegation(
        { name: r.md.role, keys: r.keys, threshold: r.threshold, paths: r.paths },
        r.parent,
      );
      for (const [tag, v] of tagsOf(r.md)) {
        writer.addTarget(
          tag,
          { length: v.size, hashes: { sha256: v.digest.slice('sha256:'.length) } },
          r.md.role,
        );
      }
    }
    const signers = [
      rootHandles[0]!,
      ...targetsHandles,
      snapshot,
      timestamp,
      ...carriedRoles.flatMap((r) => r.handles),
    ];
    commit = writer.commit(signers.map(tuf1Signer), {
      now: now(),
      ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
    });
    files = [...commit.files].map(([name, bytes]) => ({ name, bytes }));
    for (const id of newKeyIds) {
      await keystore.commitPending(id);
      committed.push(id);
    }
    pushed = await rctx.store.pushFiles(files, { base: null });
  } catch (e) {
    await dropNewKeys(keystore, newKeyIds, committed, async () => {
      const current = await rctx.client.headManifest(rctx.location.repository, rctx.location.tag);
      return current === null || current !== buildMetadataManifest(files).digest;
    });
    throw e;
  }

  // Switch the GUN's recorded source: the Notary cache moves aside, the new root is trusted.
  const gunDir = join(rctx.trustDir, 'tuf', ...gun.split('/'));
  const metaDir = join(gunDir, 'metadata');
  const aside = join(gunDir, 'notary-metadata');
  if (existsSync(metaDir)) {
    await rm(aside, { recursive: true, force: true });
    await rename(metaDir, aside);
  }
  const root1 = commit.files.get('1.root.json');
  if (!root1) throw new PublishError('BAD_METADATA', 'the new repository has no 1.root.json');
  TufUpdater.init(metaDir, root1);
  await writePin(rctx, pushed.digest);

  const carriedTags = [...carried];
  for (const r of carriedRoles) {
    if (r.md.role === RELEASES_ROLE) continue;
    for (const [tag, v] of tagsOf(r.md))
      carriedTags.push({ tag, digest: v.digest, size: v.size, role: r.md.role });
  }
  return {
    repository: gun,
    location: formatLocation(rctx.location),
    rootKeyId: rootKey.keyid,
    digest: pushed.digest,
    carried: carriedTags,
    dropped,
    delegations: carriedRoles.map((r) => r.md.role),
    skippedDelegations: skipped,
    source: opts.fromCache ? 'cache' : 'server',
    sourceAgeMs: state.ageMs,
    sourceExpired: state.expired,
  };
}

/**
 * Removes the keys a failed migration created: pending ones always; committed ones only when the
 * registry is known not to hold the new state (`gone`), since a repository without its snapshot
 * and timestamp keys could never be refreshed. When that cannot be told, the keys stay.
 */
async function dropNewKeys(
  keystore: KeyStore,
  ids: readonly string[],
  committed: readonly string[],
  gone: () => Promise<boolean>,
): Promise<void> {
  for (const id of ids) if (!committed.includes(id)) await keystore.discardPending(id);
  if (committed.length === 0) return;
  let safe = false;
  try {
    safe = await gone();
  } catch {
    safe = false;
  }
  if (!safe) return;
  for (const id of committed) await keystore.remove(id).catch(() => undefined);
}

function keystoreDir(trustDir: string): string {
  return join(trustDir, 'private');
}
