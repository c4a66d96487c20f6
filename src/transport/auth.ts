/**
 * Docker registry / Notary server authentication (distribution token auth + Basic).
 *
 * `RegistryAuth` wraps an `HttpClient`: on `401` with `WWW-Authenticate: Bearer realm=..,service=..,
 * scope=..` it fetches a token from the realm (Basic credentials when it has some, anonymous
 * otherwise; an identity token is exchanged with the OAuth refresh-token grant), retries once with
 * `Authorization: Bearer`, and caches tokens per (realm, service, scope) until `expires_in`. A
 * `Basic` challenge is answered with Basic credentials. Later requests to the same origin are
 * authorised up front from the remembered challenge.
 *
 * The realm is a URL the server chose: it must pass the one server-URL validator (https, or plain http
 * only on a loopback host), or no credential and no token goes near it. Credentials come from a
 * `CredentialProvider` (src/transport/credentials.ts); a failed lookup is not remembered, a successful
 * one for `credentialTtlMs`. Tokens and challenges are bounded maps with expired entries pruned.
 * Credentials and tokens never appear in errors.
 */

import { NetworkError } from '../errors.js';
import { escapeControl } from '../escape.js';
import type { CredentialProvider, Credentials } from './credentials.js';
import {
  createHttpClient,
  displayUrl,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type PemInput,
} from './http.js';
import { checkServerUrl } from './server-url.js';

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`... */
  scheme: string;
  /** Parameters, names lower-cased. */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` value (RFC 7235): one or more challenges, `scheme k=v, k="quoted, v"`.
 * Quoted values may contain commas (`scope="repository:x:push,pull"`) and `\` escapes.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i] as string)) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (word === '') {
      i++; // junk character: skip it
      continue;
    }
    skipWs();
    if (header[i] === '=') {
      // a parameter of the current challenge (or token68 padding when none)
      i++;
      skipWs();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        const vs = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
        value = header.slice(vs, i);
      }
      if (current) current.params[word.toLowerCase()] = value;
      continue;
    }
    // a new challenge scheme
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The authenticating client

/** An HTTP request through `RegistryAuth`, with the token scope it needs. */
export interface AuthRequest extends HttpRequest {
  /** Token scope(s) to ask for, e.g. `repository:<gun>:pull`; default: the challenge's own scope. */
  scope?: string | string[];
  /**
   * Send without any credential and answer no challenge: a request to another origin than the
   * server's (a blob redirect to storage) must never receive its credentials or tokens.
   */
  anonymous?: boolean;
}

/** Options of `RegistryAuth`: the HTTP client it wraps and where credentials come from. */
export interface RegistryAuthOptions {
  http: HttpClient;
  credentials?: CredentialProvider | null;
  /** Largest token response accepted (default 1 MiB). */
  maxTokenBytes?: number;
  /** Clock, for tests of the token cache. */
  now?: () => number;
  /** How long a successful credential lookup is reused, ms (default 5 min; a failed one never is). */
  credentialTtlMs?: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const MIN_TOKEN_LIFETIME_S = 60; // distribution's minimumTokenLifetimeSeconds
const EXPIRY_MARGIN_MS = 5_000;
const DEFAULT_CREDENTIAL_TTL_MS = 5 * 60_000;
/** Most tokens and challenges remembered per client (oldest dropped first, expired ones at once). */
export const MAX_CACHED_TOKENS = 64;
const MAX_CHALLENGES = 64;

/** Map insertion with a size bound: the oldest entries go first. */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

function originOf(url: string): string {
  return new URL(url).origin;
}

function hasAuthorization(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'authorization');
}

/** An `HttpClient` that answers registry/notary auth challenges. Share one per process and server. */
export class RegistryAuth implements HttpClient {
  private readonly http: HttpClient;
  private readonly credentialProvider: CredentialProvider | null;
  private credentials: { value: Promise<Credentials | null>; until: number } | undefined;
  private readonly credentialTtlMs: number;
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly maxTokenBytes: number;
  private readonly now: () => number;

  constructor(options: RegistryAuthOptions) {
    this.http = options.http;
    this.credentialProvider = options.credentials ?? null;
    this.maxTokenBytes = options.maxTokenBytes ?? 1 << 20;
    this.now = options.now ?? Date.now;
    this.credentialTtlMs = options.credentialTtlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
  }

  /** Concurrent callers share one lookup; a failed lookup is forgotten at once, a good one after the TTL. */
  private getCredentials(): Promise<Credentials | null> {
    const provider = this.credentialProvider;
    if (!provider) return Promise.resolve(null);
    const cached = this.credentials;
    if (cached && cached.until > this.now()) return cached.value;
    const value = provider();
    const entry = { value, until: Number.POSITIVE_INFINITY };
    this.credentials = entry;
    value.then(
      () => {
        entry.until = this.now() + this.credentialTtlMs;
      },
      () => {
        if (this.credentials === entry) this.credentials = undefined;
      },
    );
    return value;
  }

  /** Number of cached tokens (bounded by MAX_CACHED_TOKENS; expired ones are pruned on every insert). */
  get cachedTokenCount(): number {
    return this.tokens.size;
  }

  /** The last request URL and its origin (a warm client asks the same URL again and again). */
  private lastOrigin: readonly [string, string] | undefined;

  private originOf(url: string): string {
    if (this.lastOrigin?.[0] !== url) this.lastOrigin = [url, originOf(url)];
    return this.lastOrigin[1];
  }

  async request(req: AuthRequest): Promise<HttpResponse> {
    const { scope, anonymous, ...plain } = req;
    if (anonymous) {
      const headers = Object.fromEntries(
        Object.entries(plain.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'authorization'),
      );
      return this.http.request({ ...plain, headers });
    }
    const scopes = scope === undefined ? undefined : Array.isArray(scope) ? scope : [scope];
    if (hasAuthorization(plain.headers)) return this.http.request(plain);
    const origin = this.originOf(plain.url);

    // Authorise up front when this origin challenged us before.
    const known = this.challenges.get(origin);
    let sent: string | undefined;
    if (known) sent = await this.authorization(known, scopes, false);
    let res = await this.http.request(withAuth(plain, sent));
    if (res.status !== 401) return res;

    const challenge = pickChallenge(res.headers['www-authenticate']);
    if (!challenge) throw this.denied(plain.url, res, false);
    checkRealm(challenge, plain.url);
    boundedSet(this.challenges, origin, challenge, MAX_CHALLENGES);
    const authz = await this.authorization(challenge, scopes, sent !== undefined);
    if (authz === undefined) throw this.denied(plain.url, res, false);
    res = await this.http.request(withAuth(plain, authz));
    if (res.status === 401) throw this.denied(plain.url, res, (await this.getCredentials()) !== null);
    return res;
  }

  async close(): Promise<void> {
    await this.http.close?.();
  }

  private denied(url: string, res: HttpResponse, hadCredentials: boolean): NetworkError {
    const detail = serverErrorDetail(res.body);
    return new NetworkError(
      'AUTH',
      `${displayUrl(url)}: authentication required (401${detail ? `: ${detail}` : ''})` +
        (hadCredentials
          ? '; the credentials were accepted but do not grant this access'
          : '; no credentials found (set NOTARY_AUTH or run docker login)'),
    );
  }

  /** The Authorization header value answering `challenge`, or undefined when we cannot. */
  private async authorization(
    challenge: Challenge,
    scopes: string[] | undefined,
    refresh: boolean,
  ): Promise<string | undefined> {
    if (challenge.scheme === 'basic') {
      const c = await this.getCredentials();
      if (!c || c.username === undefined || c.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
    }
    const realm = challenge.params.realm;
    if (!realm) return undefined;
    const service = challenge.params.service ?? '';
    const wanted = scopes ?? (challenge.params.scope ? challenge.params.scope.split(' ') : []);
    const key = `${realm}\n${service}\n${wanted.join(' ')}`;
    const cached = this.tokens.get(key);
    if (!refresh && cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
    // Concurrent requests for the same scope share one token fetch.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(realm, service, wanted).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fetched = await pending;
    this.storeToken(key, fetched);
    return `Bearer ${fetched.token}`;
  }

  private storeToken(key: string, token: CachedToken): void {
    const now = this.now();
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
    boundedSet(this.tokens, key, token, MAX_CACHED_TOKENS);
  }

  private async fetchToken(realm: string, service: string, scopes: string[]): Promise<CachedToken> {
    const realmUrl = new URL(realm); // checked by checkRealm when the challenge arrived
    const creds = await this.getCredentials();
    const started = this.now();
    let res: HttpResponse;
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant (docker login with an identity token).
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.identityToken);
      form.set('service', service);
      form.set('client_id', 'content-trust');
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.http.request({
        method: 'POST',
        url: realmUrl.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new TextEncoder().encode(form.toString()),
        maxBytes: this.maxTokenBytes,
      });
    } else {
      if (service) realmUrl.searchParams.set('service', service);
      for (const s of scopes) realmUrl.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds && creds.username !== undefined && creds.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
      }
      res = await this.http.request({
        method: 'GET',
        url: realmUrl.toString(),
        headers,
        maxBytes: this.maxTokenBytes,
      });
    }
    const where = `token server ${displayUrl(`${realmUrl.origin}${realmUrl.pathname}`)}`;
    if (res.status === 401 || res.status === 403) {
      throw new NetworkError(
        'AUTH',
        creds
          ? `${where} rejected the credentials (${res.status})`
          : `${where} requires credentials (${res.status}); set NOTARY_AUTH or run docker login`,
      );
    }
    if (res.status !== 200) {
      throw new NetworkError(res.status >= 500 ? 'SERVER_ERROR' : 'AUTH', `${where} answered ${res.status}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(res.body)) as typeof body;
    } catch {
      throw new NetworkError('AUTH', `${where} did not answer JSON`);
    }
    const token =
      typeof body.token === 'string' && body.token !== ''
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : '';
    if (token === '' || /[\r\n]/.test(token))
      throw new NetworkError('AUTH', `${where} returned no usable token`);
    const lifetime =
      typeof body.expires_in === 'number' &&
      Number.isFinite(body.expires_in) &&
      body.expires_in > MIN_TOKEN_LIFETIME_S
        ? body.expires_in
        : MIN_TOKEN_LIFETIME_S;
    return { token, expiresAt: started + lifetime * 1000 - EXPIRY_MARGIN_MS };
  }
}

/**
 * A Bearer realm must pass the one server-URL validator: https, or plain http only on a loopback host.
 * Credentials (and the token the realm returns) never go to a plain-http realm across a network, even
 * when the trust server itself speaks https.
 */
function checkRealm(challenge: Challenge, serverUrl: string): void {
  if (challenge.scheme !== 'bearer') return;
  const realm = challenge.params.realm ?? '';
  const r = checkServerUrl(realm, 'realm');
  if (r.ok) return;
  const shown = URL.canParse(realm) ? displayUrl(realm) : JSON.stringify(realm.slice(0, 200));
  throw new NetworkError(
    'AUTH',
    `${displayUrl(serverUrl)} sent the token realm ${escapeControl(shown)}: a realm ${r.reason}; ` +
      'refusing to send credentials there',
    { actual: escapeControl(shown) },
  );
}

function withAuth(req: HttpRequest, authorization: string | undefined): HttpRequest {
  if (authorization === undefined) return req;
  // Object.assign, not `{ ...req, headers }`: V8 builds the latter on a slow path (issue 12), and an
  // authorised request is every request to a server that asks for a token
  const headers: Record<string, string> = Object.assign({}, req.headers);
  headers.authorization = authorization;
  const out: HttpRequest = Object.assign({}, req);
  out.headers = headers;
  return out;
}

/** Prefers Bearer over Basic, like docker. */
function pickChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const all = parseWwwAuthenticate(header);
  return all.find((c) => c.scheme === 'bearer' && c.params.realm) ?? all.find((c) => c.scheme === 'basic');
}

/** `code: message` of a registry-style error body `{"errors":[{"code","message"}]}`, if any. */
export function serverErrorDetail(body: Uint8Array): string | undefined {
  if (body.byteLength === 0 || body.byteLength > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as {
      errors?: Array<{ code?: unknown; message?: unknown }>;
    };
    const first = parsed.errors?.[0];
    if (!first) return undefined;
    const parts = [first.code, first.message].filter((x): x is string => typeof x === 'string' && x !== '');
    return parts.length > 0 ? escapeControl(parts.join(': ').slice(0, 300)) : undefined;
  } catch {
    return undefined;
  }
}

/** Options a transport takes to build its authenticating client. */
export interface AuthClientOptions {
  auth?: RegistryAuth;
  http?: HttpClient;
  credentials?: CredentialProvider | null;
  ca?: PemInput;
  deadlineMs?: number;
}

/** The given shared client, else one over `http` (or a new node:https client with `ca` and `deadlineMs`). */
export function authClientFor(options: AuthClientOptions): RegistryAuth {
  if (options.auth) return options.auth;
  const http =
    options.http ??
    createHttpClient({
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    });
  return new RegistryAuth({ http, credentials: options.credentials ?? null });
}
