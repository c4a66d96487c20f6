import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkError, VerificationError } from '../errors.js';
import { createHttpClient, displayUrl, type HttpClient, type HttpClientOptions, isDecimal } from './http.js';
import { createUndiciHttpClient } from './http-undici.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Peer {
  url: string;
  hits: Map<string, number>;
  connections: number;
}

let server: Server;
let peer: Peer;
const routes = new Map<string, Handler>();
const sockets = new Set<Socket>();

beforeAll(async () => {
  peer = { url: '', hits: new Map(), connections: 0 };
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const n = (peer.hits.get(path) ?? 0) + 1;
    peer.hits.set(path, n);
    const h = routes.get(path);
    if (!h) {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    h(req, res, n);
  });
  server.on('connection', (s: Socket) => {
    peer.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  routes.set('/ok', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain', 'X-Upper': 'A' }).end('hello'),
  );
  routes.set('/drip', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const t = setInterval(() => res.write('x'), 20);
    res.on('close', () => clearInterval(t));
  });
  routes.set('/silent', () => {
    /* accepts, never answers */
  });
  routes.set('/flood', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) {
        /* keep writing */
      }
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  routes.set('/huge-length', (_req, res) => {
    res.writeHead(200, { 'content-length': String(10 * 1024 ** 3) });
    res.write('x'); // then nothing: a client that waited for the body would hang
  });
  routes.set('/short', (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('only a little');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  routes.set('/reset', (req) => req.socket.destroy());
  routes.set('/flaky', (_req, res, n) => {
    if (n <= 2) res.writeHead(503).end('busy');
    else res.writeHead(200).end(`attempt ${n}`);
  });
  routes.set('/always500', (_req, res) => res.writeHead(500).end('down'));
  routes.set('/echo', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          method: req.method,
          length: Buffer.concat(chunks).length,
          ua: req.headers['user-agent'],
        }),
      ),
    );
  });
  routes.set('/multi', (_req, res) => {
    res.setHeader('WWW-Authenticate', ['Bearer realm="a"', 'Basic realm="b"']);
    res.writeHead(401).end();
  });
  routes.set('/big-error', (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(Buffer.alloc(1 << 20, 0x65));
  });
  routes.set('/big-error-length', (_req, res) => {
    res.writeHead(500, { 'content-length': String(10 * 1024 ** 3) });
    res.write('e');
  });
  routes.set('/big-head', (req, res) => {
    res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
    if (req.method === 'HEAD') res.end();
    else res.end(Buffer.alloc(10));
  });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const impls: Array<[string, (o?: HttpClientOptions) => HttpClient]> = [
  ['node:https', createHttpClient],
  ['undici', createUndiciHttpClient],
];

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the request to fail');
}

describe.each(impls)('%s client', (_name, make) => {
  const opts: HttpClientOptions = { retryDelayMs: 10 };

  it('returns status, lower-cased headers and the exact body', async () => {
    const c = make(opts);
    const res = await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 });
    expect(res.status).toBe(200);
    expect(res.headers['x-upper']).toBe('A');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(new TextDecoder().decode(res.body)).toBe('hello');
    await c.close?.();
  });

  it('sends the body with its length and a user agent', async () => {
    const c = make(opts);
    const res = await c.request({
      method: 'POST',
      url: `${peer.url}/echo`,
      body: new Uint8Array(1234).fill(7),
      maxBytes: 1000,
    });
    expect(JSON.parse(new TextDecoder().decode(res.body))).toEqual({
      method: 'POST',
      length: 1234,
      ua: 'content-trust',
    });
    await c.close?.();
  });

  it('joins repeated headers', async () => {
    const c = make(opts);
    const res = await c.request({ method: 'GET', url: `${peer.url}/multi`, maxBytes: 100 });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="a", Basic realm="b"');
    await c.close?.();
  });

  it('a server that drips bytes forever hits the deadline (TIMEOUT)', async () => {
    const c = make(opts);
    const t0 = Date.now();
    const err = await failure(
      c.request({ method: 'GET', url: `${peer.url}/drip`, maxBytes: 1 << 20, deadlineMs: 400 }),
    );
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('TIMEOUT');
    expect((err as NetworkError).message).toContain('400 ms');
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(2000);
    await c.close?.();
  });

  it('a server that never answers hits the client default deadline (TIMEOUT)', async () => {
    const c = make({ ...opts, deadlineMs: 300 });
    const t0 = Date.now();
    const err = await failure(c.request({ method: 'GET', url: `${peer.url}/silent`, maxBytes: 10 }));
    expect((err as NetworkError).code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2000);
    await c.close?.();
  });

  it('an endless body is cut at maxBytes (TOO_LARGE naming url and limit)', async () => {
    const c = make(opts);
    const err = await failure(c.request({ method: 'GET', url: `${peer.url}/flood`, maxBytes: 1 << 20 }));
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).code).toBe('TOO_LARGE');
    expect((err as VerificationError).message).toContain(`${peer.url}/flood`);
    expect((err as VerificationError).message).toContain(String(1 << 20));
    await c.close?.();
  });

  it('a huge Content-Length fails before any body is read', async () => {
    const c = make(opts);
    const t0 = Date.now();
    const err = await failure(
      c.request({ method: 'GET', url: `${peer.url}/huge-length`, maxBytes: 1024, deadlineMs: 5000 }),
    );
    expect((err as VerificationError).code).toBe('TOO_LARGE');
    expect((err as VerificationError).message).toContain('Content-Length 10737418240');
    expect(Date.now() - t0).toBeLessThan(1000);
    await c.close?.();
  });

  it('error bodies are truncated, not fatal, whatever maxBytes says', async () => {
    const c = make({ ...opts, retries: 0 });
    const res = await c.request({ method: 'GET', url: `${peer.url}/big-error`, maxBytes: 10 });
    expect(res.status).toBe(404);
    expect(res.body.byteLength).toBe(64 * 1024);
    const res2 = await c.request({
      method: 'GET',
      url: `${peer.url}/big-error-length`,
      maxBytes: 10,
      deadlineMs: 3000,
    });
    expect(res2.status).toBe(500);
    expect(res2.body.byteLength).toBe(0);
    await c.close?.();
  });

  it('HEAD is not capped by the Content-Length it reports', async () => {
    const c = make(opts);
    const res = await c.request({ method: 'HEAD', url: `${peer.url}/big-head`, maxBytes: 1024 });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(50 * 1024 * 1024));
    expect(res.body.byteLength).toBe(0);
    await c.close?.();
  });

  it('a body cut short is a NETWORK error', async () => {
    const c = make({ ...opts, retries: 0 });
    const err = await failure(c.request({ method: 'GET', url: `${peer.url}/short`, maxBytes: 1024 }));
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('NETWORK');
    await c.close?.();
  });

  it('connection resets are retried a bounded number of times for GET, never for POST', async () => {
    const c = make(opts);
    peer.hits.set('/reset', 0);
    const err = await failure(c.request({ method: 'GET', url: `${peer.url}/reset`, maxBytes: 10 }));
    expect((err as NetworkError).code).toBe('NETWORK');
    expect(peer.hits.get('/reset')).toBe(3);
    peer.hits.set('/reset', 0);
    const err2 = await failure(
      c.request({ method: 'POST', url: `${peer.url}/reset`, maxBytes: 10, body: new Uint8Array(1) }),
    );
    expect((err2 as NetworkError).code).toBe('NETWORK');
    expect(peer.hits.get('/reset')).toBe(1);
    await c.close?.();
  });

  it('5xx is retried for GET (then succeeds), returned as-is for POST', async () => {
    const c = make(opts);
    peer.hits.set('/flaky', 0);
    const res = await c.request({ method: 'GET', url: `${peer.url}/flaky`, maxBytes: 100 });
    expect(res.status).toBe(200);
    expect(new TextDecoder().decode(res.body)).toBe('attempt 3');
    peer.hits.set('/always500', 0);
    const res2 = await c.request({ method: 'GET', url: `${peer.url}/always500`, maxBytes: 100 });
    expect(res2.status).toBe(500);
    expect(peer.hits.get('/always500')).toBe(3);
    peer.hits.set('/flaky', 0);
    const res3 = await c.request({
      method: 'POST',
      url: `${peer.url}/flaky`,
      maxBytes: 100,
      body: new Uint8Array(0),
    });
    expect(res3.status).toBe(503);
    expect(peer.hits.get('/flaky')).toBe(1);
    await c.close?.();
  });

  it('keeps connections alive across requests', async () => {
    const c = make(opts);
    // warm up (undici may open a second connection while the first is being released)
    for (let i = 0; i < 2; i++) await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 });
    const before = peer.connections;
    for (let i = 0; i < 5; i++) await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 });
    expect(peer.connections).toBe(before);
    await c.close?.();
  });

  it('refused connections are NETWORK errors', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = make(opts);
    const err = await failure(c.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, maxBytes: 10 }));
    expect((err as NetworkError).code).toBe('NETWORK');
    expect((err as NetworkError).message).toContain(`127.0.0.1:${port}`);
    await c.close?.();
  });
});

describe('node:https client: the keep-alive socket is free again when an answer resolves (issue 12)', () => {
  it('a body the server reads in full before answering: the next request reuses the connection', async () => {
    routes.set('/reads', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => res.writeHead(200).end(String(n)));
    });
    const c = createHttpClient({ retries: 0 });
    try {
      await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 });
      const before = peer.connections;
      for (const size of [1 << 10, 1 << 20, 16 << 20]) {
        const res = await c.request({
          method: 'POST',
          url: `${peer.url}/reads`,
          body: new Uint8Array(size),
          maxBytes: 100,
        });
        expect(Buffer.from(res.body).toString()).toBe(String(size));
        expect((await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 })).status).toBe(200);
      }
      expect(peer.connections).toBe(before);
    } finally {
      await c.close?.();
    }
  });

  it('an answer that ends while the server has not read the body: answered at once, the socket is not reused', async () => {
    // node's server reads (dumps) an unread body only after answering: the 16 MB are still being
    // written when the answer ends, so that connection is closed rather than pooled
    routes.set('/early', (req, res) => {
      req.pause();
      res.writeHead(200).end('early');
      setTimeout(() => req.resume(), 30);
    });
    const c = createHttpClient({ retries: 0 });
    try {
      await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 });
      const before = peer.connections;
      const body = new Uint8Array(16 << 20);
      const res = await c.request({ method: 'POST', url: `${peer.url}/early`, body, maxBytes: 100 });
      expect(Buffer.from(res.body).toString()).toBe('early');
      expect((await c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: 100 })).status).toBe(200);
      expect(peer.connections).toBe(before + 1);
    } finally {
      await c.close?.();
    }
  });

  it('an answer whose request body the server never reads is still the answer, not a timeout', async () => {
    routes.set('/never-reads', (req, res) => {
      req.pause();
      res.writeHead(413).end('too large');
    });
    const c = createHttpClient({ retries: 0, deadlineMs: 5000 });
    try {
      const body = new Uint8Array(16 << 20);
      const res = await c.request({ method: 'POST', url: `${peer.url}/never-reads`, body, maxBytes: 100 });
      expect(res.status).toBe(413);
      expect(Buffer.from(res.body).toString()).toBe('too large');
    } finally {
      await c.close?.();
    }
  });

  it('a server that answers and never reads the rest of the body: the client closes that connection (reviewer R)', async () => {
    // a raw server: it reads the request head, answers with keep-alive and stops reading. The client
    // used to give the answer and leave the socket holding the unsent body until the server closed
    // it (and pool it, were the server ever to read on). Now it closes it: once the server reads
    // again, what the kernel still had arrives, then the end of the connection.
    let conn: Socket | undefined;
    const raw = createNetServer((s) => {
      conn = s;
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        s.off('data', onData);
        s.pause();
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
      };
      s.on('data', onData);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/upload`;
    const c = createHttpClient({ retries: 0, deadlineMs: 10_000 });
    try {
      const res = await c.request({ method: 'POST', url, body: new Uint8Array(64 << 20), maxBytes: 100 });
      expect(Buffer.from(res.body).toString()).toBe('ok');
      const s = conn as Socket;
      const ended = new Promise<string>((resolve) => {
        s.on('end', () => resolve('closed by the client'));
        s.on('close', () => resolve('closed by the client'));
      });
      s.resume();
      const verdict = await Promise.race([
        ended,
        new Promise<string>((resolve) => setTimeout(() => resolve('still open after 3 s'), 3000)),
      ]);
      expect(verdict).toBe('closed by the client');
    } finally {
      await c.close?.();
      conn?.destroy();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});

describe('a plain-HTTP server behind an https:// URL (issue 9 item 5)', () => {
  it.each(impls)(
    '%s: says the server speaks plain HTTP and which URL to use, no OpenSSL text',
    async (_n, make) => {
      const plain = createServer((_req, res) => res.end('hello'));
      await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
      const port = (plain.address() as AddressInfo).port;
      try {
        const c = make({ retries: 0 });
        const err = await failure(
          c.request({
            method: 'GET',
            url: `https://127.0.0.1:${port}/v2/reg/app/_trust/tuf/root.json`,
            maxBytes: 99,
          }),
        );
        expect(err).toMatchObject({ code: 'NETWORK' });
        expect((err as Error).message).toMatch(
          /speaks plain HTTP, not HTTPS; use http:\/\/127\.0\.0\.1:\d+$/,
        );
        expect((err as Error).message).not.toMatch(/wrong version number|SSL routines|ssl3_get_record/i);
        await c.close?.();
      } finally {
        await new Promise<void>((resolve) => plain.close(() => resolve()));
      }
    },
  );
});

describe('displayUrl', () => {
  it('drops userinfo', () => {
    expect(displayUrl('https://user:secret@host.example/x?y=1#f')).toBe('https://host.example/x?y=1');
    expect(displayUrl('nonsense')).toBe('<invalid URL>');
  });
});

describe('request validation', () => {
  it('rejects non-http URLs and bad limits without a request', async () => {
    const c = createHttpClient();
    await expect(c.request({ method: 'GET', url: 'file:///etc/passwd', maxBytes: 10 })).rejects.toMatchObject(
      { code: 'CONFIG' },
    );
    await expect(c.request({ method: 'GET', url: 'not a url', maxBytes: 10 })).rejects.toMatchObject({
      code: 'CONFIG',
    });
    await expect(c.request({ method: 'GET', url: `${peer.url}/ok`, maxBytes: -1 })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});

describe('isDecimal (a declared Content-Length)', () => {
  it('is /^\\d+$/ without the expression', () => {
    const char = fc.constantFrom(
      ...'0123456789',
      '',
      ' ',
      '+',
      '-',
      '.',
      'e',
      '\n',
      '\u0660',
      '\uff10',
      '\u00b2',
      'x',
    );
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 10 }).map((c) => c.join('')),
        (text) => {
          expect(isDecimal(text)).toBe(/^\d+$/.test(text));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
