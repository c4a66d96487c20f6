/**
 * Where a repository's trust data is looked up: registry-hosted (`registry`, `oci://...`) or a Notary
 * server. Light on imports: the verify-before-pull path loads it on every run.
 *
 * Rule (issue 11): an explicit `--server` wins; a GUN this trust dir already published or verified
 * through the registry keeps that location (`<trustDir>/tuf/<gun>/registry.json`) and never switches
 * silently; otherwise DOCKER_CONTENT_TRUST_SERVER; otherwise (verify only, `probe`) the registry's
 * `tuf-metadata` tag when it exists; otherwise the Notary server as before.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalError } from '../errors.js';
import { type ImageReference, parseReference } from '../reference.js';
import { checkGunPath, resolveTrustDir } from '../storage/trust-dir.js';
import { isRegistryServer, parseOciLocation } from '../transport/oci/location.js';

export interface SourceOptions {
  server?: string;
  env?: NodeJS.ProcessEnv;
  trustDir?: string;
}

/** `<trustDir>/tuf/<gun>/registry.json`: the registry location (and last state) of a GUN. */
export function registryRecordPath(trustDir: string, gun: string): string {
  checkGunPath(gun);
  return join(trustDir, 'tuf', gun, 'registry.json');
}

/** The recorded registry location of a GUN, if this trust dir has one. */
export function recordedRegistryLocation(trustDir: string, gun: string): string | undefined {
  const path = registryRecordPath(trustDir, gun);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const loc = (JSON.parse(text) as { location?: unknown }).location;
    if (typeof loc === 'string') {
      parseOciLocation(loc);
      return loc;
    }
  } catch {
    // fall through
  }
  throw new LocalError('CONFIG', `${path} is not a registry state record`);
}

/**
 * The registry location to use for `reference` (`registry` or `oci://...`), or undefined for the
 * Notary path. `probe` (verify without any configured source) asks the registry whether the image's
 * repository has a `tuf-metadata` tag.
 */
export async function registryServerFor(
  reference: string | ImageReference,
  opts: SourceOptions,
  probe?: (ref: ImageReference) => Promise<boolean>,
): Promise<string | undefined> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const env = opts.env ?? process.env;
  if (opts.server !== undefined) return isRegistryServer(opts.server) ? opts.server : undefined;
  const trustDir = resolveTrustDir(opts.trustDir, env);
  const recorded = recordedRegistryLocation(trustDir, ref.gun);
  if (recorded !== undefined) return recorded;
  // A GUN with a Notary cache stays on the Notary path.
  if (existsSync(join(trustDir, 'tuf', ref.gun, 'metadata', 'root.json'))) {
    const envServer = env.DOCKER_CONTENT_TRUST_SERVER;
    return envServer && isRegistryServer(envServer) && isTuf1Cache(trustDir, ref.gun) ? envServer : undefined;
  }
  const envServer = env.DOCKER_CONTENT_TRUST_SERVER || undefined;
  if (envServer !== undefined) return isRegistryServer(envServer) ? envServer : undefined;
  if (probe && (await probe(ref))) return 'registry';
  return undefined;
}

function isTuf1Cache(trustDir: string, gun: string): boolean {
  try {
    return readFileSync(join(trustDir, 'tuf', gun, 'metadata', '.dialect'), 'utf8').trim() === 'tuf-1.0';
  } catch {
    return false;
  }
}

/**
 * Whether the image's own repository has a `tuf-metadata` tag (one HEAD request, bounded; any error
 * reads as "no"): the last step of the lookup rule before the Notary server.
 */
export async function probeRegistryTrust(
  ref: ImageReference,
  opts: { env?: NodeJS.ProcessEnv; tlsCaCert?: string; deadlineMs?: number },
): Promise<boolean> {
  const [{ OciRegistryClient }, { defaultCredentials }, { DEFAULT_METADATA_TAG }] = await Promise.all([
    import('../transport/oci/distribution.js'),
    import('../transport/credentials.js'),
    import('../transport/oci/layout.js'),
  ]);
  try {
    const client = new OciRegistryClient({
      registry: ref.registry,
      credentials: defaultCredentials(ref.registry, opts.env ?? process.env),
      deadlineMs: Math.min(opts.deadlineMs ?? 5_000, 5_000),
      ...(opts.tlsCaCert ? { ca: opts.tlsCaCert } : {}),
    });
    return (await client.headManifest(ref.repository, DEFAULT_METADATA_TAG)) !== null;
  } catch {
    return false;
  }
}
