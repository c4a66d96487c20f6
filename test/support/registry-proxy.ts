/**
 * A tampering proxy in front of a real docker-registry, for attack tests of registry-hosted trust.
 * Plain HTTP on 127.0.0.1 (loopback registries may be http, as docker allows), forwarding every
 * request (method, headers, body) to the upstream registry and rewriting Location headers so
 * uploads come back through the proxy. Tests install rules that answer instead: other bytes, a
 * status, an oversized body, the answer of another path. Every request is logged.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRequest {
  method: string;
  /** Path and query, e.g. `/v2/library/app/manifests/tuf-metadata`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** `manifests` or `blobs` requests: the repository and the reference (tag or digest). */
  kind: 'manifest' | 'blob' | 'upload' | 'other';
  repository?: string;
  reference?: string;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type ProxyReply =
  | 'pass'
  | { status?: number; headers?: Record<string, string>; body: Uint8Array | string };

export type ProxyRule = (
  req: ProxyRequest,
  upstream: (override?: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
  }) => Promise<ProxyAnswer>,
) => ProxyReply | undefined | Promise<ProxyReply | undefined>;

const ROUTE = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)(?:\?.*)?$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\//;

function parse(method: string, path: string, headers: IncomingHttpHeaders): ProxyRequest {
  const up = UPLOAD.exec(path);
  if (up) return { method, path, headers, kind: 'upload', repository: up[1]! };
  const m = ROUTE.exec(path);
  if (!m) return { method, path, headers, kind: 'other' };
  return {
    method,
    path,
    headers,
    kind: m[2] === 'manifests' ? 'manifest' : 'blob',
    repository: m[1]!,
    reference: decodeURIComponent(m[3]!),
  };
}

export class RegistryProxy {
  readonly url: string;
  /** host:port of the proxy (a registry host for image references). */
  readonly host: string;
  readonly requests: ProxyRequest[] = [];
  readonly #server: Server;
  readonly #upstream: URL;
  #rules: ProxyRule[] = [];

  private constructor(server: Server, port: number, upstream: string) {
    this.#server = server;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    this.#upstream = new URL(upstream);
  }

  static async start(upstream: string): Promise<RegistryProxy> {
    let self: RegistryProxy | undefined;
    const server = createServer((req, res) => {
      self!.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`registry proxy: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new RegistryProxy(server, (server.address() as AddressInfo).port, upstream);
    return self;
  }

  rule(rule: ProxyRule): void {
    this.#rules.push(rule);
  }

  reset(): void {
    this.#rules = [];
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #forward(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<ProxyAnswer> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v !== 'string' || k === 'host' || k === 'connection' || k === 'content-length') continue;
      out[k] = v;
    }
    if (body.length > 0 || method === 'PUT' || method === 'POST') out['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const r = request(new URL(path, this.#upstream), { method, headers: out }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined || k === 'connection' || k === 'transfer-encoding') continue;
            if (k === 'content-length' && method !== 'HEAD') continue;
            h[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          if (h.location) h.location = h.location.replace(this.#upstream.origin, this.url);
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(body);
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const preq = parse(method, path, req.headers);
    this.requests.push(preq);
    const upstream = (o: { method?: string; path?: string; headers?: Record<string, string> } = {}) =>
      this.#forward(o.method ?? method, o.path ?? path, { ...req.headers, ...o.headers }, body);
    let reply: ProxyReply = 'pass';
    for (const rule of this.#rules) {
      const r = await rule(preq, upstream);
      if (r !== undefined) {
        reply = r;
        break;
      }
    }
    const a: ProxyAnswer =
      reply === 'pass'
        ? await upstream()
        : {
            status: reply.status ?? 200,
            headers: reply.headers ?? {},
            body: Buffer.from(typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body),
          };
    const length = method === 'HEAD' ? (a.headers['content-length'] ?? '0') : String(a.body.length);
    res.writeHead(a.status, { ...a.headers, 'content-length': length });
    res.end(method === 'HEAD' ? undefined : a.body);
  }
}
