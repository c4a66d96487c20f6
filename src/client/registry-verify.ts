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
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { operationContext, type TrustOptions } from '../context/repository.js';
import { LocalError, NetworkError, NotSignedError, type TrustError, VerificationError } from '../errors.js';
import { type ImageReference, parseReference } from '../reference.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { resolveTrustDir } from '../storage/trust-dir.js';
import { defaultCredentials } from '../transport/credentials.js';
import { OciBundle } from '../transport/oci/bundle.js';
import { DirOciCache } from '../transport/oci/cache.js';
import { OciRegistryClient } from '../transport/oci/distribution.js';
import { formatLocation, metadataLocation } from '../transport/oci/location.js';
import { OciMetadataStore } from '../transport/oci/registry-store.js';
import type { TufFetcher } from '../transport/tuf-repository.js';
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

export const RELEASES_ROLE = 'targets/releases';

/** A TufFetcher serving metadata files by name from a store, within the caller's deadline. */
export function storeFetcher(store: OciMetadataStore): TufFetcher {
  return {
    async fetch(url, maxBytes, deadlineAt) {
      const name = url.slice(url.lastIndexOf('/') + 1);
      const left = deadlineAt - Date.now();
      if (left <= 0) throw timeout(url);
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          store.getMeta(name, maxBytes),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(timeout(url)), left);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function timeout(url: string): TrustError {
  return new NetworkError('TIMEOUT', `deadline exceeded fetching ${url.slice(url.lastIndexOf('/') + 1)}`);
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
  /** Records the source and prunes the layer cache after a successful refresh. */
  finish(): Promise<void>;
}

/** Refreshes the TUF 1.0 client over the registry (or bundle) for `ref`. */
async function openRegistryTrust(ref: ImageReference, options: RegistryVerifyOptions): Promise<OpenTrust> {
  const env = options.env ?? process.env;
  const trustDir = resolveTrustDir(options.trustDir, env);
  const gunDir = join(registryRecordPath(trustDir, ref.gun), '..');
  const metaDir = join(gunDir, 'metadata');

  let store: OciMetadataStore;
  let recordLocation: string | undefined;
  if (options.bundle !== undefined) {
    const bytes = typeof options.bundle === 'string' ? await readBundle(options.bundle) : options.bundle;
    store = OciBundle.parse(bytes).store(ref.gun);
  } else {
    if (options.offline) {
      throw new LocalError('USAGE', 'registry-hosted trust data offline: use --bundle FILE (trust export)');
    }
    const server = (await registryServerFor(ref, { ...options, env, trustDir })) ?? 'registry';
    const location = metadataLocation(server, ref);
    const client =
      options.client ??
      new OciRegistryClient({
        registry: location.registry,
        credentials:
          options.credentials === undefined
            ? defaultCredentials(location.registry, env)
            : options.credentials,
        ...(options.http ? { http: options.http } : {}),
        ...(options.tlsCaCert ? { ca: options.tlsCaCert } : {}),
        ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      });
    store = new OciMetadataStore({ client, location, cache: new DirOciCache(join(gunDir, 'oci')) });
    recordLocation = formatLocation(location);
  }

  if (!existsSync(join(metaDir, 'root.json'))) {
    await bootstrapRoot(store, metaDir, ref.gun, options, options.bundle !== undefined);
  }
  const updater = new TufUpdater({
    metadataDir: metaDir,
    metadataBaseUrl: 'https://registry.invalid/metadata/',
    fetcher: storeFetcher(store),
    // the caller's context: signature verdicts, key identities and parsed documents outlive this call
    context: operationContext(options),
    ...(options.now ? { now: options.now } : {}),
    limits: { deadlineMs: options.deadlineMs ?? DEFAULT_TUF_LIMITS.deadlineMs },
  });
  await updater.refresh();
  return {
    updater,
    finish: async () => {
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
    // key ids of the role that signed (the client checked a threshold of them)
    signers: roleKeyIds(updater, found.role),
  };
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

async function readBundle(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new LocalError('IO', `cannot read bundle ${path}`, { cause: e });
  }
}

async function bootstrapRoot(
  store: OciMetadataStore,
  metaDir: string,
  gun: string,
  options: RegistryVerifyOptions,
  bundle: boolean,
): Promise<void> {
  const bytes = await store.getMeta('1.root.json', DEFAULT_TUF_LIMITS.maxRootBytes);
  if (bytes === null) {
    throw new VerificationError('NO_TRUST_DATA', `no trust data for ${gun} at ${store.description}`);
  }
  const pins = options.pinning?.certs?.[gun];
  if (pins && pins.length > 0) {
    let keyids: unknown;
    try {
      keyids = (
        JSON.parse(new TextDecoder().decode(bytes)) as {
          signed?: { roles?: { root?: { keyids?: unknown } } };
        }
      ).signed?.roles?.root?.keyids;
    } catch {
      keyids = undefined;
    }
    if (!Array.isArray(keyids) || !keyids.some((id) => pins.includes(id as string))) {
      throw new VerificationError('PINNING', `the root of ${gun} is not signed by a pinned root key`, {
        expected: pins.join(', '),
      });
    }
  } else if (options.pinning?.disableTofu || bundle) {
    throw new VerificationError(
      'UNTRUSTED_ROOT',
      `no trusted root for ${gun}${bundle ? ' (a bundle needs a pinned root key id or a root already trusted in the trust dir)' : ' and trust on first use is disabled'}`,
    );
  }
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
    if (!delegated.has(role)) continue;
    const hit = await updater.getTargetInfoIn(tag, role, 'targets');
    if (hit) return { info: hit, role };
  }
  return undefined;
}

function roleKeyIds(updater: TufUpdater, role: string): string[] {
  if (role === 'targets') return updater.rootRoleKeyIds('targets');
  const d = updater.trustedRole('targets')?.delegations.find((r) => r.name === role);
  return d ? [...d.keyids] : [];
}
