/**
 * Transport state of one client context: the authenticating HTTP clients (their keep-alive
 * connections, bearer tokens and credential lookups) shared by the calls made through that context.
 * A deploy tool that verifies many images through one context pays one TLS handshake and one token
 * fetch per server, not per image; two contexts share nothing.
 *
 * Clients are keyed by everything that changes what goes over the wire: server, extra CA, registry (the
 * credentials docker would use), deadline, NOTARY_AUTH and the proxy environment. The pool is bounded
 * (least recently used client closed first).
 */

import { hash as oneShotHash } from 'node:crypto';
import { RegistryAuth } from './auth.js';
import { defaultCredentials } from './credentials.js';
import { createHttpClient, type HttpClientOptions } from './http.js';
import { NotaryServerStore } from './notary-server.js';
import { PROXY_ENV_VARS } from './proxy.js';

/** What picks (or creates) a pooled authenticating client: every input that changes what goes over the wire. */
export interface PooledClientOptions {
  /** Trust server base URL. */
  server: string;
  /** Registry host of the image (whose docker credentials are used). */
  registry: string;
  /** Extra CA (PEM text). */
  tlsCaCert?: string;
  /** Per-request deadline, ms. */
  deadlineMs?: number;
  /** Environment (credentials, proxies, NODE_EXTRA_CA_CERTS). */
  env: NodeJS.ProcessEnv;
}

const hash = (s: string) => oneShotHash('sha256', s, 'hex');
/** The proxy environment of a process without proxy variables, and its hash. */
const NO_PROXY_ENV = PROXY_ENV_VARS.map(() => '').join('\n');
const NO_PROXY_HASH = hash(NO_PROXY_ENV);

/**
 * The authenticating HTTP clients of one client context (keep-alive connections, bearer tokens,
 * credential lookups), keyed by server, CA, registry, deadline and auth/proxy environment; bounded, least
 * recently used closed first. Held in `TrustContext`'s transport slot; two contexts share nothing.
 */
export class TransportPool {
  private readonly clients = new Map<string, RegistryAuth>();
  /** Notary server stores by server and GUN, each valid for the pooled client it was made with. */
  private readonly stores = new Map<string, { auth: RegistryAuth; store: NotaryServerStore }>();
  /** The last extra CA's text and hash: every call through a context passes the same CA (issue 12). */
  private lastCa: readonly [string, string] | undefined;
  /**
   * The last call's inputs, the environment's values included, and the client it got: a long-lived
   * context asks for the same client call after call, and finding it again is then a comparison of
   * the few strings read from the environment (issue 12), not a key built, hashed and looked up.
   */
  #last:
    | {
        readonly server: string;
        readonly tlsCaCert: string | undefined;
        readonly registry: string;
        readonly deadlineMs: number | undefined;
        readonly notaryAuth: string | undefined;
        readonly proxy: readonly (string | undefined)[];
        readonly key: string;
        readonly auth: RegistryAuth;
      }
    | undefined;

  constructor(private readonly maxClients = 64) {}

  /** The authenticating client for these options, created on first use. */
  authFor(o: PooledClientOptions): RegistryAuth {
    // the environment is read on every call: a changed NOTARY_AUTH or proxy takes effect at once
    const env = o.env;
    const notaryAuth = env.NOTARY_AUTH;
    const proxy = PROXY_ENV_VARS.map((v) => env[v]);
    const last = this.#last;
    if (
      last !== undefined &&
      last.server === o.server &&
      last.tlsCaCert === o.tlsCaCert &&
      last.registry === o.registry &&
      last.deadlineMs === o.deadlineMs &&
      last.notaryAuth === notaryAuth &&
      last.proxy.every((v, i) => v === proxy[i]) &&
      this.clients.get(last.key) === last.auth
    ) {
      return last.auth; // already the most recently used
    }
    const proxyEnv = proxy.map((v) => v ?? '').join('\n');
    let caHash = '';
    if (o.tlsCaCert) {
      if (this.lastCa?.[0] !== o.tlsCaCert) this.lastCa = [o.tlsCaCert, hash(o.tlsCaCert)];
      caHash = this.lastCa[1];
    }
    const key = [
      o.server,
      caHash,
      o.registry,
      o.deadlineMs ?? '',
      notaryAuth ? hash(notaryAuth) : '',
      proxyEnv === NO_PROXY_ENV ? NO_PROXY_HASH : hash(proxyEnv),
    ].join('|');
    let auth = this.clients.get(key);
    if (auth) {
      // most recently used last
      this.clients.delete(key);
      this.clients.set(key, auth);
    } else {
      const httpOpts: HttpClientOptions = { env };
      if (o.tlsCaCert) httpOpts.ca = o.tlsCaCert;
      if (o.deadlineMs !== undefined) httpOpts.deadlineMs = o.deadlineMs;
      auth = new RegistryAuth({
        http: createHttpClient(httpOpts),
        credentials: defaultCredentials(o.registry, env),
      });
      this.clients.set(key, auth);
      while (this.clients.size > this.maxClients) {
        const [oldestKey, oldest] = this.clients.entries().next().value as [string, RegistryAuth];
        this.clients.delete(oldestKey);
        void oldest.close();
      }
    }
    this.#last = {
      server: o.server,
      tlsCaCert: o.tlsCaCert,
      registry: o.registry,
      deadlineMs: o.deadlineMs,
      notaryAuth,
      proxy,
      key,
      auth,
    };
    return auth;
  }

  /**
   * The Notary server store of `gun` on `server` through the pooled client `auth` (stores hold no
   * state of their own: a warm verify through one context does not parse the server URL again).
   */
  notaryStore(server: string, gun: string, auth: RegistryAuth): NotaryServerStore {
    const key = `${server}\n${gun}`;
    const hit = this.stores.get(key);
    if (hit?.auth === auth) return hit.store;
    const store = new NotaryServerStore({ serverUrl: server, gun, auth });
    if (this.stores.size >= 4 * this.maxClients) this.stores.clear();
    this.stores.set(key, { auth, store });
    return store;
  }

  /** Number of live clients (for tests and diagnostics). */
  get size(): number {
    return this.clients.size;
  }

  /** Closes every client's idle connections and forgets them (tokens included). */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    this.stores.clear();
    await Promise.all(all.map((a) => a.close()));
  }
}
