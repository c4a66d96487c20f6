/**
 * A tampering trust server: speaks notary-server's read protocol over HTTPS
 * (`GET /v2/<gun>/_trust/tuf/<name>.json`, checksum and version names) from a
 * repository directory published with the library (FileStore layout, where the
 * test holds every key), and lets each test replace, drip, flood or fail any
 * response. Clients under test use the real HTTP transport against it.
 */

import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { selfSignedCert } from './tamper-proxy.js';

export type Behaviour =
  | { kind: 'bytes'; body: Uint8Array }
  | { kind: 'status'; status: number }
  | { kind: 'drip'; intervalMs: number }
  | { kind: 'endless' }
  | { kind: 'length-lie'; declared: number; body: Uint8Array };

/** The throw-away self-signed certificate for 127.0.0.1 (shared with the tamper proxy). */
export function tamperTls(): { key: string; cert: string } {
  return selfSignedCert();
}

export class TamperServer {
  readonly overrides = new Map<string, Behaviour>();
  readonly requests: string[] = [];
  #server: Server | undefined;
  #url = '';

  constructor(
    /** FileStore root (the directory given as `file://` server to the publishing workflows). */
    readonly repoDir: string,
  ) {}

  get url(): string {
    return this.#url;
  }

  /** Path of a served file in the repository directory. */
  filePath(gun: string, name: string): string {
    return join(this.repoDir, ...gun.split('/'), '_trust', 'tuf', name);
  }

  async start(): Promise<void> {
    const { key, cert } = tamperTls();
    this.#server = createServer({ key, cert }, (req, res) => this.#handle(req.url ?? '', res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#url = `https://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #handle(url: string, res: ServerResponse): void {
    const m = /^\/v2\/(.+)\/_trust\/tuf\/(.+)$/.exec(url);
    this.requests.push(m ? m[2]! : url);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, gun, name] = m as unknown as [string, string, string];
    const b = this.overrides.get(name);
    if (b) {
      switch (b.kind) {
        case 'bytes':
          res
            .writeHead(200, { 'content-type': 'application/json', 'content-length': b.body.length })
            .end(b.body);
          return;
        case 'status':
          res.writeHead(b.status).end(b.status === 404 ? '{"errors":[{"code":"METADATA_NOT_FOUND"}]}' : '');
          return;
        case 'drip': {
          res.writeHead(200, { 'content-type': 'application/json' });
          const t = setInterval(() => {
            if (res.destroyed) clearInterval(t);
            else res.write(' ');
          }, b.intervalMs);
          res.on('close', () => clearInterval(t));
          return;
        }
        case 'endless': {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = () => {
            while (!res.destroyed && res.write(chunk)) {
              /* keep writing until backpressure */
            }
            if (!res.destroyed) res.once('drain', pump);
          };
          pump();
          return;
        }
        case 'length-lie':
          res.writeHead(200, { 'content-length': b.declared });
          res.write(b.body);
          return;
      }
    }
    const path = this.filePath(gun, name);
    if (!existsSync(path)) {
      res.writeHead(404).end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
      return;
    }
    const body = readFileSync(path);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  }
}
