import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/harness/lab.js';
import { LocalError } from '../errors.js';
import { parseWwwAuthenticate } from './auth.js';
import {
  defaultCredentials,
  dockerAuthKey,
  dockerConfigCredentials,
  notaryAuthCredentials,
} from './credentials.js';
import { checkServerUrl } from './server-url.js';

describe('parseWwwAuthenticate', () => {
  it('parses docker-style Bearer challenges, commas inside quotes included', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:push,pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:push,pull',
        },
      },
    ]);
  });
  it('parses several challenges, unquoted values and escapes', () => {
    expect(parseWwwAuthenticate('Basic realm="a \\"q\\" b", Bearer realm=https://x/t, service=s')).toEqual([
      { scheme: 'basic', params: { realm: 'a "q" b' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', service: 's' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const out = parseWwwAuthenticate(s);
        expect(Array.isArray(out)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('credentials', () => {
  it('NOTARY_AUTH: base64 user:pass, password trimmed like notary does', async () => {
    const b64 = Buffer.from('lab:lab\n').toString('base64');
    expect(await notaryAuthCredentials({ NOTARY_AUTH: b64 })()).toEqual({ username: 'lab', password: 'lab' });
    expect(await notaryAuthCredentials({})()).toBeNull();
    await expect(
      notaryAuthCredentials({ NOTARY_AUTH: Buffer.from('nocolon').toString('base64') })(),
    ).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });

  it('dockerAuthKey: Docker Hub is https://index.docker.io/v1/', () => {
    expect(dockerAuthKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(dockerAuthKey('index.docker.io')).toBe('https://index.docker.io/v1/');
    expect(dockerAuthKey('localhost:5000')).toBe('localhost:5000');
  });

  describe('docker config.json', () => {
    let cfgDir: string;
    let binDir: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(() => {
      cfgDir = tempDir();
      binDir = tempDir();
      // A credential helper speaking docker-credential-helpers' protocol (stdin: server URL; stdout: JSON).
      writeFileSync(
        join(binDir, 'docker-credential-h4test'),
        `#!/bin/sh
[ "$1" = get ] || exit 3
url=$(cat)
case "$url" in
  helper.example) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}\\n' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-xyz"}\\n' "$url" ;;
  slow.example) sleep 10 ;;
  broken.example) echo 'not json' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
      );
      chmodSync(join(binDir, 'docker-credential-h4test'), 0o755);
      env = { PATH: `${binDir}:${process.env.PATH ?? ''}`, DOCKER_CONFIG: cfgDir, HOME: cfgDir };
      writeFileSync(
        join(cfgDir, 'config.json'),
        JSON.stringify({
          auths: {
            'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
            'registry.example': { username: 'u2', password: 'p2' },
            'https://legacy.example/v1/': { auth: Buffer.from('old:school').toString('base64') },
            'idt.example': { identitytoken: 'idtoken-1' },
          },
          credHelpers: {
            'helper.example': 'h4test',
            'token.example': 'h4test',
            'slow.example': 'h4test',
            'broken.example': 'h4test',
            'nohelper.example': 'h4test',
            'missing.example': 'does-not-exist',
          },
        }),
      );
    });

    const get = (host: string, extra: Partial<Parameters<typeof dockerConfigCredentials>[1]> = {}) =>
      dockerConfigCredentials(host, { env, ...extra })();

    it('auths: base64 auth, username/password, identity token, legacy URL keys', async () => {
      expect(await get('docker.io')).toEqual({ username: 'hubuser', password: 'hubpass' });
      expect(await get('registry.example')).toEqual({ username: 'u2', password: 'p2' });
      expect(await get('legacy.example')).toEqual({ username: 'old', password: 'school' });
      expect(await get('idt.example')).toEqual({ identityToken: 'idtoken-1' });
      expect(await get('unknown.example')).toBeNull();
    });

    it('credHelpers run docker-credential-<name> get with the server URL on stdin', async () => {
      expect(await get('helper.example')).toEqual({ username: 'helper-user', password: 'helper-pass' });
      expect(await get('token.example')).toEqual({ identityToken: 'refresh-xyz' });
      expect(await get('nohelper.example')).toBeNull();
      expect(await get('missing.example')).toBeNull(); // helper not installed
      await expect(get('broken.example')).rejects.toMatchObject({ code: 'CONFIG' });
      const t0 = Date.now();
      await expect(get('slow.example', { helperTimeoutMs: 300 })).rejects.toThrow(
        /did not answer within 300 ms/,
      );
      expect(Date.now() - t0).toBeLessThan(3000);
    });

    it('credsStore applies to every registry without a credHelper', async () => {
      const dir = tempDir();
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({ credsStore: 'h4test', auths: { 'helper.example': {} } }),
      );
      expect(
        await dockerConfigCredentials('helper.example', { env: { ...env, DOCKER_CONFIG: dir } })(),
      ).toEqual({
        username: 'helper-user',
        password: 'helper-pass',
      });
    });

    it('no config file → null; malformed → CONFIG', async () => {
      expect(
        await dockerConfigCredentials('docker.io', { env: { DOCKER_CONFIG: join(cfgDir, 'nope') } })(),
      ).toBeNull();
      const dir = tempDir();
      writeFileSync(join(dir, 'config.json'), '{not json');
      const err = await dockerConfigCredentials('docker.io', { env: { DOCKER_CONFIG: dir } })().catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LocalError);
      expect(err).toMatchObject({ code: 'CONFIG' });
    });

    it('defaultCredentials: NOTARY_AUTH first, then docker config', async () => {
      const withNotary = { ...env, NOTARY_AUTH: Buffer.from('n:p').toString('base64') };
      expect(await defaultCredentials('docker.io', withNotary)()).toEqual({ username: 'n', password: 'p' });
      expect(await defaultCredentials('docker.io', env)()).toEqual({
        username: 'hubuser',
        password: 'hubpass',
      });
    });
  });
});

describe('realm rules (the one server-URL validator)', () => {
  it.each([
    ['https://auth.example/token', true],
    ['https://auth.example/token?x=1', true],
    ['http://127.0.0.1:5001/auth', true],
    ['http://localhost:5001/auth', true],
    ['http://[::1]:5001/auth', true],
    ['http://auth.example/token', false],
    ['http://10.0.0.1/token', false],
    ['file:///etc/passwd', false],
    ['ftp://auth.example/', false],
    ['https://user:pw@auth.example/', false],
    ['not a url', false],
  ])('%s → %s', (realm, ok) => {
    expect(checkServerUrl(realm, 'realm').ok).toBe(ok);
  });
});
