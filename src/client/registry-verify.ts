/**
 * Verify-before-pull from registry-hosted trust data (issue 11): the TUF 1.0 client
 * (src/client/tuf-updater.ts) over the registry layout (src/transport/oci), or over an offline bundle.
 *
 * - Trusted metadata lives in `<trustDir>/tuf/<gun>/metadata` (TUF 1.0 cache with its `.dialect`
 *   marker: a Notary cache of the same GUN is never read as TUF 1.0, nor the other way round).
 * - First use: the root is `1.root.json` of the repository, accepted when its root keys match a
 *   pinned key id (`pinning.certs[gun]`), else on first use (TOFU) unless `pinning.disableTofu` or a
 *   bundle is used (a bundle needs a pinned or already trusted root). Rotations are then walked with
 *   the spec's signature chain.
 * - Warm path: the metadata manifest is fetched with If-None-Match (one request when nothing
 *   changed); layers come from the content-addressed copy in `<trustDir>/tuf/<gun>/oci`.
 * - Docker's rule: a tag in `targets/releases` wins over `targets`; other delegations only when
 *   named in `roles`.
 */

import { existsSync, readFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { operationContext, type TrustOptions } from '../context/repository.js';
import { LocalError, NetworkError, NotSignedError, TrustError, VerificationError } from '../errors.js';
import { RELEASES_ROLE } from '../metadata/roles.js';
import { type ImageReference, parseReference } from '../reference.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { readRegularFile, resolveTrustDir } from '../storage/trust-dir.js';
import { defaultCredentials } from '../transport/credentials.js';
import { OciBundle } from '../transport/oci/bundle.js';
import { DirOciCache } from '../transport/oci/cache.js';
import { OciRegistryClient } from '../transport/oci/distribution.js';
import { formatLocation, metadataLocation } from '../transport/oci/location.js';
import { OciMetadataStore } from '../transport/oci/registry-store.js';
import { MAX_BUNDLE_BYTES } from '../transport/oci/tar.js';
import { registryBaseUrl } from '../transport/registry.js';
import type { TufFetcher } from '../transport/tuf-repository.js';
import { longestPrefixMatch } from '../trust/pinning.js';
import { checkTuf1RootGun, checkTuf1RootPinned } from '../trust/tuf1-pins.js';
import type { InspectResult } from './inspect.js';
import { registryRecordPath, registryServerFor } from './registry-source.js';
import { DEFAULT_TUF_LIMITS, type TufTargetInfo, TufUpdater } from './tuf-updater.js';
import type { VerifyResult } from './verify.js';

/** Options of verifyRegistry / inspectRegistry. */
export interface RegistryVerifyOptions extends TrustOptions {
  /** Delegations consulted after `targets/releases` and `targets` (e.g. `targets/alice`). */
  roles?: string[];
  /** An offline bundle (OCI image layout tarball: path or bytes) instead of the registry. */
  bundle?: string | Uint8Array;
  /** Custom distribution client (tests: a proxy). */
  client?: OciRegistryClient;
}

/** A TufFetcher serving metadata files by name from a store, within the caller's deadline. */
export function storeFetcher(store: OciMetadataStore, overallDeadlineAt = Infinity): TufFetcher {
  return {
    async fetch(url, maxBytes, deadlineAt) {
      const name = url.slice(url.lastIndexOf('/') + 1);
      return withDeadline(() => store.getMeta(name, maxBytes), Math.min(deadlineAt, overallDeadlineAt), name);
    },
  };
}

/**
 * `run()`, failing with TIMEOUT at `deadlineAt` (ms since the epoch) if it has not settled: the one
 * overall deadline of a registry-hosted operation, over however many requests it makes.
 */
export async function withDeadline<T>(run: () => Promise<T>, deadlineAt: number, what: string): Promise<T> {
  const left = deadlineAt - Date.now();
  if (left <= 0) throw timeout(what);
  if (!Number.isFinite(left)) return run();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout(what)), left);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function timeout(what: string): TrustError {
  return new NetworkError('TIMEOUT', `deadline exceeded fetching ${what}`);
}

/** Whether verification of `reference` goes to registry-hosted trust data (bundle, server, record, env, probe). */
export async function usesRegistryTrust(
  reference: string | ImageReference,
  options: RegistryVerifyOptions,
): Promise<string | undefined> {
  if (options.bundle !== undefined) return 'bundle';
  return registryServerFor(reference, {
    ...(options.server !== undefined ? { server: options.server } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.trustDir !== undefined ? { trustDir: options.trustDir } : {}),
  });
}

interface OpenTrust {
  updater: TufUpdater;
  /** The operation's overall deadline (ms since the epoch): every fetch of it ends by then. */
  deadlineAt: number;
  /** The store the updater read (one manifest per update). */
  store: OciMetadataStore;
  /** Records the source and prunes the layer cache after a successful refresh. */
  finish(): Promise<void>;
}

/**
 * After a failed refresh: a cache of this GUN that the Notary path wrote (no `.dialect` marker, which
 * every registry-hosted cache has; a Notary root, `"_type": "Root"`) read as registry-hosted trust, as
 * a trust dir that verified the Notary repository does when given `--server registry` after someone
 * ran `trust migrate`. A CONFIG error that says so and how to switch, instead of the TUF 1.0 parse
 * error of Notary's root (WRONG_TYPE, exit 1). Read only on failure: nothing added to a warm verify.
 */
function refuseNotaryCache(metaDir: string, gun: string): void {
  let type: unknown;
  try {
    if (existsSync(join(metaDir, '.dialect'))) return;
    const bytes = readRegularFile(join(metaDir, 'root.json'));
    if (bytes === null) return;
    type = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { _type?: unknown } }).signed
      ?._type;
  } catch {
    return; // not a readable Notary root: the refresh's own error stands
  }
  if (type !== 'Root') return;
  throw new LocalError(
    'CONFIG',
    `the trust dir's cache of ${gun} (${metaDir}) holds Notary metadata (verified from a Notary server), ` +
      `not registry-hosted TUF 1.0: verify it with its Notary --server, or use another trust dir for the ` +
      `registry-hosted trust data (pin the root key id trust migrate printed: trust_pinning.certs)`,
  );
}

/** Refreshes the TUF 1.0 client over the registry (or bundle) for `ref`. */
async function openRegistryTrust(ref: ImageReference, options: RegistryVerifyOptions): Promise<OpenTrust> {
  const env = options.env ?? process.env;
  const context = operationContext(options);
  const deadlineAt = Date.now() + (options.deadlineMs ?? DEFAULT_TUF_LIMITS.deadlineMs);
  const trustDir = resolveTrustDir(options.trustDir, env);
  const gunDir = join(registryRecordPath(trustDir, ref.gun), '..');
  const metaDir = join(gunDir, 'metadata');

  let store: OciMetadataStore;
  let recordLocation: string | undefined;
  if (options.bundle !== undefined) {
    const bytes = typeof options.bundle === 'string' ? await readBundle(options.bundle) : options.bundle;
    store = OciBundle.parse(bytes).store(ref.gun);
  } else if (options.offline) {
    // The trust dir's copy of what the last online verify fetched (manifest and blobs), verified
    // again from the trusted metadata: signatures, versions and expiry, no network.
    const server = (await registryServerFor(ref, { ...options, env, trustDir })) ?? 'registry';
    const location = metadataLocation(server, ref);
    store = new OciMetadataStore({
      location,
      cache: new DirOciCache(join(gunDir, 'oci')),
      offline: true,
      description: `the trust dir's copy of ${formatLocation(location)}`,
    });
    if (!existsSync(join(metaDir, 'root.json')) || (await store.manifest()) === null) {
      throw new VerificationError(
        'NO_TRUST_DATA',
        `offline: the trust dir has no registry-hosted trust data for ${ref.gun} at ${formatLocation(location)} (verify once online, or use --bundle FILE)`,
      );
    }
  } else {
    const server = (await registryServerFor(ref, { ...options, env, trustDir })) ?? 'registry';
    const location = metadataLocation(server, ref);
    // Without a custom HTTP client or credentials, the context's pooled client for this registry
    // (its keep-alive connections and tokens outlive this call, as on the Notary path).
    const pooled = options.http === undefined && options.credentials === undefined;
    const client =
      options.client ??
      new OciRegistryClient({
        registry: location.registry,
        ...(pooled
          ? {
              auth: context.transport.authFor({
                server: registryBaseUrl(location.registry),
                registry: location.registry,
                env,
                deadlineMs: context.limits.deadlineMs,
                ...(options.tlsCaCert ? { tlsCaCert: options.tlsCaCert } : {}),
              }),
            }
          : {
              credentials:
                options.credentials === undefined
                  ? defaultCredentials(location.registry, env)
                  : options.credentials,
              ...(options.http ? { http: options.http } : {}),
              ...(options.tlsCaCert ? { ca: options.tlsCaCert } : {}),
              ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
            }),
      });
    store = new OciMetadataStore({
      client,
      location,
      cache: new DirOciCache(join(gunDir, 'oci')),
      deferManifestCache: true,
    });
    recordLocation = formatLocation(location);
  }

  if (!existsSync(join(metaDir, 'root.json'))) {
    await bootstrapRoot(store, metaDir, ref.gun, options, options.bundle !== undefined);
  }
  const updater = new TufUpdater({
    metadataDir: metaDir,
    metadataBaseUrl: 'https://registry.invalid/metadata/',
    fetcher: storeFetcher(store, deadlineAt),
    // the caller's context: signature verdicts, key identities and parsed documents outlive this call
    context,
    ...(options.now ? { now: options.now } : {}),
    limits: { deadlineMs: options.deadlineMs ?? DEFAULT_TUF_LIMITS.deadlineMs },
    // a root of another repository signed with the same root key is not a rotation of this one
    checkRoot: (bytes, previous) => checkTuf1RootGun(bytes, ref.gun, previous),
  });
  try {
    await updater.refresh();
  } catch (e) {
    refuseNotaryCache(metaDir, ref.gun);
    throw e;
  }
  // the state verified: from now on the copy --offline answers from (a manifest that failed to verify never is)
  store.commitCache();
  return {
    updater,
    store,
    deadlineAt,
    finish: async () => {
      store.commitCache();
      if (recordLocation === undefined) return;
      const m = await store.manifest();
      if (!m) return;
      // a warm verify of an unchanged repository writes nothing (no fsync on the hot path)
      const path = registryRecordPath(trustDir, ref.gun);
      const record = `${JSON.stringify({ location: recordLocation, digest: m.digest })}\n`;
      if (readTextOrNull(path) === record) return;
      await writeFileAtomic(path, record, { mode: 0o600 });
      await store.pruneCache();
    },
  };
}

/** Verifies `IMAGE:TAG` against registry-hosted trust data (or a bundle); the trusted digest. */
export async function verifyRegistry(
  reference: string | ImageReference,
  options: RegistryVerifyOptions = {},
): Promise<VerifyResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const tag = ref.tag;
  if (tag === undefined) {
    throw new LocalError('BAD_REFERENCE', `${ref.name}@${ref.digest}: give a tag to verify`);
  }
  const { updater, finish } = await openRegistryTrust(ref, options);
  const found = await lookup(updater, tag, options.roles ?? []);
  await finish();
  if (!found) {
    throw new NotSignedError('NOT_SIGNED', `no trusted signature for ${ref.name}:${tag} in ${ref.gun}`, {
      expected: `a signed tag ${tag}`,
    });
  }
  const digest = digestOf(found.info, `${ref.name}:${tag}`);
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw new NotSignedError(
      'NOT_SIGNED',
      `${ref.name}:${tag} is signed with ${digest}, not the requested ${ref.digest}`,
      {
        expected: ref.digest,
        actual: digest,
      },
    );
  }
  return {
    reference: `${ref.name}@${digest}`,
    repository: ref.gun,
    tag,
    digest,
    size: found.info.length,
    role: found.role,
    // as on the Notary path: the key ids whose signatures on that role verified
    signers: updater.signersOf(found.role),
  };
}

/**
 * Verifies a whole registry-hosted repository state, as `trust export` needs before writing a bundle:
 * the same checks as verify (trusted or pinned root, rotations, expiry, versions, hashes) over the
 * top-level roles and every delegated role reachable from `targets` (nested ones too, within
 * `maxDelegations`), and each of `tags` must resolve as verify resolves it. Returns the store the
 * client read, so that the bundle holds exactly the verified state (the same manifests).
 */
export async function verifyRegistryState(
  reference: string | ImageReference,
  tags: readonly string[],
  options: RegistryVerifyOptions = {},
): Promise<{ store: OciMetadataStore; roles: string[]; deadlineAt: number }> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const { updater, store, deadlineAt, finish } = await openRegistryTrust(ref, { ...options, offline: false });
  const roles = await loadAllRoles(updater);
  for (const tag of tags) {
    if (!(await lookup(updater, tag, options.roles ?? []))) {
      throw new NotSignedError('NOT_SIGNED', `no trusted signature for ${ref.name}:${tag} in ${ref.gun}`, {
        expected: `a signed tag ${tag}`,
      });
    }
  }
  await finish();
  return { store, roles, deadlineAt };
}

/** Loads (and so verifies) every delegated role reachable from `targets`, breadth first, bounded. */
async function loadAllRoles(updater: TufUpdater): Promise<string[]> {
  const done = new Set<string>(['targets']);
  const queue: Array<[string, string]> = (updater.trustedRole('targets')?.delegations ?? []).map((d) => [
    d.name,
    'targets',
  ]);
  while (queue.length > 0) {
    const [role, parent] = queue.shift()!;
    if (done.has(role)) continue;
    if (done.size > updater.limits.maxDelegations) {
      throw new VerificationError(
        'TOO_LARGE',
        `more than ${updater.limits.maxDelegations} delegated roles: not exported`,
      );
    }
    await updater.getTargetInfoIn('\u0000', role, parent);
    done.add(role);
    for (const d of updater.trustedRole(role)?.delegations ?? []) queue.push([d.name, role]);
  }
  return [...done];
}

function digestOf(info: { hashes: Readonly<Record<string, string>> }, what: string): string {
  const sha = info.hashes.sha256;
  if (typeof sha !== 'string' || !/^[a-f0-9]{64}$/.test(sha)) {
    throw new VerificationError('BAD_METADATA', `${what} is signed without a sha256 digest`);
  }
  return `sha256:${sha}`;
}

/**
 * `docker trust inspect` for registry-hosted trust data: tags of `targets/releases` (which wins)
 * and `targets`, signers (direct delegations of `targets`), administrative keys (TUF 1.0 key ids).
 */
export async function inspectRegistry(
  reference: string | ImageReference,
  options: RegistryVerifyOptions = {},
): Promise<InspectResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const explicitTag = typeof reference === 'string' && /:[\w][\w.-]*$/.test(reference.split('/').pop() ?? '');
  const { updater, finish } = await openRegistryTrust(ref, options);
  const top = updater.trustedRole('targets')!;
  const delegations = top.delegations;
  const all: { name: string; hex: string; role: string }[] = [];
  const add = (role: string, targets: ReadonlyMap<string, { hashes: Readonly<Record<string, string>> }>) => {
    for (const [name, t] of targets) {
      if (explicitTag && name !== ref.tag) continue;
      const sha = t.hashes.sha256;
      if (typeof sha === 'string' && /^[a-f0-9]{64}$/.test(sha)) all.push({ name, hex: sha, role });
    }
  };
  add('targets', top.targets);
  for (const d of delegations) {
    await updater.getTargetInfoIn('\u0000', d.name, 'targets');
    const md = updater.trustedRole(d.name);
    if (md) add(d.name, md.targets);
  }
  await finish();
  const admin = (role: string) =>
    role === 'targets' || role === RELEASES_ROLE ? 'Repo Admin' : role.replace(/^targets\//, '');
  const released = new Map<string, string>();
  for (const t of all) if (t.role === 'targets') released.set(t.name, t.hex);
  for (const t of all) if (t.role === RELEASES_ROLE) released.set(t.name, t.hex);
  const by = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const root = {
    targets: { keyids: updater.rootRoleKeyIds('targets') },
    root: { keyids: updater.rootRoleKeyIds('root') },
  };
  return {
    Name: typeof reference === 'string' ? reference : ref.name,
    SignedTags: [...released]
      .map(([name, hex]) => ({
        SignedTag: name,
        Digest: hex,
        Signers: [
          ...new Set(all.filter((t) => t.name === name && t.hex === hex).map((t) => admin(t.role))),
        ].sort(by),
      }))
      .sort((a, b) => by(a.SignedTag, b.SignedTag)),
    Signers: delegations
      .filter((d) => d.name !== RELEASES_ROLE)
      .map((d) => ({ Name: admin(d.name), Keys: [...d.keyids].sort(by).map((ID) => ({ ID })) }))
      .sort((a, b) => by(a.Name, b.Name)),
    AdministrativeKeys: [
      { Name: 'Repository', Keys: [...(root.targets?.keyids ?? [])].sort(by).map((ID) => ({ ID })) },
      { Name: 'Root', Keys: [...(root.root?.keyids ?? [])].sort(by).map((ID) => ({ ID })) },
    ],
  };
}

function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The bundle file's bytes: a regular file of at most the bundle cap, checked before reading it. */
async function readBundle(path: string, maxBytes = MAX_BUNDLE_BYTES): Promise<Uint8Array> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new LocalError('IO', `cannot read bundle ${path}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new LocalError('IO', `bundle ${path} is not a regular file`);
    if (st.size > maxBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `bundle is ${st.size} bytes, over the ${maxBytes}-byte limit`,
        { expected: `<= ${maxBytes} bytes`, actual: `${st.size} bytes` },
      );
    }
    // one byte more than its size: a file that grows meanwhile is noticed, and never read past the cap
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      n += bytesRead;
      if (bytesRead === 0 || n === buf.length) break;
    }
    if (n !== st.size) throw new LocalError('IO', `bundle ${path} changed while it was read`);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw new LocalError('IO', `cannot read bundle ${path}`, { cause: e });
  } finally {
    await fh.close();
  }
}

/**
 * The root a client pinned to `pins` (TUF 1.0 root key ids) starts from: the first root version,
 * walking `1.root.json`, `2.root.json`... (`getRoot`), signed by a threshold of pinned keys
 * (src/trust/tuf1-pins.ts). Later versions are then accepted only through the rotation chain.
 * NO_TRUST_DATA without `1.root.json`; PINNING when no version qualifies.
 */
export async function pinnedStartRoot(
  getRoot: (version: number) => Promise<Uint8Array | null>,
  pins: readonly string[],
  gun: string,
  where: string,
): Promise<Uint8Array> {
  let why: TrustError | undefined;
  for (let v = 1; v <= DEFAULT_TUF_LIMITS.maxRootRotations; v++) {
    const bytes = await getRoot(v);
    if (bytes === null) {
      if (v === 1) throw new VerificationError('NO_TRUST_DATA', `no trust data for ${gun} at ${where}`);
      break;
    }
    try {
      checkTuf1RootPinned(bytes, pins, gun);
      return bytes;
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
      why ??= e;
    }
  }
  throw new VerificationError(
    'PINNING',
    `no root of ${gun} at ${where} is signed by a pinned root key${why ? ` (${why.message})` : ''}`,
    { role: 'root', expected: pins.join(', '), ...(why ? { cause: why } : {}) },
  );
}

/**
 * The root the client starts from when the trust dir has none for the GUN:
 * - pinned (`pinning.certs[gun]`: TUF 1.0 root key ids): the first root version, walking
 *   `1.root.json`, `2.root.json`..., signed by a threshold of pinned keys (src/trust/tuf1-pins.ts);
 *   the refresh then follows the rotation chain from it, so an old pin keeps working only through a
 *   valid chain and a root that merely lists a pinned key id is refused;
 * - else `1.root.json` on first use, unless TOFU is disabled, a CA pin covers the GUN (CA pins are
 *   for Notary's x509 root certificates: a TUF 1.0 root has bare keys, so it cannot satisfy one), or
 *   the source is a bundle.
 * A root already trusted in the trust dir is the start whatever the pins say, as on the Notary path.
 */
async function bootstrapRoot(
  store: OciMetadataStore,
  metaDir: string,
  gun: string,
  options: RegistryVerifyOptions,
  bundle: boolean,
): Promise<void> {
  const max = DEFAULT_TUF_LIMITS.maxRootBytes;
  const pins = options.pinning?.certs?.[gun];
  if (pins && pins.length > 0) {
    const start = await pinnedStartRoot(
      (v) => store.getMeta(`${v}.root.json`, max),
      pins,
      gun,
      store.description,
    );
    checkTuf1RootGun(start, gun);
    TufUpdater.init(metaDir, start);
    return;
  }
  if (longestPrefixMatch(options.pinning?.ca, gun) !== undefined) {
    throw new VerificationError(
      'PINNING',
      `a CA is pinned for ${gun}, but registry-hosted (TUF 1.0) roots have bare keys, not certificates: pin the root key id (trust_pinning.certs)`,
      { role: 'root' },
    );
  }
  if (options.pinning?.disableTofu || bundle) {
    throw new VerificationError(
      'UNTRUSTED_ROOT',
      `no trusted root for ${gun}${bundle ? ' (a bundle needs a pinned root key id or a root already trusted in the trust dir)' : ' and trust on first use is disabled'}`,
    );
  }
  const bytes = await store.getMeta('1.root.json', max);
  if (bytes === null) {
    throw new VerificationError('NO_TRUST_DATA', `no trust data for ${gun} at ${store.description}`);
  }
  checkTuf1RootGun(bytes, gun);
  TufUpdater.init(metaDir, bytes);
}

async function lookup(
  updater: TufUpdater,
  tag: string,
  roles: readonly string[],
): Promise<{ info: TufTargetInfo; role: string } | undefined> {
  const top = updater.trustedRole('targets');
  const delegated = new Set(top?.delegations.map((r) => r.name) ?? []);
  if (delegated.has(RELEASES_ROLE)) {
    const hit = await updater.getTargetInfoIn(tag, RELEASES_ROLE, 'targets');
    if (hit) return { info: hit, role: RELEASES_ROLE };
  }
  const inTargets = top?.targets.get(tag);
  if (inTargets) return { info: { path: tag, ...inTargets }, role: 'targets' };
  for (const role of roles) {
    const parent = delegated.has(role) ? 'targets' : await delegatorOf(updater, role, 8);
    if (parent === undefined) continue;
    const hit = await updater.getTargetInfoIn(tag, role, parent);
    if (hit) return { info: hit, role };
  }
  return undefined;
}

/**
 * The role delegating to a nested DCT role (`targets/releases/qa` -> `targets/releases`), with the
 * chain from `targets` loaded and verified; undefined when that chain does not delegate to it.
 */
async function delegatorOf(updater: TufUpdater, role: string, depth: number): Promise<string | undefined> {
  const cut = role.lastIndexOf('/');
  const parent = cut <= 0 ? 'targets' : role.slice(0, cut);
  if (parent !== 'targets') {
    if (depth <= 0) return undefined;
    const grand = await delegatorOf(updater, parent, depth - 1);
    if (grand === undefined) return undefined;
    await updater.getTargetInfoIn('\u0000', parent, grand);
  }
  return updater.trustedRole(parent)?.delegations.some((d) => d.name === role) ? parent : undefined;
}
