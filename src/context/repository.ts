/**
 * Options shared by every operation that talks to a trust server (verify,
 * inspect and every publishing workflow), and their resolution into the pieces
 * the workflows use: a MetadataStore (transport seam), the local metadata
 * cache, the root trust policy, the explicit context (limits, clock, caches;
 * ./context.ts) and the operation's deadline. Lives below `client/` and
 * `publish/`, which both use it and never import each other.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalError } from '../errors.js';
import { defaultTrustServer, type ImageReference, toReference } from '../reference.js';
import { type MetadataCache, resolveTrustDir } from '../storage/trust-dir.js';
import type { RegistryAuth } from '../transport/auth.js';
import { type CredentialProvider, defaultCredentials } from '../transport/credentials.js';
import { FileStore } from '../transport/file-store.js';
import type { HttpClient } from '../transport/http.js';
import { NotaryServerStore } from '../transport/notary-server.js';
import type { MetadataStore } from '../transport/store.js';
import { longestPrefixMatch } from '../trust/pinning.js';
import type { TrustPolicy } from '../trust/trusted-set.js';
import type { UpdateOptions } from '../trust/updater.js';
import { Deadline, type Limits, TrustContext } from './context.js';

/** Notary-style trust pinning (the `trust_pinning` section of a notary client config). */
export interface TrustPinning {
  /** GUN -> root certificate key ids a first-seen root must be signed with. */
  certs?: Record<string, string[]>;
  /** GUN prefix -> CA certificate(s) (PEM text) the root certificates must chain to. */
  ca?: Record<string, string>;
  /** Refuse trust on first use: a repository without a cached root and no pin fails. */
  disableTofu?: boolean;
}

/** Options of every operation that talks to a trust server (verify, inspect, and the publishing ones). */
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
  /**
   * Overall deadline of the whole operation in ms (every request, retry and check of one verify,
   * inspect or publish; default 30 s, or the context's `limits.deadlineMs`).
   */
  deadlineMs?: number;
  /** Limits for this call (override the context's): sizes, root rotations, delegations, deadline. */
  limits?: Partial<Limits>;
  /**
   * Context whose caches (signature verdicts, key identities, authenticated HTTP clients and
   * their keep-alive connections and tokens) outlive this call. Pass the same one to many calls to
   * reuse them; without one, each call starts from an empty context.
   */
  context?: TrustContext;
  /** Environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Clock in ms since the epoch, for tests. */
  now?: () => number;
}

/** What an operation on one repository works with: reference, transport, local cache, root policy. */
export interface RepositoryContext {
  readonly ref: ImageReference;
  readonly store: MetadataStore;
  readonly cache: MetadataCache;
  readonly policy: TrustPolicy;
  readonly trustDir: string;
  /** The operation's context (limits, clock, env, caches). */
  readonly context: TrustContext;
  /** The operation's overall deadline, started when the context was resolved. */
  readonly deadline: Deadline;
}

/**
 * The context of one call: the caller's (with this call's limits, clock and env applied), or a
 * fresh one.
 */
export function operationContext(opts: TrustOptions): TrustContext {
  // nothing to override: the caller's context as it is (derive() would copy it field for field)
  if (
    opts.context &&
    opts.limits === undefined &&
    opts.deadlineMs === undefined &&
    opts.now === undefined &&
    opts.env === undefined
  ) {
    return opts.context;
  }
  const limits: { -readonly [K in keyof Limits]?: Limits[K] } = { ...opts.limits };
  if (opts.deadlineMs !== undefined) limits.deadlineMs = opts.deadlineMs;
  const o: ConstructorParameters<typeof TrustContext>[0] = { limits };
  if (opts.now) o.now = opts.now;
  if (opts.env) o.env = opts.env;
  return opts.context ? opts.context.derive(o) : new TrustContext(o);
}

/** `file:///dir` or a plain path given as server: a local-only repository. */
function fileServerDir(server: string): string | null {
  if (server.startsWith('file:')) return fileURLToPath(server);
  return null;
}

/**
 * Authenticating HTTP clients shared, within one context, by calls with the same server, CA,
 * registry (for credentials) and deadline: keep-alive connections and bearer tokens then survive
 * from one verify() to the next, so a deploy tool that verifies many images with one context pays
 * one TLS handshake per server, not per image.
 */
function sharedAuth(
  server: string,
  ref: ImageReference,
  opts: TrustOptions,
  env: NodeJS.ProcessEnv,
  context: TrustContext,
): RegistryAuth {
  return context.transport.authFor({
    server,
    registry: ref.registry,
    env,
    deadlineMs: context.limits.deadlineMs,
    ...(opts.tlsCaCert ? { tlsCaCert: opts.tlsCaCert } : {}),
  });
}

export function createStore(
  ref: ImageReference,
  opts: TrustOptions,
  context: TrustContext = operationContext(opts),
): MetadataStore {
  if (opts.store) return opts.store;
  const env = context.env;
  const server = opts.server ?? defaultTrustServer(ref.registry, env);
  const dir = fileServerDir(server);
  if (dir !== null) return new FileStore(dir, ref.gun, { deadlineMs: context.limits.deadlineMs });
  const storeOpts: ConstructorParameters<typeof NotaryServerStore>[0] = { serverUrl: server, gun: ref.gun };
  if (opts.http === undefined && opts.credentials === undefined) {
    return context.transport.notaryStore(server, ref.gun, sharedAuth(server, ref, opts, env, context));
  }
  storeOpts.credentials =
    opts.credentials === undefined ? defaultCredentials(ref.registry, env) : opts.credentials;
  if (opts.http) storeOpts.http = opts.http;
  if (opts.tlsCaCert) storeOpts.ca = opts.tlsCaCert;
  storeOpts.deadlineMs = context.limits.deadlineMs;
  return new NotaryServerStore(storeOpts);
}

export function policyFor(gun: string, opts: TrustOptions, context?: TrustContext): TrustPolicy {
  const policy: { -readonly [K in keyof TrustPolicy]: TrustPolicy[K] } = { gun };
  const now = context?.now ?? opts.now;
  if (now) policy.now = now;
  const pinned = opts.pinning?.certs?.[gun];
  if (pinned) policy.pinnedCertIds = pinned;
  const ca = longestPrefixMatch(opts.pinning?.ca, gun);
  if (ca !== undefined && !pinned) policy.pinnedCAs = [ca];
  if (opts.pinning?.disableTofu) policy.disableTofu = true;
  return policy;
}

/** Resolves a reference and options into store, cache, policy and context; starts the deadline. */
export function repositoryContext(reference: string | ImageReference, opts: TrustOptions): RepositoryContext {
  return repositoryContextOf(toReference(reference), opts);
}

/**
 * `repositoryContext` of a reference `toReference` has already checked (verify's own): an object
 * reference is not parsed again (issue 12).
 */
export function repositoryContextOf(ref: ImageReference, opts: TrustOptions): RepositoryContext {
  const context = operationContext(opts);
  const deadline = new Deadline(context.limits.deadlineMs);
  const trustDir = resolveTrustDir(opts.trustDir, context.env);
  return {
    ref,
    store: createStore(ref, opts, context),
    cache: context.metadataCache(trustDir, ref.gun),
    policy: policyFor(ref.gun, opts, context),
    trustDir,
    context,
    deadline,
  };
}

/** Update options of an operation in a repository context (offline, context, deadline). */
export function updateOptionsFor(ctx: RepositoryContext, opts: TrustOptions): UpdateOptions {
  return { offline: opts.offline === true, context: ctx.context, deadline: ctx.deadline };
}

/** Reads a PEM file given on the command line or in a config (clear error when unreadable). */
export function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocalError('CONFIG', `cannot read ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}
