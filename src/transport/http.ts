/**
 * The HTTP seam. Everything that talks to a server goes through `HttpClient`, which moves bytes and
 * nothing else: it never decides trust. It bounds what a peer can do to us:
 *
 * - an overall deadline per request (connect + headers + body + retries): a server that drips bytes
 *   cannot hang us (NetworkError TIMEOUT);
 * - a size cap, checked against Content-Length before reading and again while streaming
 *   (VerificationError TOO_LARGE naming the URL and the limit);
 * - bounded retries, only for idempotent methods and only on 5xx answers or connection failures;
 * - keep-alive connections.
 *
 * TLS: an extra CA (PEM, e.g. from --tlscacert) is ADDED to the system roots (`tls.rootCertificates`
 * plus `NODE_EXTRA_CA_CERTS`), never substituted for them.
 *
 * The default implementation uses node:http/node:https: measured on this project's CLI warm path it
 * starts ~3x faster than undici. Requests that go through an HTTPS_PROXY/HTTP_PROXY use undici
 * (src/transport/http-undici.ts), loaded only then. Headers and bodies are never logged, error messages
 * carry URLs without userinfo and no control characters, and never name CLI flags.
 */

import { readFileSync } from 'node:fs';
// named imports: a namespace import of a node built-in makes the CLI bundles copy its exports into
// getters at start (issue 12: young-generation garbage in every `trust` process)
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import { LocalError, NetworkError, TrustError, VerificationError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { proxyConfigFromEnv, proxyFor } from './proxy.js';
import { isLoopbackHost } from './server-url.js';
import { isPlainHttpAnswer, isUntrustedServerCertificate, UNTRUSTED_CHAIN_CODES } from './tls-errors.js';

/** Whether `text` is one or more ASCII digits (`/^\d+$/`, without a regular expression to compile: issue 12). */
export function isDecimal(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** One HTTP request: method, URL, headers, body, size cap and deadline. */
export interface HttpRequest {
  method: string;
  url: string;
  /** Request headers (any case). */
  headers?: Record<string, string>;
  body?: Uint8Array;
  /**
   * Most bytes of a 2xx response body accepted; more is VerificationError TOO_LARGE. Bodies of other
   * answers are informational: truncated at ERROR_BODY_LIMIT, never an error.
   */
  maxBytes: number;
  /** Overall deadline for this request in ms, retries included (default: the client's). */
  deadlineMs?: number;
}

/** One HTTP response: status, lower-cased headers and the body (capped by the request's `maxBytes`). */
export interface HttpResponse {
  status: number;
  /** Response headers, names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The HTTP seam every transport uses; `createHttpClient` makes the default one. */
export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Closes idle keep-alive connections. Optional; idle sockets never keep the process alive. */
  close?(): Promise<void>;
}

/** PEM text of one or more certificates. */
export type PemInput = string | Uint8Array | ReadonlyArray<string | Uint8Array>;

/** Options of `createHttpClient`: extra CAs, deadlines, retries. */
export interface HttpClientOptions {
  /** Extra CA certificate(s), PEM, added to the system roots. */
  ca?: PemInput;
  /** Default overall deadline per request, ms (default 30 000). */
  deadlineMs?: number;
  /** Retries after the first attempt for idempotent requests on 5xx / connection errors (default 2). */
  retries?: number;
  /** First back-off delay, ms, doubled per retry (default 200). */
  retryDelayMs?: number;
  /** User-Agent header (default `content-trust`). */
  userAgent?: string;
  /** Environment to read NODE_EXTRA_CA_CERTS from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_DEADLINE_MS = 30_000;
/** Bodies of non-2xx answers are kept up to this many bytes (then truncated, never an error). */
export const ERROR_BODY_LIMIT = 64 * 1024;
export const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 200;
const DEFAULT_USER_AGENT = 'content-trust';
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** One attempt, no retries: the part that differs between implementations. */
export type Transport = (req: HttpRequest, deadlineAt: number, url?: URL) => Promise<HttpResponse>;

/** The URL for messages: no userinfo, no fragment. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

/** The extra CA certificates as PEM strings (validated), or undefined. */
export function extraCaList(extra: PemInput | undefined): string[] | undefined {
  if (extra === undefined) return undefined;
  const list = Array.isArray(extra) ? extra : [extra as string | Uint8Array];
  const extras = list.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8')));
  for (const pem of extras) {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new LocalError('CONFIG', 'the extra CA is not a PEM certificate');
    }
  }
  return extras;
}

/**
 * The CA list to hand to TLS: undefined (Node's defaults, which include NODE_EXTRA_CA_CERTS) when no
 * extra CA is given, else system roots + NODE_EXTRA_CA_CERTS + the extra certificates.
 */
export function buildCaList(
  extra: PemInput | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  const extras = extraCaList(extra);
  if (extras === undefined) return undefined;
  const out = [...rootCertificates];
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      out.push(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new LocalError('CONFIG', `cannot read NODE_EXTRA_CA_CERTS (${file})`, { cause: err });
    }
  }
  out.push(...extras);
  return out;
}

export function tooLarge(url: string, maxBytes: number, actual?: number): VerificationError {
  return new VerificationError(
    'TOO_LARGE',
    `response from ${displayUrl(url)} exceeds the limit of ${maxBytes} bytes` +
      (actual !== undefined ? ` (Content-Length ${actual})` : ''),
    { expected: `<= ${maxBytes} bytes`, ...(actual !== undefined ? { actual: `${actual} bytes` } : {}) },
  );
}

export function timedOut(url: string, deadlineMs: number): NetworkError {
  return new NetworkError(
    'TIMEOUT',
    `request to ${displayUrl(url)} did not complete within ${deadlineMs} ms`,
  );
}

export function connectionFailed(url: string, err: unknown): NetworkError {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  if (isPlainHttpAnswer(err)) {
    const u = new URL(url);
    const fix = isLoopbackHost(u.hostname)
      ? `use http://${u.host}${u.pathname === '/' ? '' : u.pathname.replace(/\/v2\/.*$/, '')}`
      : 'plain http:// is accepted only for a loopback host; ask for its https:// address';
    return new NetworkError(
      'NETWORK',
      `${displayUrl(url)}: the server speaks plain HTTP, not HTTPS; ${fix}`,
      {
        cause: err,
      },
    );
  }
  let tls = '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') tls = ' (TLS: the certificate does not name this host)';
  else if (isUntrustedServerCertificate(err)) {
    tls = ' (TLS: the server certificate does not chain to a system root or the given extra CA)';
  } else if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    tls = ' (TLS: the server certificate is not valid)';
  }
  return new NetworkError(
    'NETWORK',
    escapeControl(
      `cannot reach ${displayUrl(url)}: ${typeof code === 'string' && !msg.includes(code) ? `${code} ` : ''}${msg.trim()}${tls}`,
    ),
    { cause: err },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry + deadline policy around a one-shot transport. */
export class RetryingHttpClient implements HttpClient {
  private readonly deadlineMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly userAgent: string;
  /** The last URL parsed and its parse, never modified: a warm client asks the same URL again (issue 12). */
  #lastUrl: readonly [string, URL] | undefined;

  constructor(
    private readonly transport: Transport,
    options: HttpClientOptions = {},
    private readonly onClose?: () => Promise<void>,
  ) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method.toUpperCase();
    const deadlineMs = req.deadlineMs ?? this.deadlineMs;
    const deadlineAt = Date.now() + deadlineMs;
    let url: URL;
    const last = this.#lastUrl;
    if (last !== undefined && last[0] === req.url) url = last[1];
    else {
      try {
        url = new URL(req.url);
      } catch {
        throw new LocalError('CONFIG', `invalid URL ${JSON.stringify(req.url.slice(0, 200))}`);
      }
      this.#lastUrl = [req.url, url];
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new LocalError('CONFIG', `unsupported URL scheme ${url.protocol} in ${displayUrl(req.url)}`);
    }
    if (!Number.isSafeInteger(req.maxBytes) || req.maxBytes < 0) {
      throw new LocalError('USAGE', `maxBytes must be a non-negative integer, got ${req.maxBytes}`);
    }
    const headers: Record<string, string> = {};
    const given = req.headers;
    if (given !== undefined) for (const k of Object.keys(given)) headers[k.toLowerCase()] = given[k]!;
    headers['user-agent'] ??= this.userAgent;
    // field by field: V8 builds `{ ...req, method, headers }` on a slow path (~2.5 us; issue 12)
    const one: HttpRequest = { method, url: req.url, headers, maxBytes: req.maxBytes };
    if (req.body !== undefined) one.body = req.body;
    if (req.deadlineMs !== undefined) one.deadlineMs = req.deadlineMs;
    const retries = IDEMPOTENT.has(method) ? this.retries : 0;

    for (let attempt = 0; ; attempt++) {
      if (Date.now() >= deadlineAt) throw timedOut(req.url, deadlineMs);
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.transport(one, deadlineAt, url);
      } catch (err) {
        failure = err;
      }
      const retryable = res
        ? res.status >= 500
        : failure instanceof NetworkError && failure.code === 'NETWORK' && isConnectionError(failure.cause);
      const delay = this.retryDelayMs * 2 ** attempt;
      if (!retryable || attempt >= retries || Date.now() + delay >= deadlineAt) {
        if (res) return res;
        if (failure instanceof TrustError) {
          if (failure.code === 'TIMEOUT') throw timedOut(req.url, deadlineMs);
          throw failure;
        }
        throw connectionFailed(req.url, failure);
      }
      await sleep(delay);
    }
  }

  async close(): Promise<void> {
    await this.onClose?.();
  }
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Whether a low-level error is a connection problem (retryable) rather than e.g. a TLS trust failure. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  return err instanceof Error && /socket hang up|other side closed|aborted/i.test(err.message);
}

/** Maps a transport failure to a TrustError (the retry loop looks at `cause` to decide). */
export function transportFailure(url: string, err: unknown): TrustError {
  if (err instanceof TrustError) return err;
  return connectionFailed(url, err);
}

/** A connection that ended before the whole response arrived (retryable like a reset). */
export function prematureClose(): Error {
  return Object.assign(new Error('connection closed before the response was complete'), {
    code: 'ECONNRESET',
  });
}

function joinHeaders(raw: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The node:http / node:https transport. */
export function nodeTransport(options: HttpClientOptions = {}): {
  transport: Transport;
  close: () => Promise<void>;
} {
  // With an extra CA, trust it alone first: building a context from the ~150 system roots (plus
  // NODE_EXTRA_CA_CERTS) costs ~40 ms per process, which a pre-pull hook pays per image. Only when
  // the chain does not end at the extra CA do we fall back to system roots + extra CA; both
  // attempts verify the full chain and host name.
  const extraOnly = extraCaList(options.ca);
  let ca: string[] | undefined = extraOnly;
  let fullRoots = extraOnly === undefined;
  let httpAgent: HttpAgent | undefined;
  let httpsAgent: HttpsAgent | undefined;
  const widenTrust = (): boolean => {
    if (fullRoots) return false;
    fullRoots = true;
    ca = buildCaList(options.ca, options.env);
    httpsAgent?.destroy();
    httpsAgent = undefined;
    return true;
  };
  const agentFor = (protocol: string): HttpAgent => {
    if (protocol === 'https:') {
      // the CA list as a context built once: node's agent names its socket pool per request from the
      // TLS options, and a `ca` list of PEM text made that name kilobytes long (issue 12)
      httpsAgent ??= new HttpsAgent({
        keepAlive: true,
        maxSockets: 8,
        ...(ca ? { secureContext: createSecureContext({ ca }) } : {}),
      });
      return httpsAgent;
    }
    httpAgent ??= new HttpAgent({ keepAlive: true, maxSockets: 8 });
    return httpAgent;
  };

  // no async frame of its own: the answer reaches the caller one microtask step sooner (issue 12)
  const transport: Transport = (req, deadlineAt, parsed) =>
    attempt(req, deadlineAt, parsed).catch((e: unknown) => {
      const code = ((e as TrustError).cause as { code?: unknown } | undefined)?.code;
      if (typeof code === 'string' && UNTRUSTED_CHAIN_CODES.has(code) && widenTrust()) {
        return attempt(req, deadlineAt, parsed);
      }
      throw e;
    });

  const attempt: Transport = (req, deadlineAt, parsed) =>
    new Promise<HttpResponse>((resolve, reject) => {
      // the URL the retry loop parsed and checked (never modified), else parsed here
      const url = parsed ?? new URL(req.url);
      // node copies the headers into the request (setHeader per name): a body's length needs a copy
      const headers: Record<string, string> | undefined =
        req.body === undefined
          ? req.headers
          : Object.assign({}, req.headers, { 'content-length': String(req.body.byteLength) });
      let settled = false;
      /** Set when the whole answer is in: gives it to the caller (see the response's 'end'). */
      let answered: (() => void) | undefined;
      const finish = (err: unknown, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err !== undefined) {
          request.destroy();
          reject(transportFailure(req.url, err));
        } else if (res) {
          resolve(res);
        }
      };
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method: req.method, headers, agent: agentFor(url.protocol) },
        (res) => {
          const status = res.statusCode ?? 0;
          const resHeaders = joinHeaders(res.headers);
          const noBody =
            req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
          const declared = resHeaders['content-length'];
          // Error answers are informational: truncated at ERROR_BODY_LIMIT instead of failing.
          const isError = status < 200 || status >= 300;
          const limit = isError ? ERROR_BODY_LIMIT : req.maxBytes;
          if (!noBody && declared !== undefined && isDecimal(declared) && Number(declared) > limit) {
            if (isError) finish(undefined, { status, headers: resHeaders, body: new Uint8Array(0) });
            else finish(tooLarge(req.url, req.maxBytes, Number(declared)));
            res.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let total = 0;
          res.on('data', (chunk: Buffer) => {
            if (total + chunk.length > limit) {
              if (isError) {
                chunks.push(chunk.subarray(0, limit - total));
                const buf = Buffer.concat(chunks, limit);
                finish(undefined, {
                  status,
                  headers: resHeaders,
                  body: new Uint8Array(buf.buffer, buf.byteOffset, limit),
                });
              } else {
                finish(tooLarge(req.url, req.maxBytes));
              }
              res.destroy();
              return;
            }
            total += chunk.length;
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (!res.complete) {
              finish(prematureClose());
              return;
            }
            const buf = Buffer.concat(chunks, total);
            const answer = {
              status,
              headers: resHeaders,
              body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
            };
            // Answer once the agent has the socket back (issue 12): node frees a keep-alive socket
            // on the next tick after both the response ended and the request finished writing; a
            // fast server's answer can end before node has reported the last write of the body
            // (TLS reports writes from an immediate; libuv reads before it reports writes), and a
            // caller's next request, made on the resolution, would open a second connection (one
            // more TLS handshake) instead. Those reports all come before this turn's immediates. A
            // body still not written then is one the server has not read while answering: the
            // socket is destroyed, never pooled (it would hold our unsent bytes until the server
            // closed it), and the answer given at once. The answer is complete: an error of the
            // request from here on still gives it.
            let grace: ReturnType<typeof setImmediate> | undefined;
            answered = () => {
              if (grace !== undefined) clearImmediate(grace);
              grace = undefined;
              process.nextTick(() => finish(undefined, answer));
            };
            if (request.writableFinished) answered();
            else {
              request.once('finish', answered);
              request.once('close', answered);
              grace = setImmediate(() => {
                grace = undefined;
                if (!request.writableFinished) request.destroy();
                answered?.();
              });
            }
          });
          res.on('aborted', () => finish(prematureClose()));
          res.on('error', (err) => (answered ? answered() : finish(err)));
        },
      );
      const timer = setTimeout(
        () => finish(new NetworkError('TIMEOUT', `request to ${displayUrl(req.url)} timed out`)),
        Math.max(0, deadlineAt - Date.now()),
      );
      request.on('error', (err) => (answered ? answered() : finish(err)));
      request.end(
        req.body === undefined
          ? undefined
          : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
      );
    });

  const close = async () => {
    httpAgent?.destroy();
    httpsAgent?.destroy();
    httpAgent = undefined;
    httpsAgent = undefined;
  };
  return { transport, close };
}

/**
 * The default client: node:http/node:https with retries, deadlines and size caps. With HTTPS_PROXY /
 * HTTP_PROXY set (in `options.env`), requests that docker's rules send through the proxy go over undici's
 * EnvHttpProxyAgent (src/transport/http-undici.ts, loaded on the first such request); the rest stay direct.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const direct = nodeTransport(options);
  const proxy = proxyConfigFromEnv(options.env ?? process.env);
  if (!proxy) return new RetryingHttpClient(direct.transport, options, direct.close);
  let proxied: Promise<{ transport: Transport; close: () => Promise<void> }> | undefined;
  const viaProxy = () => {
    proxied ??= import('./http-undici.js').then((m) => m.undiciTransport(options, proxy));
    return proxied;
  };
  const transport: Transport = async (req, deadlineAt, parsed) => {
    const url = parsed ?? new URL(req.url);
    if (proxyFor(url, proxy) === undefined) return direct.transport(req, deadlineAt, url);
    return (await viaProxy()).transport(req, deadlineAt);
  };
  const close = async () => {
    await direct.close();
    if (proxied) await (await proxied).close();
  };
  return new RetryingHttpClient(transport, options, close);
}
