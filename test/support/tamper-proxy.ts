/**
 * A tampering trust server for attack tests: a node:https server that speaks
 * notary-server's GET protocol (`/v2/<gun>/_trust/tuf/<name>.json` with plain,
 * `<v>.root` and `<role>.<sha256|sha512 hex>` names) and answers either from
 * files a test put there (`serve`, kept like notary-server keeps them: current
 * per role, every version by checksum and `<v>.root`) or by proxying to a real
 * notary-server (`upstream`). Tests install rules that rewrite answers: other
 * bytes, an older genuine version, a status, a delay, bytes dripped forever, or
 * an endless body. Every request is logged.
 *
 * TLS: a throwaway self-signed certificate for 127.0.0.1 made with openssl
 * once per process; clients trust it via `ca` (TrustOptions.tlsCaCert).
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TamperRequest {
  method: string;
  /** Request path, e.g. `/v2/<gun>/_trust/tuf/snapshot.<hex>.json`. */
  path: string;
  /** The GUN of a TUF request, else null. */
  gun: string | null;
  /** Metadata name without `.json` (`timestamp`, `2.root`, `snapshot.<hex>`), else null. */
  name: string | null;
  /** Role the name refers to (`root`, `snapshot`, `targets/releases`), else null. */
  role: string | null;
  /** How the name addresses the role. */
  kind: 'plain' | 'version' | 'checksum' | null;
  /** `<v>.root` → v. */
  version?: number;
  /** `<role>.<hex>` → hex. */
  checksum?: string;
  headers: IncomingHttpHeaders;
  /** Request body (a publish's multipart upload), forwarded to the upstream as is. */
  body?: Buffer;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What to answer with. `'pass'`: the default answer (served files, else the upstream server). */
export type Reply =
  | 'pass'
  | { status?: number; body: Uint8Array | string; headers?: Record<string, string> }
  /** 200 (optionally with a Content-Length), then `chunk` every `everyMs` until the client hangs up. */
  | { drip: { chunk: Uint8Array | string; everyMs: number; contentLength?: number } }
  /** 200 and an endless chunked body, as fast as the client reads (bounded at 1 GiB). */
  | { endless: { chunkBytes?: number } }
  /** Never answers; the connection stays open. */
  | { hang: true }
  /** Answers `reply` after `delayMs`. */
  | { delayMs: number; reply: Reply };

/** `fallback()` gives the default answer (served files or upstream), e.g. to rewrite it. */
export type Fallback = () => Promise<Answer>;

/** A rule sees every request; the first rule returning a Reply decides. */
export type Rule = (req: TamperRequest, fallback: Fallback) => Reply | undefined | Promise<Reply | undefined>;

export interface TamperProxyOptions {
  /** Real notary-server to proxy to for repositories with no served files. */
  upstream?: { url: string; ca: string };
}

const TUF_PATH = /^\/v2\/(.+)\/_trust\/tuf\/(.+)\.json$/;
const VERSION_NAME = /^([0-9]+)\.(.+)$/;
const CHECKSUM_NAME = /^(.+)\.([0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$/;

let certCache: { key: string; cert: string } | undefined;

/** A self-signed P-256 certificate for 127.0.0.1 and localhost (openssl, once per process). */
export function selfSignedCert(): { key: string; cert: string } {
  if (certCache) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'ct-tamper-cert-'));
  try {
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=tamper-proxy',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    certCache = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
    return certCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type ParsedPath = Pick<TamperRequest, 'gun' | 'name' | 'role' | 'kind' | 'version' | 'checksum'>;

/** Parses a request path the way notary-server routes it. */
export function parseTufPath(path: string): ParsedPath {
  const m = TUF_PATH.exec(path.split('?')[0]!);
  if (!m) return { gun: null, name: null, role: null, kind: null };
  const gun = decodeURIComponent(m[1]!);
  const name = decodeURIComponent(m[2]!);
  const v = VERSION_NAME.exec(name);
  if (v) return { gun, name, role: v[2]!, kind: 'version', version: Number(v[1]) };
  const c = CHECKSUM_NAME.exec(name);
  if (c) return { gun, name, role: c[1]!, kind: 'checksum', checksum: c[2]! };
  return { gun, name, role: name, kind: 'plain' };
}

function versionOf(bytes: Uint8Array): number | undefined {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { version?: unknown } }).signed
      ?.version;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

const hexDigest = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');

/** One repository's files as notary-server keeps them. */
class ServedRepo {
  readonly current = new Map<string, Buffer>();
  readonly byVersion = new Map<string, Buffer>();
  readonly byChecksum = new Map<string, Buffer>();

  put(role: string, bytes: Uint8Array): void {
    const b = Buffer.from(bytes);
    this.current.set(role, b);
    const v = versionOf(b);
    if (v !== undefined) this.byVersion.set(`${v}.${role}`, b);
    for (const alg of ['sha256', 'sha384', 'sha512']) this.byChecksum.set(`${role}.${hexDigest(alg, b)}`, b);
  }

  get(req: TamperRequest): Buffer | undefined {
    if (req.kind === 'plain') return this.current.get(req.role!);
    if (req.kind === 'version') return this.byVersion.get(req.name!);
    if (req.kind === 'checksum') return this.byChecksum.get(req.name!);
    return undefined;
  }
}

function notFound(): Answer {
  return {
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}',
    ),
  };
}

export class TamperProxy {
  readonly url: string;
  /** PEM of the server certificate: pass as TrustOptions.tlsCaCert. */
  readonly ca: string;
  /** Every request received, in order. */
  readonly requests: TamperRequest[] = [];
  readonly #server: Server;
  readonly #upstream: TamperProxyOptions['upstream'];
  readonly #repos = new Map<string, ServedRepo>();
  #rules: Rule[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server, url: string, ca: string, upstream: TamperProxyOptions['upstream']) {
    this.#server = server;
    this.url = url;
    this.ca = ca;
    this.#upstream = upstream;
  }

  static async start(options: TamperProxyOptions = {}): Promise<TamperProxy> {
    const { key, cert } = selfSignedCert();
    let self: TamperProxy | undefined;
    const server = createServer({ key, cert }, (req, res) => {
      self!.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`tamper proxy: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    self = new TamperProxy(server, `https://127.0.0.1:${port}`, cert, options.upstream);
    return self;
  }

  /** Serves `bytes` as the current `<role>.json` of `gun` (older ones stay reachable by checksum/version). */
  serve(gun: string, role: string, bytes: Uint8Array): void {
    let repo = this.#repos.get(gun);
    if (!repo) {
      repo = new ServedRepo();
      this.#repos.set(gun, repo);
    }
    repo.put(role, bytes);
  }

  /** Serves several roles at once (`{root, targets, snapshot, timestamp, 'targets/releases'}`). */
  serveAll(gun: string, files: Readonly<Record<string, Uint8Array | undefined>>): void {
    for (const [role, bytes] of Object.entries(files)) if (bytes) this.serve(gun, role, bytes);
  }

  /** Adds a rule (rules are checked in the order added). */
  rule(rule: Rule): void {
    this.#rules.push(rule);
  }

  /** Shorthand: `reply` for every request for `role` (and `kind`, when given). */
  on(
    role: string,
    reply: Reply | ((req: TamperRequest, fallback: Fallback) => Reply | Promise<Reply>),
    kind?: TamperRequest['kind'],
  ): void {
    this.rule((req, fallback) => {
      if (req.role !== role || (kind !== undefined && req.kind !== kind)) return undefined;
      return typeof reply === 'function' ? reply(req, fallback) : reply;
    });
  }

  /** Drops all rules and the request log (served files stay). */
  reset(): void {
    this.#rules = [];
    this.requests.length = 0;
  }

  /** Forgets the requests logged so far (rules stay). */
  clearLog(): void {
    this.requests.length = 0;
  }

  /** Names of the metadata files requested so far (`timestamp`, `snapshot.<hex>`...). */
  requestedNames(): string[] {
    return this.requests.filter((r) => r.name !== null).map((r) => r.name!);
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** The default answer: a served file, else the upstream's answer, else 404. */
  async fallback(req: TamperRequest): Promise<Answer> {
    const repo = req.gun === null ? undefined : this.#repos.get(req.gun);
    if (repo) return repo.get(req) ? { status: 200, headers: json(), body: repo.get(req)! } : notFound();
    if (this.#upstream) return this.proxy(req);
    return notFound();
  }

  private proxy(req: TamperRequest): Promise<Answer> {
    const up = this.#upstream!;
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'user-agent', 'accept', 'content-type']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    return new Promise((resolve, reject) => {
      const r = request(new URL(req.path, up.url), { method: req.method, headers, ca: up.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const h of ['content-type', 'www-authenticate']) {
            const v = res.headers[h];
            if (typeof v === 'string') out[h] = v;
          }
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(req.body && req.body.length > 0 ? req.body : undefined);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const treq: TamperRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      ...parseTufPath(path),
    };
    this.requests.push(treq);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (chunks.length > 0) treq.body = Buffer.concat(chunks);
    let memo: Promise<Answer> | undefined;
    const fallback: Fallback = () => {
      memo ??= this.fallback(treq);
      return memo;
    };
    let reply: Reply = 'pass';
    for (const rule of this.#rules) {
      const r = await rule(treq, fallback);
      if (r !== undefined) {
        reply = r;
        break;
      }
    }
    await this.send(reply, fallback, res);
  }

  private later(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  private async send(reply: Reply, fallback: Fallback, res: ServerResponse): Promise<void> {
    if (res.destroyed) return;
    if (reply === 'pass') {
      const a = await fallback();
      res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length) });
      res.end(a.body);
      return;
    }
    if ('delayMs' in reply) {
      await this.later(reply.delayMs);
      await this.send(reply.reply, fallback, res);
      return;
    }
    if ('hang' in reply) return;
    if ('drip' in reply) {
      const { chunk, everyMs, contentLength } = reply.drip;
      const headers = json();
      if (contentLength !== undefined) headers['content-length'] = String(contentLength);
      res.writeHead(200, headers);
      res.flushHeaders();
      const t = setInterval(() => {
        if (res.destroyed || res.writableEnded) clearInterval(t);
        else res.write(chunk);
      }, everyMs);
      this.#timers.add(t);
      res.on('close', () => {
        clearInterval(t);
        this.#timers.delete(t);
      });
      return;
    }
    if ('endless' in reply) {
      const size = reply.endless.chunkBytes ?? 64 * 1024;
      res.writeHead(200, json());
      res.write('{"signed":');
      const spaces = Buffer.alloc(size, 0x20); // a valid JSON prefix that never completes
      let sent = 0;
      const pump = () => {
        while (!res.destroyed && sent < 1 << 30) {
          sent += size;
          if (!res.write(spaces)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : Buffer.from(reply.body);
    res.writeHead(reply.status ?? 200, {
      ...json(),
      ...reply.headers,
      'content-length': String(body.length),
    });
    res.end(body);
  }
}

function json(): Record<string, string> {
  return { 'content-type': 'application/json' };
}
