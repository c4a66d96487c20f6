// RegistryAuth against real servers: docker-registry with htpasswd (Basic) started here, and the
// token-auth lab (registry + notary-server behind the lab token server).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshGun, getLab, type LabInfo, tempDir } from '../../test/harness/lab.js';
import { selfSignedCert } from '../../test/support/tamper-proxy.js';
import { LocalError, NetworkError } from '../errors.js';
import { MAX_CACHED_TOKENS, RegistryAuth } from './auth.js';
import {
  type CredentialProvider,
  decodeBasicAuth,
  firstCredentials,
  staticCredentials,
} from './credentials.js';
import { createHttpClient, type HttpClient, type HttpRequest } from './http.js';

/** Records what goes over the wire (method + path, and whether a token realm was hit). */
function recording(inner: HttpClient): { client: HttpClient; log: string[] } {
  const log: string[] = [];
  return {
    log,
    client: {
      request(req: HttpRequest) {
        const u = new URL(req.url);
        log.push(
          `${req.method} ${u.pathname}${u.pathname.endsWith('/auth') ? `?${u.searchParams.getAll('scope').join('+')}` : ''}`,
        );
        return inner.request(req);
      },
    },
  };
}

function labCreds(lab: LabInfo) {
  const c = decodeBasicAuth(lab.notaryEnv.NOTARY_AUTH ?? '');
  if (!c) throw new Error('lab has no NOTARY_AUTH');
  return c;
}

// ---------------------------------------------------------------------------------------------
// Basic auth: a real docker-registry with htpasswd auth.

const BASIC_USER = 'basicuser';
const BASIC_PASS = 'basic-pass';
// bcrypt (cost 4) of BASIC_PASS, as `htpasswd -B` would write it
const BASIC_HTPASSWD = `${BASIC_USER}:$2b$04$5Y7YTlTcygdRKUBmOqAV2.iZ8cgJhKoSXkDp9BkR5YSWC6.AIAo7y\n`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('RegistryAuth with Basic (docker-registry + htpasswd)', () => {
  let child: ChildProcess | undefined;
  let url = '';
  let output = '';

  beforeAll(async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'htpasswd'), BASIC_HTPASSWD);
    const port = await freePort();
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}}`,
        `http: {addr: "127.0.0.1:${port}", secret: h4-basic-test}`,
        `auth: {htpasswd: {realm: h4-basic, path: ${join(dir, 'htpasswd')}}}`,
        '',
      ].join('\n'),
    );
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    url = `http://127.0.0.1:${port}`;
    const http = createHttpClient({ retries: 0, deadlineMs: 1000 });
    for (let i = 0; ; i++) {
      try {
        const r = await http.request({ method: 'GET', url: `${url}/v2/`, maxBytes: 4096 });
        if (r.status === 401) break;
      } catch {
        // not listening yet
      }
      if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('answers a Basic challenge and then authorises up front', async () => {
    const { client, log } = recording(createHttpClient());
    const auth = new RegistryAuth({
      http: client,
      credentials: staticCredentials({ username: BASIC_USER, password: BASIC_PASS }),
    });
    expect((await auth.request({ method: 'GET', url: `${url}/v2/`, maxBytes: 4096 })).status).toBe(200);
    expect(log).toEqual(['GET /v2/', 'GET /v2/']);
    expect((await auth.request({ method: 'GET', url: `${url}/v2/_catalog`, maxBytes: 4096 })).status).toBe(
      200,
    );
    expect(log).toHaveLength(3);
  });

  it('no credentials or wrong ones → AUTH, without the password in the error', async () => {
    const none = new RegistryAuth({ http: createHttpClient() });
    await expect(none.request({ method: 'GET', url: `${url}/v2/`, maxBytes: 4096 })).rejects.toMatchObject({
      code: 'AUTH',
      message: expect.stringMatching(/no credentials found/),
    });
    const wrong = new RegistryAuth({
      http: createHttpClient(),
      credentials: staticCredentials({ username: BASIC_USER, password: 'wr0ng-s3cret' }),
    });
    const err = await wrong
      .request({ method: 'GET', url: `${url}/v2/`, maxBytes: 4096 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'AUTH' });
    expect(JSON.stringify((err as NetworkError).toJSON())).not.toContain('wr0ng-s3cret');
  });
});

// ---------------------------------------------------------------------------------------------
// Bearer tokens: the token-auth lab.

describe('RegistryAuth with Bearer tokens (lab auth)', () => {
  it('fetches a token once per scope and reuses it until it expires', async () => {
    const lab = getLab('auth');
    let now = Date.now();
    const { client, log } = recording(createHttpClient());
    const auth = new RegistryAuth({
      http: client,
      credentials: staticCredentials(labCreds(lab)),
      now: () => now,
    });
    const repo = `library/h4-tok-${Date.now()}`;
    const scope = `repository:${repo}:pull`;
    const tags = `${lab.registryUrl}/v2/${repo}/tags/list`;
    // unknown repository: the token is valid, the registry answers 404
    expect((await auth.request({ method: 'GET', url: tags, maxBytes: 4096, scope })).status).toBe(404);
    expect(log).toEqual([`GET /v2/${repo}/tags/list`, `GET /auth?${scope}`, `GET /v2/${repo}/tags/list`]);
    await auth.request({ method: 'GET', url: tags, maxBytes: 4096, scope });
    expect(log).toHaveLength(4); // authorised up front from the cache
    await auth.request({ method: 'GET', url: tags, maxBytes: 4096, scope: `repository:${repo}:push,pull` });
    expect(log.filter((l) => l.startsWith('GET /auth'))).toHaveLength(2); // new scope, new token
    now += 10 * 60_000; // past the lab token's 300 s lifetime
    await auth.request({ method: 'GET', url: tags, maxBytes: 4096, scope });
    expect(log.filter((l) => l.startsWith('GET /auth'))).toHaveLength(3);
  });

  it('concurrent requests share one token fetch', async () => {
    const lab = getLab('auth');
    const { client, log } = recording(createHttpClient());
    const auth = new RegistryAuth({ http: client, credentials: staticCredentials(labCreds(lab)) });
    const repo = `library/h4-par-${Date.now()}`;
    const scope = `repository:${repo}:pull`;
    // learn the challenge first, then fire in parallel with a fresh scope
    await auth.request({ method: 'GET', url: `${lab.registryUrl}/v2/`, maxBytes: 4096 });
    const before = log.filter((l) => l.startsWith('GET /auth')).length;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        auth.request({
          method: 'GET',
          url: `${lab.registryUrl}/v2/${repo}/tags/list`,
          maxBytes: 4096,
          scope,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
    expect(log.filter((l) => l.startsWith('GET /auth')).length - before).toBe(1);
  });

  it('anonymous pull tokens work where the server allows them; push needs credentials', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'h4-anon');
    const base = `${lab.notaryUrl}/v2/${gun}/_trust/tuf/`;
    const ca = readFileSync(lab.caCert, 'utf8');
    const anon = new RegistryAuth({ http: createHttpClient({ ca }) });
    const res = await anon.request({
      method: 'GET',
      url: `${base}root.json`,
      maxBytes: 4096,
      scope: `repository:${gun}:pull`,
    });
    expect(res.status).toBe(404);
    await expect(
      anon.request({
        method: 'GET',
        url: `${base}timestamp.key`,
        maxBytes: 4096,
        scope: `repository:${gun}:push,pull`,
      }),
    ).rejects.toMatchObject({ code: 'AUTH' });
    const authed = new RegistryAuth({
      http: createHttpClient({ ca }),
      credentials: staticCredentials(labCreds(lab)),
    });
    const key = await authed.request({
      method: 'GET',
      url: `${base}timestamp.key`,
      maxBytes: 4096,
      scope: `repository:${gun}:push,pull`,
    });
    expect(key.status).toBe(200);
  });

  it('wrong credentials: the token server refuses them (AUTH)', async () => {
    const lab = getLab('auth');
    const auth = new RegistryAuth({
      http: createHttpClient(),
      credentials: staticCredentials({ username: 'lab', password: 'n0pe-s3cret' }),
    });
    const err = await auth
      .request({ method: 'GET', url: `${lab.registryUrl}/v2/`, maxBytes: 4096 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH', message: expect.stringMatching(/rejected the credentials/) });
    expect(JSON.stringify((err as NetworkError).toJSON())).not.toContain('n0pe-s3cret');
  });

  it('credentials are looked up lazily, once, and only when a server asks', async () => {
    const lab = getLab('auth');
    const remote = getLab('remote');
    let calls = 0;
    const provider: CredentialProvider = async () => {
      calls++;
      return labCreds(lab);
    };
    const noAuthServer = new RegistryAuth({ http: createHttpClient(), credentials: provider });
    expect(
      (await noAuthServer.request({ method: 'GET', url: `${remote.registryUrl}/v2/`, maxBytes: 4096 }))
        .status,
    ).toBe(200);
    expect(calls).toBe(0);
    const authServer = new RegistryAuth({
      http: createHttpClient(),
      credentials: firstCredentials(async () => null, provider),
    });
    for (const repo of ['a/b', 'c/d']) {
      const res = await authServer.request({
        method: 'GET',
        url: `${lab.registryUrl}/v2/${repo}/tags/list`,
        maxBytes: 4096,
        scope: `repository:${repo}:pull`,
      });
      expect(res.status).toBe(404);
    }
    expect(calls).toBe(1);
  });
});

/**
 * An https trust server of the test's own (loopback, throw-away certificate) whose 401 names the token
 * realm `realm`; it records the Authorization header of every request it gets.
 */
async function challengingServer(realm: string, service: string) {
  const { cert, key } = selfSignedCert();
  const seen: Array<string | undefined> = [];
  const server = createHttpsServer({ cert, key }, (req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res
      .writeHead(401, {
        'www-authenticate': `Bearer realm="${realm}",service="${service}",scope="repository:x/y:pull"`,
        'content-type': 'application/json',
      })
      .end('{"errors":[{"code":"UNAUTHORIZED","message":"auth required"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, cert, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('token realm, credential and token caches (issue 8 item 8)', () => {
  it('an https server naming a plain-http realm off loopback gets no credentials (real lab token server)', async () => {
    const lab = getLab('auth');
    const realm = new URL(lab.tokenRealm!);
    // The lab token server, addressed so that our validator does not see a loopback host: the IPv4-mapped
    // form of 127.0.0.1. 0.1.0 sent the lab credentials there in clear text and replayed the token it got;
    // any traffic that old code makes stays on this machine.
    const cleartextRealm = `http://[::ffff:127.0.0.1]:${realm.port}${realm.pathname}`;
    const front = await challengingServer(cleartextRealm, lab.registryService!);
    try {
      const { client, log } = recording(createHttpClient({ ca: front.cert }));
      const auth = new RegistryAuth({ http: client, credentials: staticCredentials(labCreds(lab)) });
      const err = await auth
        .request({ method: 'GET', url: `${front.url}/v2/x/y/_trust/tuf/root.json`, maxBytes: 4096 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetworkError);
      expect(err).toMatchObject({ code: 'AUTH' });
      expect((err as Error).message).toContain('http://[::ffff:7f00:1]');
      expect((err as Error).message).toMatch(/only for a loopback host.*refusing to send credentials/);
      expect(log.filter((l) => l.includes('/auth'))).toEqual([]); // nothing went to the realm
      expect(front.seen).toEqual([undefined]); // and no token came back to the server
    } finally {
      await front.close();
    }
  });

  it('the same https server with an https or loopback-http realm is answered (real lab token server)', async () => {
    const lab = getLab('auth');
    const front = await challengingServer(lab.tokenRealm!, lab.registryService!);
    try {
      const auth = new RegistryAuth({
        http: createHttpClient({ ca: front.cert }),
        credentials: staticCredentials(labCreds(lab)),
      });
      const res = await auth.request({ method: 'GET', url: `${front.url}/v2/x/y/`, maxBytes: 4096 });
      expect(res.status).toBe(200);
      expect(front.seen[1]).toMatch(/^Bearer /);
    } finally {
      await front.close();
    }
  });

  it('a failed credential lookup is not remembered: the next request asks again', async () => {
    const lab = getLab('auth');
    let calls = 0;
    const flaky: CredentialProvider = async () => {
      calls++;
      if (calls === 1) throw new LocalError('CONFIG', 'docker-credential-x get did not answer within 10 ms');
      return labCreds(lab);
    };
    const auth = new RegistryAuth({ http: createHttpClient(), credentials: flaky });
    const scope = 'repository:library/h4-flaky:push,pull';
    const url = `${lab.registryUrl}/v2/library/h4-flaky/tags/list`;
    await expect(auth.request({ method: 'GET', url, maxBytes: 4096, scope })).rejects.toMatchObject({
      code: 'CONFIG',
    });
    expect((await auth.request({ method: 'GET', url, maxBytes: 4096, scope })).status).toBe(404);
    expect(calls).toBe(2);
    // a successful lookup is reused (within its TTL)
    const other = `${lab.registryUrl}/v2/library/h4-other/tags/list`;
    const res = await auth.request({
      method: 'GET',
      url: other,
      maxBytes: 4096,
      scope: 'repository:library/h4-other:push,pull',
    });
    expect(res.status).toBe(404);
    expect(calls).toBe(2);
  });

  it('the token map stays bounded and drops expired tokens', async () => {
    const lab = getLab('auth');
    let now = Date.now();
    const auth = new RegistryAuth({
      http: createHttpClient(),
      credentials: staticCredentials(labCreds(lab)),
      now: () => now,
    });
    const get = (i: number) =>
      auth.request({
        method: 'GET',
        url: `${lab.registryUrl}/v2/library/h4-prune-${i}/tags/list`,
        maxBytes: 4096,
        scope: `repository:library/h4-prune-${i}:pull`,
      });
    for (let i = 0; i < MAX_CACHED_TOKENS + 6; i++) expect((await get(i)).status).toBe(404);
    expect(auth.cachedTokenCount).toBe(MAX_CACHED_TOKENS);
    now += 10 * 60_000; // every cached token has expired
    await get(1000);
    expect(auth.cachedTokenCount).toBe(1);
  });
});
