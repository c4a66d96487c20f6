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
 * Credentials come from a lazy `CredentialProvider`, consulted only when a server asks: `NOTARY_AUTH`
 * (base64 `user:pass`, what the notary CLI reads), docker's config.json (`auths`, `credHelpers`,
 * `credsStore` via `docker-credential-<name> get`). Credentials and tokens never appear in errors.
 */

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { escapeControl } from '../escape.js';
import { LocalError, NetworkError } from '../errors.js';
import {
  createHttpClient,
  displayUrl,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  type PemInput,
} from './http.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json, or a helper's `<token>` user). */
  identityToken?: string;
}

/** Looked up lazily, at most once per `RegistryAuth`, and only when a server demands authentication. */
export type CredentialProvider = () => Promise<Credentials | null>;

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

/** `user:pass` in base64 (NOTARY_AUTH, config.json `auth`) → credentials; null when malformed. */
export function decodeBasicAuth(b64: string): Credentials | null {
  const plain = Buffer.from(b64.trim(), 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return null;
  // notary trims the password (cmd/notary/tuf.go), which also drops a trailing newline from `base64`.
  return { username: plain.slice(0, i), password: plain.slice(i + 1).trim() };
}

/** Credentials from `NOTARY_AUTH` (base64 `user:pass`), as the notary CLI reads them. */
export function notaryAuthCredentials(env: NodeJS.ProcessEnv = process.env): CredentialProvider {
  return async () => {
    const v = env.NOTARY_AUTH;
    if (!v) return null;
    const c = decodeBasicAuth(v);
    if (!c) throw new LocalError('CONFIG', 'NOTARY_AUTH must be base64 of <username>:<password>');
    return c;
  };
}

/** The first provider that has credentials wins. */
export function firstCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async () => {
    for (const p of providers) {
      const c = await p();
      if (c) return c;
    }
    return null;
  };
}

/** Fixed credentials (tests, library users). */
export function staticCredentials(c: Credentials | null): CredentialProvider {
  return async () => c;
}

/** The key docker stores a registry's credentials under: `https://index.docker.io/v1/` for Docker Hub. */
export function dockerAuthKey(registryHost: string): string {
  const h = registryHost.toLowerCase();
  if (h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io') {
    return 'https://index.docker.io/v1/';
  }
  return registryHost;
}

/** `https://host:port/v1/` → `host:port` (docker's ConvertToHostname). */
function toHostname(key: string): string {
  let s = key;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(0, slash) : s;
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory holding config.json (default `$DOCKER_CONFIG` or `~/.docker`). */
  configDir?: string;
  /** Timeout for a `docker-credential-<helper> get` (default 10 s). */
  helperTimeoutMs?: number;
}

/** `$DOCKER_CONFIG` or `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || homedir(), '.docker');
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin. */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Credentials | null> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(
      new LocalError('CONFIG', `invalid credential helper name ${JSON.stringify(helper)}`),
    );
  }
  const exe = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(exe, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new LocalError('CONFIG', `cannot run ${exe}`, { cause: err }));
      return;
    }
    const out: Buffer[] = [];
    let outLen = 0;
    let done = false;
    const finish = (err: Error | null, value?: Credentials | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new LocalError('CONFIG', `${exe} get did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > 1 << 20) {
        child.kill('SIGKILL');
        finish(new LocalError('CONFIG', `${exe} get wrote too much output`));
        return;
      }
      out.push(d);
    });
    child.stderr?.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      // No such helper installed: like "no credentials" (the server will say if it needs some).
      if (err.code === 'ENOENT') finish(null, null);
      else finish(new LocalError('CONFIG', `cannot run ${exe}: ${err.code ?? err.message}`));
    });
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        if (/credentials not found/i.test(text)) finish(null, null);
        else finish(new LocalError('CONFIG', `${exe} get failed (exit ${code})`));
        return;
      }
      let parsed: { Username?: unknown; Secret?: unknown };
      try {
        parsed = JSON.parse(text) as { Username?: unknown; Secret?: unknown };
      } catch {
        finish(new LocalError('CONFIG', `${exe} get did not print JSON`));
        return;
      }
      const user = typeof parsed.Username === 'string' ? parsed.Username : '';
      const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
      if (secret === '') finish(null, null);
      else if (user === '<token>') finish(null, { identityToken: secret });
      else finish(null, { username: user, password: secret });
    });
    child.stdin?.on('error', () => {
      /* helper exited before reading: reported by 'close' */
    });
    child.stdin?.end(serverUrl);
  });
}

function fromAuthEntry(entry: DockerAuthEntry): Credentials | null {
  const c: Credentials = {};
  if (entry.auth) {
    const decoded = decodeBasicAuth(entry.auth);
    if (decoded) Object.assign(c, decoded);
  }
  if (entry.username && c.username === undefined) c.username = entry.username;
  if (entry.password && c.password === undefined) c.password = entry.password;
  if (entry.identitytoken) c.identityToken = entry.identitytoken;
  return c.username !== undefined || c.identityToken !== undefined ? c : null;
}

/**
 * Docker's credentials for `registryHost` from config.json: `credHelpers[key]`, else `credsStore`,
 * else `auths[key]` (also matched by host name, like docker's legacy lookup).
 */
export function dockerConfigCredentials(
  registryHost: string,
  options: DockerConfigOptions = {},
): CredentialProvider {
  return async () => {
    const env = options.env ?? process.env;
    const file = join(options.configDir ?? dockerConfigDir(env), 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LocalError('CONFIG', `cannot read ${file}`, { cause: err });
    }
    let cfg: DockerConfigFile;
    try {
      cfg = JSON.parse(text) as DockerConfigFile;
    } catch {
      throw new LocalError('CONFIG', `${file} is not valid JSON`);
    }
    if (cfg === null || typeof cfg !== 'object') return null;
    const key = dockerAuthKey(registryHost);
    const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[toHostname(key)] ?? cfg.credsStore;
    if (typeof helper === 'string' && helper !== '') {
      return runCredentialHelper(helper, key, {
        env,
        ...(options.helperTimeoutMs !== undefined ? { timeoutMs: options.helperTimeoutMs } : {}),
      });
    }
    const auths = cfg.auths ?? {};
    const exact = auths[key];
    if (exact) return fromAuthEntry(exact);
    const host = toHostname(key);
    for (const [k, entry] of Object.entries(auths)) {
      if (toHostname(k) === host && entry) return fromAuthEntry(entry);
    }
    return null;
  };
}

/**
 * What docker and notary use for a trust server or registry: `NOTARY_AUTH`, else docker's stored
 * credentials for the image's registry (docker authenticates to the trust server with the registry's).
 */
export function defaultCredentials(
  registryHost: string,
  env: NodeJS.ProcessEnv = process.env,
): CredentialProvider {
  return firstCredentials(notaryAuthCredentials(env), dockerConfigCredentials(registryHost, { env }));
}

// ---------------------------------------------------------------------------------------------
// The authenticating client

export interface AuthRequest extends HttpRequest {
  /** Token scope(s) to ask for, e.g. `repository:<gun>:pull`; default: the challenge's own scope. */
  scope?: string | string[];
}

export interface RegistryAuthOptions {
  http: HttpClient;
  credentials?: CredentialProvider | null;
  /** Largest token response accepted (default 1 MiB). */
  maxTokenBytes?: number;
  /** Clock, for tests of the token cache. */
  now?: () => number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const MIN_TOKEN_LIFETIME_S = 60; // distribution's minimumTokenLifetimeSeconds
const EXPIRY_MARGIN_MS = 5_000;

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
  private credentials: Promise<Credentials | null> | undefined;
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
  }

  private getCredentials(): Promise<Credentials | null> {
    if (!this.credentialProvider) return Promise.resolve(null);
    this.credentials ??= this.credentialProvider();
    return this.credentials;
  }

  async request(req: AuthRequest): Promise<HttpResponse> {
    const { scope, ...plain } = req;
    const scopes = scope === undefined ? undefined : Array.isArray(scope) ? scope : [scope];
    if (hasAuthorization(plain.headers)) return this.http.request(plain);
    const origin = originOf(plain.url);

    // Authorise up front when this origin challenged us before.
    const known = this.challenges.get(origin);
    let sent: string | undefined;
    if (known) sent = await this.authorization(known, scopes, false);
    let res = await this.http.request(withAuth(plain, sent));
    if (res.status !== 401) return res;

    const challenge = pickChallenge(res.headers['www-authenticate']);
    if (!challenge) throw this.denied(plain.url, res, false);
    this.challenges.set(origin, challenge);
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
    this.tokens.set(key, fetched);
    return `Bearer ${fetched.token}`;
  }

  private async fetchToken(realm: string, service: string, scopes: string[]): Promise<CachedToken> {
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new NetworkError(
        'AUTH',
        `the server sent an invalid token realm ${JSON.stringify(realm.slice(0, 200))}`,
      );
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new NetworkError('AUTH', `unsupported token realm scheme ${realmUrl.protocol}`);
    }
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

function withAuth(req: HttpRequest, authorization: string | undefined): HttpRequest {
  if (authorization === undefined) return req;
  return { ...req, headers: { ...(req.headers ?? {}), authorization } };
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
