/**
 * Publishing registry-hosted trust data (issue 11): TUF 1.0 repositories written by the TUF 1.0
 * writer (src/publish/tuf1) and stored in the registry in Docker's layout (src/transport/oci).
 *
 * There is no server to hold snapshot and timestamp keys: the publisher holds every key, encrypted in
 * the trust dir's key store like the tagging key. Every change is one state pushed as one manifest;
 * registries have no compare-and-swap, so a publish that loses a race (the tag moved before or after
 * our push, see OciMetadataStore.pushFiles) refetches the state, re-applies the edit and retries.
 *
 * Loading the state to edit: the writer re-signs what it loads, so it must only load a state it can
 * trust. Until the TUF 1.0 client is wired in (`verifyState`), the state must be exactly the one this
 * trust dir last published or verified (pinned by manifest digest in
 * `<trustDir>/tuf/<gun>/registry.json`); anything else is refused rather than re-signed.
 */

import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryRecordPath, registryServerFor } from '../client/registry-source.js';
import { pinnedStartRoot, verifyRegistryState, withDeadline } from '../client/registry-verify.js';
import { TufUpdater } from '../client/tuf-updater.js';
import type { PrivateKeyAlgorithm } from '../crypto/signers.js';
import { canonicalJson } from '../encoding/canonical.js';
import { LocalError, PublishError, TrustError, VerificationError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';
import { RELEASES_ROLE } from '../metadata/roles.js';
import { type Tuf1KeyJson, targetPathMatches } from '../metadata/tuf1.js';
import { type ImageReference, parseReference } from '../reference.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { resolveTrustDir } from '../storage/trust-dir.js';
import { defaultCredentials } from '../transport/credentials.js';
import { type BundleManifest, collectForBundle, writeBundle } from '../transport/oci/bundle.js';
import type { OciCache } from '../transport/oci/cache.js';
import { OciRegistryClient } from '../transport/oci/distribution.js';
import { formatLocation, type MetadataLocation, metadataLocation } from '../transport/oci/location.js';
import { OciMetadataStore } from '../transport/oci/registry-store.js';
import { MAX_BUNDLE_BYTES } from '../transport/oci/tar.js';
import { RegistryClient } from '../transport/registry.js';
import { checkTuf1RootGun } from '../trust/tuf1-pins.js';
import { createKey, rootKeyFor } from './keys.js';
import { keystoreFor, type PublishOptions } from './repository.js';
import { tuf1KeyEntries, tuf1SignersFromKeyStore } from './tuf1/fs.js';
import { type Tuf1Signer, tuf1KeyOf, tuf1Signer } from './tuf1/keys.js';
import { type Tuf1CommitResult, type Tuf1ExpiryKind, Tuf1Writer } from './tuf1/writer.js';
import type { RevokeResult } from './workflows.js';

/** Largest metadata file loaded back for editing (a 10 000-tag targets role is ~2 MiB). */
const MAX_FILE_BYTES = 16 << 20;

/** Options of the registry-hosted publishing workflows (init, sign, revoke, refresh, export). */
export interface RegistryPublishOptions extends PublishOptions {
  /** Expiry lifetimes of what is signed (defaults: TUF1_DEFAULT_EXPIRY_MS). */
  expiresIn?: Partial<Record<Tuf1ExpiryKind, number>>;
  /** Local copy of manifests and blobs (the warm path). */
  cache?: OciCache;
  /** Custom distribution client (tests: a proxy in front of the registry). */
  client?: OciRegistryClient;
  /**
   * Verifies a registry state before it is edited and re-signed (the TUF 1.0 client, once wired).
   * Default: only the state this trust dir last published or verified (pinned by digest) is accepted.
   */
  verifyState?: (state: RegistryStateFiles) => Promise<void>;
  /**
   * After a push, wait this long and check the tag again (lost updates by concurrent publishers that
   * push after our read-back); it must exceed a concurrent publisher's load-to-push time. Default 500.
   */
  settleMs?: number;
}

/** A registry state: every metadata file of the manifest under the tag. */
export interface RegistryStateFiles {
  gun: string;
  location: MetadataLocation;
  /** Digest of the metadata manifest. */
  digest: string;
  files: ReadonlyMap<string, Uint8Array>;
}

/** A repository's registry location, client, store, trust dir and key store. */
export interface RegistryContext {
  readonly ref: ImageReference;
  readonly location: MetadataLocation;
  readonly client: OciRegistryClient;
  readonly store: OciMetadataStore;
  readonly trustDir: string;
  readonly keystore: KeyStore;
}

/** Resolves a reference and options (`server`: `registry` or `oci://...`) into a registry context. */
export function registryContext(
  reference: string | ImageReference,
  opts: RegistryPublishOptions,
): RegistryContext {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const env = opts.env ?? process.env;
  const location = metadataLocation(opts.server ?? 'registry', ref);
  const client =
    opts.client ??
    new OciRegistryClient({
      registry: location.registry,
      credentials:
        opts.credentials === undefined ? defaultCredentials(location.registry, env) : opts.credentials,
      ...(opts.http ? { http: opts.http } : {}),
      ...(opts.tlsCaCert ? { ca: opts.tlsCaCert } : {}),
      ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
    });
  const store = new OciMetadataStore({ client, location, ...(opts.cache ? { cache: opts.cache } : {}) });
  const trustDir = resolveTrustDir(opts.trustDir, env);
  return { ref, location, client, store, trustDir, keystore: keystoreFor({ trustDir }, opts) };
}

// ---------------------------------------------------------------- the published-state pin

/** Versions of the top-level roles of a state (a pin keeps them: a later state never goes below). */
type PinVersions = Partial<Record<'root' | 'timestamp' | 'snapshot' | 'targets', number>>;

interface Pin {
  location: string;
  digest: string;
  versions?: PinVersions;
}

const VERSIONED_FILE = /^([1-9][0-9]{0,15})\.(root|snapshot|targets)\.json$/;

/** The highest version of each top-level role among `files` (timestamp.json read for its version). */
function versionsOf(...sets: ReadonlyArray<ReadonlyMap<string, Uint8Array>>): PinVersions {
  const out: PinVersions = {};
  const bump = (role: keyof PinVersions, v: number) => {
    if (Number.isSafeInteger(v) && v > (out[role] ?? 0)) out[role] = v;
  };
  for (const files of sets) {
    for (const [name, bytes] of files) {
      const m = VERSIONED_FILE.exec(name);
      if (m) bump(m[2] as keyof PinVersions, Number(m[1]));
      else if (name === 'timestamp.json') {
        try {
          const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { version?: unknown } })
            .signed?.version;
          if (typeof v === 'number') bump('timestamp', v);
        } catch {
          // not JSON: verification refuses it
        }
      }
    }
  }
  return out;
}

/** Role by role, the higher version of `a` and `b`. */
function higherOf(a: PinVersions, b: PinVersions): PinVersions {
  const out: PinVersions = { ...a };
  for (const [role, v] of Object.entries(b) as Array<[keyof PinVersions, number]>) {
    if (v > (out[role] ?? 0)) out[role] = v;
  }
  return out;
}

function pinPath(ctx: RegistryContext): string {
  return registryRecordPath(ctx.trustDir, ctx.ref.gun);
}

/** The state this trust dir last published or verified at the context's location, if any. */
export async function readPin(ctx: RegistryContext): Promise<Pin | null> {
  let text: string;
  try {
    text = await readFile(pinPath(ctx), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LocalError('IO', `cannot read ${pinPath(ctx)}`, { cause: e });
  }
  try {
    const p = JSON.parse(text) as Partial<Pin>;
    if (typeof p.location === 'string' && typeof p.digest === 'string') {
      const versions: PinVersions = {};
      if (typeof p.versions === 'object' && p.versions !== null) {
        for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
          const v = p.versions[role];
          if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) versions[role] = v;
        }
      }
      return { location: p.location, digest: p.digest, versions };
    }
  } catch {
    // fall through
  }
  throw new LocalError('CONFIG', `${pinPath(ctx)} is not a registry state record`);
}

export async function writePin(ctx: RegistryContext, digest: string, versions?: PinVersions): Promise<void> {
  const path = pinPath(ctx);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const pin: Pin = { location: formatLocation(ctx.location), digest, ...(versions ? { versions } : {}) };
  await writeFileAtomic(path, `${JSON.stringify(pin)}\n`, { mode: 0o600 });
}

export { registryServerFor } from '../client/registry-source.js';

// ---------------------------------------------------------------- loading and the retry loop

/** Every file of the current state (null when the location has no trust data). */
export async function fetchState(ctx: RegistryContext): Promise<RegistryStateFiles | null> {
  ctx.store.refresh();
  const m = await ctx.store.manifest();
  if (m === null) return null;
  const files = new Map<string, Uint8Array>();
  for (const name of m.files.keys()) {
    const bytes = await ctx.store.getMeta(name, MAX_FILE_BYTES);
    if (bytes !== null) files.set(name, bytes);
  }
  return { gun: ctx.ref.gun, location: ctx.location, digest: m.digest, files };
}

/**
 * Accepts a state to edit: the one this trust dir last published or verified (pinned by digest), or
 * one the TUF 1.0 client verifies from the trust dir's trusted root (when the trust dir has none: the
 * root a pin in `pinning.certs` signs, else trust on first use of `1.root.json`), top-level roles
 * and every delegation of `targets`.
 */
async function defaultVerify(
  ctx: RegistryContext,
  state: RegistryStateFiles,
  pinning?: RegistryPublishOptions['pinning'],
): Promise<PinVersions> {
  const pin = await readPin(ctx);
  if (pin !== null && pin.location === formatLocation(ctx.location)) {
    if (pin.digest === state.digest) return pin.versions ?? {};
    // Another state than the one this trust dir last published there: never an older one (a registry
    // serving an old state would otherwise get it re-signed with fresh snapshot/timestamp versions).
    const got = versionsOf(state.files);
    for (const [role, v] of Object.entries(pin.versions ?? {}) as Array<[keyof PinVersions, number]>) {
      if ((got[role] ?? 0) < v) {
        throw new VerificationError(
          'ROLLBACK',
          `${formatLocation(ctx.location)}: ${role} version ${got[role] ?? 'none'} is below version ${v}, which this trust dir published or verified there`,
          { role, expected: `>= ${v}`, actual: String(got[role] ?? 'none') },
        );
      }
    }
  }
  const metaDir = join(registryRecordPath(ctx.trustDir, ctx.ref.gun), '..', 'metadata');
  if (!existsSync(join(metaDir, 'root.json'))) {
    const root = state.files.get('1.root.json');
    if (!root)
      throw new VerificationError('BAD_METADATA', `${formatLocation(ctx.location)} has no 1.root.json`);
    // pinned: the root the pin signs (then the rotation chain), never first use of 1.root.json
    const pins = pinning?.certs?.[ctx.ref.gun];
    const start =
      pins && pins.length > 0
        ? await pinnedStartRoot(
            async (v) => state.files.get(`${v}.root.json`) ?? null,
            pins,
            ctx.ref.gun,
            formatLocation(ctx.location),
          )
        : root;
    checkTuf1RootGun(start, ctx.ref.gun);
    TufUpdater.init(metaDir, start);
  }
  const updater = new TufUpdater({
    metadataDir: metaDir,
    metadataBaseUrl: 'https://registry.invalid/metadata/',
    fetcher: {
      fetch: async (url, maxBytes) => {
        const bytes = state.files.get(url.slice(url.lastIndexOf('/') + 1));
        if (bytes && bytes.byteLength > maxBytes) {
          throw new VerificationError(
            'TOO_LARGE',
            `${url.slice(url.lastIndexOf('/') + 1)} is over ${maxBytes} bytes`,
          );
        }
        return bytes ?? null;
      },
    },
    checkRoot: (bytes, previous) => checkTuf1RootGun(bytes, ctx.ref.gun, previous),
  });
  await updater.refresh();
  for (const d of updater.trustedRole('targets')?.delegations ?? []) {
    await updater.getTargetInfoIn('\u0000', d.name, 'targets');
  }
  // the versions the client verified, not the highest file names the state holds (a registry could add
  // a `999.root.json` no client ever reads, and the record would then refuse every honest state)
  return updater.trustedVersions();
}

async function loadWriter(
  ctx: RegistryContext,
  opts: RegistryPublishOptions,
): Promise<{ writer: Tuf1Writer; digest: string; versions: PinVersions }> {
  const state = await fetchState(ctx);
  if (state === null) {
    throw new VerificationError(
      'NO_TRUST_DATA',
      `no trust data for ${ctx.ref.gun} at ${formatLocation(ctx.location)} (create it with trust init)`,
    );
  }
  let versions: PinVersions;
  if (opts.verifyState) {
    await opts.verifyState(state);
    versions = versionsOf(state.files); // the caller's verifier vouches for the state as served
  } else {
    versions = await defaultVerify(ctx, state, opts.pinning);
  }
  return { writer: Tuf1Writer.fromFiles(state.files), digest: state.digest, versions };
}

/** Every key entry of the repository except the root role's own: the root key stays offline. */
export function onlineKeyEntries(writer: Tuf1Writer): Record<string, Tuf1KeyJson> {
  const all = tuf1KeyEntries(writer);
  const root = writer.root;
  const used = new Set<string>();
  for (const r of ['targets', 'snapshot', 'timestamp'] as const)
    for (const id of root.roles[r].keyids) used.add(id);
  for (const role of writer.targetsRoles) {
    for (const d of writer.targetsOf(role).delegations?.roles ?? []) for (const id of d.keyids) used.add(id);
  }
  return Object.fromEntries(Object.entries(all).filter(([id]) => used.has(id)));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Default wait before re-checking the tag after a push (see `settleMs`). */
export const DEFAULT_SETTLE_MS = 500;

/** What a publishing workflow did. */
export interface RegistryPublishResult<T> {
  /** Digest of the metadata manifest now under the tag (unchanged when nothing needed signing). */
  digest: string;
  /** Roles re-signed, with their new versions (empty when nothing changed). */
  signed: ReadonlyMap<string, number>;
  result: T;
}

/** An edit for mutateRegistry. */
export interface RegistryEdit<T> {
  /**
   * Applies the change to the loaded state; returns what to report, or null when the state already
   * has the change (nothing to publish). Must be idempotent: it is also how a publisher checks, after
   * a lost race, whether its change survived.
   */
  apply(writer: Tuf1Writer): Promise<T | null>;
  /** Signs what changed (default: `commit`). */
  sign?(writer: Tuf1Writer, signers: Tuf1Signer[]): Tuf1CommitResult;
  /** Re-check after `settleMs` that the change survived concurrent publishers (default true). */
  confirm?: boolean;
  /** Runs after signing, right before the push (e.g. new keys join the trust dir before they are used). */
  beforePush?(): Promise<void>;
}

/**
 * Loads the state, applies the edit, signs, and pushes the new files on top of the loaded state. A
 * lost update is retried up to `maxAttempts` (refetch, re-apply): one detected by the push itself
 * (the tag moved before the PUT or is not ours right after it), and one that happens later, while
 * another publisher that loaded the same state pushes after our read-back: after `settleMs` the tag
 * is checked again and, when it moved, the new state is loaded and the edit re-applied to it; when
 * it still needs the change, the change was lost and is published again.
 */
export async function mutateRegistry<T>(
  ctx: RegistryContext,
  opts: RegistryPublishOptions,
  edit: RegistryEdit<T>,
): Promise<RegistryPublishResult<T>> {
  const max = Math.max(1, opts.maxAttempts ?? 3);
  const settle = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const now = () => (opts.now ?? Date.now)();
  let outcome: RegistryPublishResult<T> | undefined;
  for (let attempt = 1; ; attempt++) {
    const { writer, digest, versions } = await loadWriter(ctx, opts);
    const result = await edit.apply(writer);
    if (result === null) {
      await writePin(ctx, digest, versions);
      // Already there: either nothing to do, or a lost-looking update that survived after all.
      return outcome ? { ...outcome, digest } : { digest, signed: new Map(), result: null as T };
    }
    const signers = await tuf1SignersFromKeyStore(ctx.keystore, onlineKeyEntries(writer));
    const commit = edit.sign
      ? edit.sign(writer, signers)
      : writer.commit(signers, { now: now(), ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}) });
    if (commit.files.size === 0) {
      await writePin(ctx, digest, versions);
      return { digest, signed: commit.signed, result };
    }
    await edit.beforePush?.();
    try {
      const pushed = await ctx.store.pushFiles(
        [...commit.files].map(([name, bytes]) => ({ name, bytes })),
        { base: digest },
      );
      await writePin(ctx, pushed.digest, higherOf(versions, versionsOf(commit.files)));
      outcome = { digest: pushed.digest, signed: commit.signed, result };
    } catch (e) {
      if (e instanceof TrustError && e.code === 'CONFLICT' && attempt < max) {
        await sleep(50 * attempt + randomInt(0, 150));
        continue;
      }
      throw e;
    }
    if (edit.confirm === false || settle <= 0) return outcome;
    await sleep(settle);
    const current = await ctx.client.headManifest(ctx.location.repository, ctx.location.tag);
    if (current === outcome.digest) return outcome;
    if (attempt >= max) {
      throw new PublishError(
        'CONFLICT',
        `${formatLocation(ctx.location)} was changed by another publisher right after this publish; ` +
          'run the command again to check that the change is still there',
      );
    }
    // Loop: reload the newer state; `apply` returns null when our change is in it.
  }
}

// ---------------------------------------------------------------- workflows

/** Options of initRegistryRepository. */
export interface RegistryInitOptions extends RegistryPublishOptions {
  /** Algorithm of the new tagging (targets) key (default ed25519, as the Notary path). */
  targetsAlgorithm?: PrivateKeyAlgorithm;
}

/** What initRegistryRepository created. */
export interface RegistryInitResult {
  repository: string;
  location: string;
  /** TUF 1.0 key id of the root key (pin this). */
  rootKeyId: string;
  targetsKeyId: string;
  digest: string;
}

/**
 * Creates registry-hosted trust data: the root key (reused from the trust dir, else new ECDSA P-256),
 * a new tagging key, and publisher-held snapshot and timestamp keys (ECDSA P-256), all in the trust
 * dir's key store; root v1, empty targets, snapshot and timestamp pushed as one manifest.
 */
export async function initRegistryRepository(
  reference: string | ImageReference,
  opts: RegistryInitOptions = {},
): Promise<RegistryInitResult> {
  const ctx = registryContext(reference, opts);
  const current = await ctx.client.headManifest(ctx.location.repository, ctx.location.tag);
  if (current !== null) {
    throw new PublishError('CONFLICT', `${formatLocation(ctx.location)} already has trust data (${current})`);
  }
  const gun = ctx.ref.gun;
  const root = (await rootKeyFor(ctx.keystore, opts.rootKeyId)).handle;
  const targets = await createKey(ctx.keystore, opts.targetsAlgorithm ?? 'ed25519', 'targets', gun);
  const snapshot = await createKey(ctx.keystore, 'ecdsa', 'snapshot', gun);
  const timestamp = await createKey(ctx.keystore, 'ecdsa', 'timestamp', gun);
  const writer = Tuf1Writer.init({
    gun,
    keys: {
      root: [tuf1KeyOf(root)],
      targets: [tuf1KeyOf(targets)],
      snapshot: [tuf1KeyOf(snapshot)],
      timestamp: [tuf1KeyOf(timestamp)],
    },
  });
  const commit = writer.commit([root, targets, snapshot, timestamp].map(tuf1Signer), {
    now: (opts.now ?? Date.now)(),
    ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
  });
  const pushed = await ctx.store.pushFiles(
    [...commit.files].map(([name, bytes]) => ({ name, bytes })),
    { base: null },
  );
  await writePin(ctx, pushed.digest, versionsOf(commit.files));
  return {
    repository: gun,
    location: formatLocation(ctx.location),
    rootKeyId: tuf1KeyOf(root).keyid,
    targetsKeyId: tuf1KeyOf(targets).keyid,
    digest: pushed.digest,
  };
}

/** A tag to sign, with its manifest digest and size when known. */
export interface RegistryTagToSign {
  /** `IMAGE:TAG` */
  reference: string;
  /** `sha256:<hex>`; resolved from the registry with `size` and the media type when absent. */
  digest?: string;
  size?: number;
  mediaType?: string;
}

/** A tag signRegistryTags signed. */
export interface RegistrySignedTag {
  reference: string;
  tag: string;
  digest: string;
  size: number;
  /** The role that answers for the tag: `targets/releases` when it is among `roles`. */
  role: string;
  /** Every role the tag was signed into (docker's rule: each held delegation, else `targets`). */
  roles: string[];
}

async function resolveTags(tags: readonly RegistryTagToSign[], opts: RegistryPublishOptions) {
  const out: Array<Required<Omit<RegistryTagToSign, 'reference'>> & { reference: string; tag: string }> = [];
  const clients = new Map<string, RegistryClient>();
  for (const t of tags) {
    const r = parseReference(t.reference);
    if (!r.tag || r.digest) throw new LocalError('USAGE', `${t.reference}: sign needs IMAGE:TAG`);
    let { digest, size, mediaType } = t;
    if (digest === undefined || size === undefined) {
      let client = clients.get(r.registry);
      if (!client) {
        client = new RegistryClient({
          registry: r.registry,
          credentials:
            opts.credentials === undefined
              ? defaultCredentials(r.registry, opts.env ?? process.env)
              : opts.credentials,
          ...(opts.tlsCaCert ? { ca: opts.tlsCaCert } : {}),
          ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
        });
        clients.set(r.registry, client);
      }
      const m = await client.resolveManifest(r.repository, r.tag);
      if (!m) throw new LocalError('USAGE', `${r.name}:${r.tag} is not in the registry (no manifest)`);
      digest = m.digest;
      size = m.size;
      mediaType ??= m.mediaType;
    }
    if (!/^sha256:[a-f0-9]{64}$/.test(digest) || !Number.isSafeInteger(size) || size < 0) {
      throw new LocalError('USAGE', `${t.reference}: invalid digest or size`);
    }
    out.push({ reference: `${r.name}:${r.tag}`, tag: r.tag, digest, size, mediaType: mediaType ?? '' });
  }
  return out;
}

/**
 * docker's rule, as the Notary path's signingPlan: a tag goes into every direct delegation of
 * `targets` the trust dir holds a key for and whose paths allow it (`targets/releases` and
 * `targets/NAME`), else into `targets` when the trust dir holds the repository key.
 */
async function signingPlan(
  writer: Tuf1Writer,
  keystore: KeyStore,
  gun: string,
): Promise<(tag: string) => string[]> {
  const d = writer.targetsOf('targets').delegations;
  const held: Array<{ name: string; paths: readonly string[] }> = [];
  for (const r of Array.isArray(d?.roles) ? d.roles : []) {
    if (r.name.split('/').length !== 2 || r.paths === undefined) continue;
    const keys = Object.fromEntries(r.keyids.filter((id) => d?.keys[id]).map((id) => [id, d!.keys[id]!]));
    if ((await tuf1SignersFromKeyStore(keystore, keys)).length > 0)
      held.push({ name: r.name, paths: r.paths });
  }
  const root = writer.root;
  const tk = Object.fromEntries(
    root.roles.targets.keyids.filter((id) => root.keys[id]).map((id) => [id, root.keys[id]!]),
  );
  const holdsTargets = (await tuf1SignersFromKeyStore(keystore, tk)).length > 0;
  return (tag) => {
    const out = held.filter((r) => r.paths.some((p) => targetPathMatches(tag, p))).map((r) => r.name);
    if (out.length > 0) return out;
    if (holdsTargets) return ['targets'];
    throw new LocalError(
      'KEY_NOT_FOUND',
      `no key in the trust dir can sign ${JSON.stringify(tag)} in ${gun}`,
    );
  };
}

/** Signs tags of ONE repository in one publish (target = tag, length and sha256 of the image manifest). */
export async function signRegistryTags(
  tags: readonly RegistryTagToSign[],
  opts: RegistryPublishOptions & {
    initIfMissing?: boolean;
    /** Told when `initIfMissing` created the trust data (which keys; the root key id to pin). */
    onInit?: (result: RegistryInitResult) => void;
  } = {},
): Promise<RegistryPublishResult<RegistrySignedTag[]>> {
  if (tags.length === 0) throw new LocalError('USAGE', 'no tags to sign');
  const first = parseReference(tags[0]!.reference);
  for (const t of tags) {
    if (parseReference(t.reference).gun !== first.gun) {
      throw new LocalError('USAGE', 'all tags signed in one call must belong to one repository');
    }
  }
  const resolved = await resolveTags(tags, opts);
  const ctx = registryContext(first, opts);
  if (
    opts.initIfMissing &&
    (await ctx.client.headManifest(ctx.location.repository, ctx.location.tag)) === null
  ) {
    // not `opts.onInit?.(await init...)`: an optional call skips evaluating its arguments
    const created = await initRegistryRepository(first, opts);
    opts.onInit?.(created);
  }
  const rolesOf = new Map<string, string[]>();
  const out = await mutateRegistry(ctx, opts, {
    apply: async (writer) => {
      const plan = await signingPlan(writer, ctx.keystore, ctx.ref.gun);
      let changed = false;
      for (const t of resolved) {
        const info = {
          length: t.size,
          hashes: { sha256: t.digest.slice('sha256:'.length) },
          ...(t.mediaType ? { custom: { mediaType: t.mediaType } } : {}),
        };
        const roles = plan(t.tag);
        rolesOf.set(t.tag, roles);
        for (const role of roles) {
          const have = writer.targetsOf(role).targets[t.tag];
          if (have && canonicalJson(have) === canonicalJson(info)) continue;
          writer.addTarget(t.tag, info, role);
          changed = true;
        }
      }
      return changed ? true : null;
    },
  });
  return {
    ...out,
    result: resolved.map((t) => {
      const roles = rolesOf.get(t.tag) ?? [];
      return {
        reference: t.reference,
        tag: t.tag,
        digest: t.digest,
        size: t.size,
        role: roles.includes(RELEASES_ROLE) ? RELEASES_ROLE : (roles[0] ?? 'targets'),
        roles,
      };
    }),
  };
}

/** Every targets role this trust dir can sign: `targets` and each delegation it holds a key for. */
async function writableRoles(writer: Tuf1Writer, keystore: KeyStore): Promise<string[]> {
  const out: string[] = [];
  const entries = (ids: readonly string[], keys: Readonly<Record<string, Tuf1KeyJson>> | undefined) =>
    Object.fromEntries(ids.filter((id) => keys?.[id]).map((id) => [id, keys![id]!]));
  const root = writer.root;
  if ((await tuf1SignersFromKeyStore(keystore, entries(root.roles.targets.keyids, root.keys))).length > 0)
    out.push('targets');
  for (const role of writer.targetsRoles) {
    const d = writer.targetsOf(role).delegations;
    for (const r of Array.isArray(d?.roles) ? d.roles : []) {
      if ((await tuf1SignersFromKeyStore(keystore, entries(r.keyids, d?.keys))).length > 0) out.push(r.name);
    }
  }
  return [...new Set(out)];
}

/** The role that answers for `tag`, in docker's order (targets/releases, then targets), and its digest. */
function answeringRole(writer: Tuf1Writer, tag: string): { role: string; digest: string } | null {
  const rel = writer.targetsOf('targets').delegations?.roles;
  const releases = Array.isArray(rel) ? rel.find((r) => r.name === RELEASES_ROLE) : undefined;
  const allows =
    releases !== undefined &&
    (releases.paths === undefined || releases.paths.some((p) => targetPathMatches(tag, p)));
  for (const role of allows ? [RELEASES_ROLE, 'targets'] : ['targets']) {
    if (!writer.targetsRoles.includes(role)) continue;
    const t = writer.targetsOf(role).targets;
    const hex = Object.hasOwn(t, tag) ? t[tag]?.hashes.sha256 : undefined;
    if (hex) return { role, digest: `sha256:${hex}` };
  }
  return null;
}

/**
 * Removes trust for a tag (or every tag when IMAGE has none) from every role this trust dir can sign
 * (`targets` and the delegations it holds a key for), publishes, and reports per role what it removed
 * and whether the tag still verifies afterwards (through a role this trust dir cannot sign), like the
 * Notary path's revokeTag. Nothing to remove: NOT_SIGNED.
 */
export async function revokeRegistryTag(
  reference: string,
  opts: RegistryPublishOptions = {},
): Promise<RegistryPublishResult<RevokeResult>> {
  const ref = parseReference(reference);
  if (ref.digest) throw new LocalError('USAGE', `${reference}: revoke needs IMAGE or IMAGE:TAG`);
  const explicitTag = /:[\w][\w.-]*$/.test(reference.split('/').pop() ?? '') ? ref.tag : undefined;
  const ctx = registryContext(ref, opts);
  let last: Tuf1Writer | undefined;
  let result: RevokeResult | undefined;
  const out = await mutateRegistry(ctx, opts, {
    apply: async (writer) => {
      last = writer;
      const roles = await writableRoles(writer, ctx.keystore);
      if (roles.length === 0) {
        throw new LocalError(
          'KEY_NOT_FOUND',
          `no key in the trust dir can sign ${ctx.ref.gun}: neither the repository key nor a signer key`,
        );
      }
      const perRole: RevokeResult['roles'] = [];
      const removed = new Set<string>();
      for (const role of roles) {
        const gone = Object.keys(writer.targetsOf(role).targets).filter(
          (name) => explicitTag === undefined || name === explicitTag,
        );
        for (const name of gone) {
          writer.removeTarget(name, role);
          removed.add(name);
        }
        perRole.push({ role, removed: gone.sort() });
      }
      if (removed.size === 0) {
        if (result) return null; // our earlier push is in this state
        const answer = explicitTag === undefined ? null : answeringRole(writer, explicitTag);
        throw new PublishError(
          'NOT_SIGNED',
          `${reference}: no signed tag to revoke in the roles this trust dir can sign (${roles.join(', ')})` +
            (answer
              ? `; it is signed in ${answer.role}, whose keys this trust dir does not hold: revoke it from a trust dir that does`
              : ''),
        );
      }
      result = { reference, removed: [...removed].sort(), roles: perRole, stillVerifies: false };
      return result;
    },
  });
  const done = (out.result ?? result) as RevokeResult;
  // `last` holds the state now published (the commit made it the writer's committed state)
  if (last && explicitTag !== undefined) {
    const answer = answeringRole(last, explicitTag);
    return { ...out, result: answer ? { ...done, stillVerifies: true, verifiedBy: answer } : done };
  }
  const still = last ? done.removed.filter((t) => answeringRole(last!, t) !== null) : [];
  return { ...out, result: { ...done, stillVerifies: still.length > 0, stillSigned: still } };
}

/** Options of refreshRegistryRepository. */
export interface RegistryRefreshOptions extends RegistryPublishOptions {
  /** Re-sign a role expiring within this window (timestamp: always). */
  renewWithin?: Partial<Record<Exclude<Tuf1ExpiryKind, 'timestamp'>, number>>;
}

/**
 * Re-signs the timestamp (and snapshot, targets roles, root when they expire within their renew
 * window and the trust dir holds their keys) for a cron job or CI schedule. Returns the roles that
 * expire soon but could not be re-signed.
 */
export async function refreshRegistryRepository(
  reference: string,
  opts: RegistryRefreshOptions = {},
): Promise<RegistryPublishResult<ReadonlyMap<string, string>>> {
  const ctx = registryContext(reference, opts);
  let expiring: ReadonlyMap<string, string> = new Map();
  const out = await mutateRegistry(ctx, opts, {
    apply: async () => true,
    sign: (writer, signers) => {
      const r = writer.refresh(signers, {
        now: (opts.now ?? Date.now)(),
        ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
        ...(opts.renewWithin ? { renewWithin: opts.renewWithin } : {}),
      });
      expiring = r.expiring;
      return r;
    },
    confirm: false,
  });
  return { ...out, result: expiring };
}

// ---------------------------------------------------------------- offline bundles

/** What exportBundle wrote. */
export interface ExportResult {
  output: string;
  bytes: number;
  repositories: Array<{
    gun: string;
    location: string;
    digest: string;
    files: number;
    /** Docker-layout per-role manifests included (their tags), when the repository uses them. */
    roleManifests?: string[];
  }>;
}

/**
 * Writes the registry-hosted trust data of each image's repository into one OCI image layout tarball.
 * Each repository is verified first, with the same checks as verify, from this trust dir's trusted
 * (or pinned, or first-use) root: the top-level roles, every delegated role reachable from
 * `targets`, and each tag given (`IMAGE:TAG` must be signed). Unverifiable state is refused and
 * nothing is written. The bundle holds exactly the verified manifests: the main one and Docker's
 * per-role manifests the client read, with every blob (length and digest checked). The file is
 * replaced atomically.
 */
export async function exportBundle(
  images: readonly string[],
  output: string,
  opts: RegistryPublishOptions = {},
): Promise<ExportResult> {
  const manifests: BundleManifest[] = [];
  const blobs = new Map<string, Uint8Array>();
  const repositories: ExportResult['repositories'] = [];
  const byGun = new Map<string, { ref: ImageReference; tags: string[] }>();
  for (const image of images) {
    const ref = parseReference(image);
    if (ref.digest !== undefined) throw new LocalError('USAGE', `${image}: export takes IMAGE[:TAG]`);
    const entry = byGun.get(ref.gun) ?? { ref, tags: [] };
    // a bare IMAGE exports the repository (parseReference reads it as :latest, which is not required)
    if (ref.tag !== undefined && /:[\w][\w.-]*$/.test(image.split('/').pop() ?? '')) entry.tags.push(ref.tag);
    byGun.set(ref.gun, entry);
  }
  // one bundle that `verify --bundle` can read: the reader's size cap (less index.json and oci-layout)
  let budget = MAX_BUNDLE_BYTES - (64 << 10);
  for (const { ref, tags } of byGun.values()) {
    const server =
      (await registryServerFor(ref, opts)) ?? (opts.server === undefined ? 'registry' : undefined);
    if (server === undefined) {
      throw new LocalError(
        'USAGE',
        `${ref.gun}: export reads registry-hosted trust data (--server registry or oci://...)`,
      );
    }
    const { store, deadlineAt } = await verifyRegistryState(ref, tags, { ...opts, server, offline: false });
    // the blobs the client did not read (older versions...) within the same overall deadline
    const got = await collectForBundle(
      store,
      ref.gun,
      (digest, size) => withDeadline(() => store.getBlob(digest, size, MAX_FILE_BYTES), deadlineAt, digest),
      budget,
    );
    budget -= got.bytes;
    manifests.push(got.manifest, ...got.roleManifests);
    for (const [d, b] of got.blobs) blobs.set(d, b);
    repositories.push({
      gun: ref.gun,
      location: formatLocation(store.location),
      digest: got.parsed.digest,
      files: got.parsed.files.size,
      ...(got.roleManifests.length > 0 ? { roleManifests: got.roleManifests.map((m) => m.tag) } : {}),
    });
  }
  const tar = writeBundle(manifests, blobs);
  await writeFileAtomic(output, tar, { mode: 0o644 });
  return { output, bytes: tar.byteLength, repositories };
}
