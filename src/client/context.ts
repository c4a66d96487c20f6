/**
 * Options shared by every operation that talks to a trust server, and their
 * resolution into the pieces the workflows use: a MetadataStore (transport
 * seam), the local metadata cache and the root trust policy.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalError } from '../errors.js';
import { defaultTrustServer, type ImageReference, toReference } from '../reference.js';
import { MetadataCache, resolveTrustDir } from '../storage/trust-dir.js';
import type { RegistryAuth } from '../transport/auth.js';
import { type CredentialProvider, defaultCredentials } from '../transport/credentials.js';
import { FileStore } from '../transport/file-store.js';
import { DEFAULT_DEADLINE_MS, type HttpClient } from '../transport/http.js';
import { NotaryServerStore } from '../transport/notary-server.js';
import { TransportPool } from '../transport/pool.js';
import type { MetadataStore } from '../transport/store.js';
import { longestPrefixMatch } from '../trust/pinning.js';
import type { TrustPolicy } from '../trust/trusted-set.js';

/** Notary-style trust pinning (the `trust_pinning` section of a notary client config). */
export interface TrustPinning {
  /** GUN -> root certificate key ids a first-seen root must be signed with. */
  certs?: Record<string, string[]>;
  /** GUN prefix -> CA certificate(s) (PEM text) the root certificates must chain to. */
  ca?: Record<string, string>;
  /** Refuse trust on first use: a repository without a cached root and no pin fails. */
  disableTofu?: boolean;
}

export interface TrustOptions {
  /** Trust server URL (`https://...`, or `file:///dir` for a local-only repository). */
  server?: string;
  /** Docker trust dir (default `$DOCKER_CONFIG/trust` or `~/.docker/trust`). */
  trustDir?: string;
  /** Extra CA certificate(s) (PEM text) to trust for the server, added to the system roots. */
  tlsCaCert?: string;
  /** Answer from the local cache only (no network). */
  offline?: boolean;
  /** Trust pinning; default: trust on first use. */
  pinning?: TrustPinning;
  /** Custom metadata transport (overrides `server`). */
  store?: MetadataStore;
  /** Custom HTTP client for the default transport. */
  http?: HttpClient;
  /** Credentials for token auth (default: NOTARY_AUTH, then docker's config.json). */
  credentials?: CredentialProvider | null;
  /** Overall deadline per HTTP request in ms (default 30 s). */
  deadlineMs?: number;
  /** Environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Clock in ms since the epoch, for tests. */
  now?: () => number;
}

export interface RepositoryContext {
  readonly ref: ImageReference;
  readonly store: MetadataStore;
  readonly cache: MetadataCache;
  readonly policy: TrustPolicy;
  readonly trustDir: string;
}

/** `file:///dir` or a plain path given as server: a local-only repository. */
function fileServerDir(server: string): string | null {
  if (server.startsWith('file:')) return fileURLToPath(server);
  return null;
}

/**
 * Transport state (authenticating HTTP clients: keep-alive connections, bearer tokens, credential
 * lookups) of calls made without a client context of their own. A client context holds its own
 * `TransportPool`; this one serves the one-shot API.
 */
const oneShotTransport = new TransportPool();

function sharedAuth(
  server: string,
  ref: ImageReference,
  opts: TrustOptions,
  env: NodeJS.ProcessEnv,
): RegistryAuth {
  return oneShotTransport.authFor({
    server,
    registry: ref.registry,
    env,
    ...(opts.tlsCaCert ? { tlsCaCert: opts.tlsCaCert } : {}),
    ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
  });
}

export function createStore(ref: ImageReference, opts: TrustOptions): MetadataStore {
  if (opts.store) return opts.store;
  const env = opts.env ?? process.env;
  const server = opts.server ?? defaultTrustServer(ref.registry, env);
  const dir = fileServerDir(server);
  if (dir !== null)
    return new FileStore(dir, ref.gun, { deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS });
  const storeOpts: ConstructorParameters<typeof NotaryServerStore>[0] = { serverUrl: server, gun: ref.gun };
  if (opts.http === undefined && opts.credentials === undefined) {
    storeOpts.auth = sharedAuth(server, ref, opts, env);
    return new NotaryServerStore(storeOpts);
  }
  storeOpts.credentials =
    opts.credentials === undefined ? defaultCredentials(ref.registry, env) : opts.credentials;
  if (opts.http) storeOpts.http = opts.http;
  if (opts.tlsCaCert) storeOpts.ca = opts.tlsCaCert;
  if (opts.deadlineMs !== undefined) storeOpts.deadlineMs = opts.deadlineMs;
  return new NotaryServerStore(storeOpts);
}

export function policyFor(gun: string, opts: TrustOptions): TrustPolicy {
  const policy: { -readonly [K in keyof TrustPolicy]: TrustPolicy[K] } = { gun };
  if (opts.now) policy.now = opts.now;
  const pinned = opts.pinning?.certs?.[gun];
  if (pinned) policy.pinnedCertIds = pinned;
  const ca = longestPrefixMatch(opts.pinning?.ca, gun);
  if (ca !== undefined && !pinned) policy.pinnedCAs = [ca];
  if (opts.pinning?.disableTofu) policy.disableTofu = true;
  return policy;
}

/** Resolves a reference and options into store, cache and policy. */
export function repositoryContext(reference: string | ImageReference, opts: TrustOptions): RepositoryContext {
  const ref = toReference(reference);
  const trustDir = resolveTrustDir(opts.trustDir, opts.env ?? process.env);
  return {
    ref,
    store: createStore(ref, opts),
    cache: new MetadataCache(trustDir, ref.gun),
    policy: policyFor(ref.gun, opts),
    trustDir,
  };
}

/** Reads a PEM file given on the command line or in a config (clear error when unreadable). */
export function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocalError('CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}
