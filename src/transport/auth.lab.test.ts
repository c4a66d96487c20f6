// RegistryAuth against real servers: docker-registry with htpasswd (Basic) started here, and the
// token-auth lab (registry + notary-server behind the lab token server).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshGun, getLab, type LabInfo, tempDir } from '../../test/harness/lab.js';
import { NetworkError } from '../errors.js';
import {
  type CredentialProvider,
  decodeBasicAuth,
  firstCredentials,
  RegistryAuth,
  staticCredentials,
} from './auth.js';
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
