/**
 * Notary -> ours: repositories created and signed by the REAL notary CLI on the
 * real notary-server (ECDSA server keys via notary-signer, ed25519 server keys
 * in-process, and token auth), read by our verify/inspect. For every tag our
 * answer must equal what `notary lookup` says from a fresh trust dir; unsigned,
 * removed and unknown names must fail with the documented codes; warm trust
 * dirs that cached old roots must follow targets, root and timestamp key
 * rotations; an unchanged warm lookup must fetch timestamp.json only.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspect } from '../../src/client/inspect.js';
import { type VerifyOptions, verify } from '../../src/client/verify.js';
import { TrustError } from '../../src/errors.js';
import { createHttpClient, type HttpClient, type HttpRequest } from '../../src/transport/http.js';
import {
  freshGun,
  getLab,
  type LabInfo,
  type LabName,
  type NotaryResult,
  notaryGet,
  pushImage,
  runNotary,
  tempDir,
} from '../harness/lab.js';

const LABS: LabName[] = ['remote', 'local', 'auth'];

function ok(r: NotaryResult, what: string): string {
  if (r.status !== 0) throw new Error(`notary ${what} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Our options for `lab`: its notary-server, its CA, and NOTARY_AUTH on the token lab. */
function ours(lab: LabInfo, trustDir: string, extra: Partial<VerifyOptions> = {}): VerifyOptions {
  const opts: VerifyOptions = {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
  };
  if (lab.auth === 'token') opts.env = { NOTARY_AUTH: lab.notaryEnv.NOTARY_AUTH! };
  return { ...opts, ...extra };
}

/** `notary lookup` from a fresh trust dir: `{digest, size}`, or null when notary finds nothing. */
function notaryLookup(lab: LabInfo, gun: string, tag: string) {
  const r = runNotary(lab, ['lookup', gun, tag], { trustDir: tempDir() });
  if (r.status !== 0) return null;
  const m = /^(\S+) sha256:([0-9a-f]{64}) (\d+)$/.exec(r.stdout.trim());
  if (!m) throw new Error(`unexpected notary lookup output: ${r.stdout}`);
  return { digest: `sha256:${m[2]}`, size: Number(m[3]) };
}

/** Rows of `notary list [-r ROLE]` (NAME DIGEST SIZE ROLE) from a fresh trust dir. */
function notaryList(lab: LabInfo, gun: string, role?: string) {
  const out = ok(
    runNotary(lab, ['list', gun, ...(role ? ['-r', role] : [])], { trustDir: tempDir() }),
    'list',
  );
  return out
    .split('\n')
    .map((l) => /^(\S+)\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1]!, hex: m[2]!, size: Number(m[3]), role: m[4]! }));
}

async function errorOf(p: Promise<unknown>): Promise<TrustError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof TrustError)) throw new Error(`expected a TrustError, got ${String(e)}`);
  return e;
}

/** An HttpClient that records every request, around the real one. */
function recordingHttp(ca: string): { http: HttpClient; log: string[] } {
  const inner = createHttpClient({ ca });
  const log: string[] = [];
  const http: HttpClient = {
    request: (req: HttpRequest) => {
      log.push(`${req.method} ${req.url}`);
      return inner.request(req);
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return { http, log };
}

interface Repo {
  lab: LabInfo;
  gun: string;
  /** Publisher's notary trust dir. */
  pub: string;
  /** Tags signed in `targets` (name -> pushed image). */
  tags: Record<string, { digest: string; size: number }>;
  /** The alice signer key id (targets/releases and targets/alice). */
  aliceKeyId: string;
  /** A trust dir our verify warmed right after the repository was built (root v2). */
  warm: string;
  n(args: string[], input?: string): string;
}

/**
 * The notary reference flow: init, server-managed snapshot, tags `1`, `2`,
 * `10`, `latest`, `gone`, `shared` in targets; alice (an openssl P-256 key)
 * as signer of targets/releases and targets/alice; `release-1` and a second
 * `shared` in targets/releases, `alice-1` in targets/alice; `gone` removed.
 */
async function buildRepo(lab: LabInfo, prefix: string): Promise<Repo> {
  const gun = freshGun(lab, prefix);
  const repository = gun.slice(lab.registryHost.length + 1);
  const pub = tempDir();
  const n = (args: string[], input?: string) =>
    ok(runNotary(lab, args, { trustDir: pub, ...(input === undefined ? {} : { input }) }), args.join(' '));
  n(['init', gun, '-p']);
  n(['key', 'rotate', gun, 'snapshot', '-r']);
  const tags: Repo['tags'] = {};
  for (const tag of ['1', '2', '10', 'latest', 'gone', 'shared']) {
    const img = await pushImage(lab, repository, tag, { content: `${prefix} ${tag}` });
    tags[tag] = { digest: img.digest, size: img.size };
    n(['addhash', gun, tag, String(img.size), '--sha256', img.digest.slice(7)]);
  }
  n(['publish', gun]);

  const keys = tempDir();
  const aliceKey = join(keys, 'alice.key');
  const alicePub = join(keys, 'alice.pub');
  for (const args of [
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', aliceKey],
    ['pkey', '-in', aliceKey, '-pubout', '-out', alicePub],
  ]) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  }
  n(['key', 'import', aliceKey, '--role', 'alice']);
  n(['delegation', 'add', gun, 'targets/releases', alicePub, '--all-paths']);
  n(['delegation', 'add', gun, 'targets/alice', alicePub, '--all-paths', '-p']);
  const dl = n(['delegation', 'list', gun]);
  const aliceKeyId = /targets\/releases\s+.*?\s([0-9a-f]{64})\s/.exec(dl)?.[1];
  if (!aliceKeyId) throw new Error(`no key id in delegation list:\n${dl}`);
  const release = await pushImage(lab, repository, 'release-1', { content: `${prefix} release` });
  tags['release-1'] = { digest: release.digest, size: release.size };
  n([
    'addhash',
    gun,
    'release-1',
    String(release.size),
    '--sha256',
    release.digest.slice(7),
    '-r',
    'targets/releases',
    '-p',
  ]);
  const sharedRel = await pushImage(lab, repository, 'shared', { content: `${prefix} shared (releases)` });
  tags['shared (releases)'] = { digest: sharedRel.digest, size: sharedRel.size };
  n([
    'addhash',
    gun,
    'shared',
    String(sharedRel.size),
    '--sha256',
    sharedRel.digest.slice(7),
    '-r',
    'targets/releases',
    '-p',
  ]);
  const alice = await pushImage(lab, repository, 'alice-1', { content: `${prefix} alice` });
  tags['alice-1'] = { digest: alice.digest, size: alice.size };
  n([
    'addhash',
    gun,
    'alice-1',
    String(alice.size),
    '--sha256',
    alice.digest.slice(7),
    '-r',
    'targets/alice',
    '-p',
  ]);
  n(['remove', gun, 'gone', '-p']);

  const warm = tempDir();
  const res = await verify(`${gun}:latest`, ours(lab, warm));
  expect(res.digest).toBe(tags.latest!.digest);
  return { lab, gun, pub, tags, aliceKeyId, warm, n };
}

describe.each(LABS)('verify against repositories signed by the real notary (%s lab)', (labName) => {
  let repo: Repo;
  beforeAll(async () => {
    repo = await buildRepo(getLab(labName), 'vfy');
  });

  it('every signed tag: same digest and size as `notary lookup` from a fresh trust dir', async () => {
    const { lab, gun } = repo;
    // `targets` tags (numeric ones included) and the targets/releases-only tag
    for (const tag of ['1', '2', '10', 'latest', 'release-1']) {
      const want = notaryLookup(lab, gun, tag);
      expect(want, tag).toEqual(repo.tags[tag]);
      const fresh = await verify(`${gun}:${tag}`, ours(lab, tempDir()));
      expect({ digest: fresh.digest, size: fresh.size }, tag).toEqual(want);
      expect(fresh.reference).toBe(`${gun}@${want!.digest}`);
      expect(fresh.repository).toBe(gun);
      expect(fresh.tag).toBe(tag);
      const warm = await verify(`${gun}:${tag}`, ours(lab, repo.warm));
      expect({ digest: warm.digest, size: warm.size }, `${tag} (warm)`).toEqual(want);
    }
    // `10` is not `1` followed by anything: numeric tags are exact names
    expect(repo.tags['10']!.digest).not.toBe(repo.tags['1']!.digest);
  });

  it('targets/releases is signed by the alice key and wins over targets, as docker pull does', async () => {
    const { lab, gun } = repo;
    const rel = await verify(`${gun}:release-1`, ours(lab, tempDir()));
    expect(rel.role).toBe('targets/releases');
    expect(rel.signers).toEqual([repo.aliceKeyId]);

    // `shared` is in both: notary lookup walks targets first, docker (and we) prefer targets/releases
    const shared = await verify(`${gun}:shared`, ours(lab, tempDir()));
    expect(notaryLookup(lab, gun, 'shared')).toEqual(repo.tags.shared);
    const listed = notaryList(lab, gun, 'targets/releases').find((r) => r.name === 'shared');
    expect(listed && { digest: `sha256:${listed.hex}`, size: listed.size }).toEqual(
      repo.tags['shared (releases)'],
    );
    expect({ digest: shared.digest, size: shared.size }).toEqual(repo.tags['shared (releases)']);
    expect(shared.role).toBe('targets/releases');

    // a tag only in targets/alice is not pulled by default, but can be asked for
    expect(notaryLookup(lab, gun, 'alice-1')).toEqual(repo.tags['alice-1']);
    const e = await errorOf(verify(`${gun}:alice-1`, ours(lab, tempDir())));
    expect(e.code).toBe('NOT_SIGNED');
    const alice = await verify(`${gun}:alice-1`, ours(lab, tempDir(), { roles: ['targets/alice'] }));
    expect({ digest: alice.digest, size: alice.size }).toEqual(repo.tags['alice-1']);
    expect(alice.role).toBe('targets/alice');
    expect(alice.signers).toEqual([repo.aliceKeyId]);

    // digest-pinned references must match the signed digest
    const pinned = await verify(`${gun}:1@${repo.tags['1']!.digest}`, ours(lab, tempDir()));
    expect(pinned.digest).toBe(repo.tags['1']!.digest);
    const wrong = await errorOf(verify(`${gun}:1@${repo.tags['2']!.digest}`, ours(lab, tempDir())));
    expect(wrong.code).toBe('NOT_SIGNED');
  });

  it('unsigned and removed tags fail with NOT_SIGNED; a repository without trust data with NO_TRUST_DATA', async () => {
    const { lab, gun } = repo;
    expect(notaryLookup(lab, gun, 'gone')).toBeNull();
    expect(notaryLookup(lab, gun, 'never-signed')).toBeNull();
    for (const dir of [tempDir(), repo.warm]) {
      for (const tag of ['gone', 'never-signed']) {
        const e = await errorOf(verify(`${gun}:${tag}`, ours(lab, dir)));
        expect(e.code, tag).toBe('NOT_SIGNED');
      }
    }
    const missing = freshGun(lab, 'nothing');
    expect(runNotary(lab, ['lookup', missing, 'latest'], { trustDir: tempDir() }).status).not.toBe(0);
    const dir = tempDir();
    const e = await errorOf(verify(`${missing}:latest`, ours(lab, dir)));
    expect(e.code).toBe('NO_TRUST_DATA');
    // nothing cached for a repository that does not exist
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a warm verify with an unchanged timestamp fetches timestamp.json and nothing else', async () => {
    const { lab, gun } = repo;
    const dir = tempDir();
    cpSync(repo.warm, dir, { recursive: true });
    const first = recordingHttp(readFileSync(lab.caCert, 'utf8'));
    await verify(`${gun}:release-1`, ours(lab, dir, { http: first.http })); // loads targets/releases too
    const { http, log } = recordingHttp(readFileSync(lab.caCert, 'utf8'));
    for (const tag of ['1', 'release-1']) {
      log.length = 0;
      const res = await verify(`${gun}:${tag}`, ours(lab, dir, { http }));
      expect(res.digest).toBe(repo.tags[tag]!.digest);
      const tuf = log.filter((l) => l.includes('/_trust/tuf/'));
      expect(tuf.length, log.join('\n')).toBeGreaterThanOrEqual(1);
      // the token lab answers the first try with 401 and we retry it with a token
      expect(tuf.length, log.join('\n')).toBeLessThanOrEqual(lab.auth === 'token' ? 2 : 1);
      for (const l of tuf) expect(l).toBe(`GET ${lab.notaryUrl}/v2/${gun}/_trust/tuf/timestamp.json`);
      const others = log.filter((l) => !l.includes('/_trust/tuf/'));
      expect(others.length, log.join('\n')).toBe(lab.auth === 'token' ? 1 : 0);
    }
    await http.close?.();
    await first.http.close?.();
  });

  it('inspect() shows what `notary list` and `notary delegation list` show', async () => {
    const { lab, gun } = repo;
    const result = await inspect(gun, ours(lab, tempDir()));
    expect(result.Name).toBe(gun);
    // docker's view: tags of targets, overridden by targets/releases (targets/alice is not a release)
    const expected = new Map<string, string>();
    const all = notaryList(lab, gun);
    expect(all.map((r) => r.name).sort()).toEqual([
      '1',
      '10',
      '2',
      'alice-1',
      'latest',
      'release-1',
      'shared',
    ]);
    for (const r of all) if (r.role === 'targets') expected.set(r.name, r.hex);
    for (const r of notaryList(lab, gun, 'targets/releases')) expected.set(r.name, r.hex);
    expect(new Map(result.SignedTags.map((t) => [t.SignedTag, t.Digest]))).toEqual(expected);
    expect(result.SignedTags.find((t) => t.SignedTag === 'release-1')!.Signers).toEqual(['Repo Admin']);

    const delegations = ok(
      runNotary(lab, ['delegation', 'list', gun], { trustDir: tempDir() }),
      'delegation list',
    );
    expect(delegations).toContain(repo.aliceKeyId);
    expect(result.Signers).toEqual([{ Name: 'alice', Keys: [{ ID: repo.aliceKeyId }] }]);

    const rootRes = await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun);
    const root = JSON.parse(rootRes.body.toString('utf8')).signed as {
      roles: Record<string, { keyids: string[] }>;
    };
    expect(result.AdministrativeKeys).toEqual([
      { Name: 'Repository', Keys: root.roles.targets!.keyids.map((ID) => ({ ID })) },
      { Name: 'Root', Keys: root.roles.root!.keyids.map((ID) => ({ ID })) },
    ]);

    // a tag limits SignedTags to it
    const one = await inspect(`${gun}:10`, ours(lab, tempDir()));
    expect(one.SignedTags).toEqual([
      { SignedTag: '10', Digest: repo.tags['10']!.digest.slice(7), Signers: ['Repo Admin'] },
    ]);
  });

  it('warm trust dirs that cached old roots follow targets, root and timestamp key rotations', async () => {
    const r = await buildRepo(getLab(labName), 'rot');
    const { lab, gun } = r;
    // Three warm copies at root v2: each sees a different set of rotations at once.
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    for (const d of [a, b, c]) cpSync(r.warm, d, { recursive: true });
    const rootVersion = async () =>
      JSON.parse((await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun)).body.toString('utf8')).signed
        .version as number;
    expect(await rootVersion()).toBe(2);

    const check = async (dir: string, what: string) => {
      for (const tag of ['1', '10', 'release-1']) {
        const res = await verify(`${gun}:${tag}`, ours(lab, dir));
        expect({ digest: res.digest, size: res.size }, `${what}: ${tag}`).toEqual(r.tags[tag]);
      }
      const gone = await errorOf(verify(`${gun}:gone`, ours(lab, dir)));
      expect(gone.code, what).toBe('NOT_SIGNED');
    };
    const cachedRootVersion = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'tuf', ...gun.split('/'), 'metadata', 'root.json'), 'utf8')).signed
        .version as number;

    r.n(['key', 'rotate', gun, 'targets']);
    expect(await rootVersion()).toBe(3);
    await check(a, 'after targets key rotation (warm at v2)');
    expect(cachedRootVersion(a)).toBe(3);

    r.n(['key', 'rotate', gun, 'root'], 'yes\n');
    expect(await rootVersion()).toBe(4);
    await check(b, 'after root key rotation (warm at v2, old root key cached)');
    expect(cachedRootVersion(b)).toBe(4);
    await check(a, 'after root key rotation (warm at v3)');

    r.n(['key', 'rotate', gun, 'timestamp', '-r']);
    expect(await rootVersion()).toBe(5);
    // c still trusts the v2 timestamp key: the new timestamp fails under it and we walk 3..5
    await check(c, 'after timestamp key rotation (warm at v2)');
    expect(cachedRootVersion(c)).toBe(5);
    await check(a, 'after timestamp key rotation (warm at v4)');
    await check(tempDir(), 'fresh trust dir');
    for (const tag of ['1', '10', 'release-1']) expect(notaryLookup(lab, gun, tag), tag).toEqual(r.tags[tag]);

    // and the reference client agrees from its own warm cache made before the rotations
    const notaryWarm = tempDir();
    cpSync(r.warm, notaryWarm, { recursive: true });
    const lookup = runNotary(lab, ['lookup', gun, '10'], { trustDir: notaryWarm });
    expect(lookup.stdout.trim()).toBe(`10 ${r.tags['10']!.digest} ${r.tags['10']!.size}`);
  });

  it('trust pinning of the real root certificate id; TOFU off without a pin; a server URL with a trailing slash', async () => {
    const { lab, gun } = repo;
    const rootRes = await notaryGet(lab, `/v2/${gun}/_trust/tuf/root.json`, gun);
    const rootIds = (
      JSON.parse(rootRes.body.toString('utf8')).signed as { roles: { root: { keyids: string[] } } }
    ).roles.root.keyids;
    const pinned = await verify(`${gun}:2`, ours(lab, tempDir(), { pinning: { certs: { [gun]: rootIds } } }));
    expect(pinned.digest).toBe(repo.tags['2']!.digest);
    const dir = tempDir();
    const wrongPin = await errorOf(
      verify(`${gun}:2`, ours(lab, dir, { pinning: { certs: { [gun]: ['ab'.repeat(32)] } } })),
    );
    expect(wrongPin.code).toBe('PINNING');
    const noTofu = await errorOf(verify(`${gun}:2`, ours(lab, dir, { pinning: { disableTofu: true } })));
    expect(noTofu.code).toBe('UNTRUSTED_ROOT');
    expect(readdirSync(dir)).toEqual([]);
    // a warm trust dir needs no pin: the cached root is trusted
    expect((await verify(`${gun}:2`, ours(lab, repo.warm, { pinning: { disableTofu: true } }))).size).toBe(
      repo.tags['2']!.size,
    );
    const slash = await verify(`${gun}:2`, ours(lab, tempDir(), { server: `${lab.notaryUrl}/` }));
    expect(slash.digest).toBe(repo.tags['2']!.digest);
  });

  it('a repository deleted and re-created with new keys: warm trust dirs refuse it as notary does, fresh ones accept it', async () => {
    const lab = getLab(labName);
    const gun = freshGun(lab, 'recreate');
    const pub = tempDir();
    const n = (args: string[]) => ok(runNotary(lab, args, { trustDir: pub }), args.join(' '));
    n(['init', gun, '-p']);
    n(['key', 'rotate', gun, 'snapshot', '-r']);
    n(['addhash', gun, '1', '98', '--sha256', 'd'.repeat(64), '-p']);
    const warmDir = tempDir();
    expect((await verify(`${gun}:1`, ours(lab, warmDir))).size).toBe(98);
    const notaryWarm = tempDir();
    ok(runNotary(lab, ['lookup', gun, '1'], { trustDir: notaryWarm }), 'lookup (warm up)');
    n(['delete', gun, '--remote']);
    const e0 = await errorOf(verify(`${gun}:1`, ours(lab, tempDir())));
    expect(e0.code).toBe('NO_TRUST_DATA');

    const pub2 = tempDir();
    const n2 = (args: string[]) => ok(runNotary(lab, args, { trustDir: pub2 }), args.join(' '));
    n2(['init', gun, '-p']);
    n2(['key', 'rotate', gun, 'snapshot', '-r']);
    n2(['key', 'rotate', gun, 'targets']); // root v3 exists, so the warm client has a 3.root to walk to
    n2(['addhash', gun, '1', '99', '--sha256', 'e'.repeat(64), '-p']);

    expect(runNotary(lab, ['lookup', gun, '1'], { trustDir: notaryWarm }).status).not.toBe(0);
    const before = readFileSync(join(warmDir, 'tuf', ...gun.split('/'), 'metadata', 'root.json'));
    const e = await errorOf(verify(`${gun}:1`, ours(lab, warmDir)));
    // the new timestamp key is unknown to the cached root, and 3.root is not signed by the old root key
    expect(e.code).toBe('THRESHOLD');
    expect(readFileSync(join(warmDir, 'tuf', ...gun.split('/'), 'metadata', 'root.json'))).toEqual(before);
    const fresh = await verify(`${gun}:1`, ours(lab, tempDir()));
    expect([fresh.digest, fresh.size]).toEqual([`sha256:${'e'.repeat(64)}`, 99]);
  });

  it('tags named like Object.prototype members (`__proto__`, `constructor`) verify as notary says', async () => {
    // Valid docker tags; notary signs and serves them like any other name.
    const lab = getLab(labName);
    const gun = freshGun(lab, 'proto');
    const pub = tempDir();
    const n = (args: string[]) => ok(runNotary(lab, args, { trustDir: pub }), args.join(' '));
    n(['init', gun, '-p']);
    n(['key', 'rotate', gun, 'snapshot', '-r']);
    const names = ['__proto__', 'constructor', 'toString', 'plain'];
    names.forEach((tag, i) => {
      n(['addhash', gun, tag, String(10 + i), '--sha256', `${i}`.repeat(64)]);
    });
    n(['publish', gun]);
    for (const [i, tag] of names.entries()) {
      const want = { digest: `sha256:${`${i}`.repeat(64)}`, size: 10 + i };
      expect(notaryLookup(lab, gun, tag), tag).toEqual(want);
      const res = await verify(`${gun}:${tag}`, ours(lab, tempDir()));
      expect({ digest: res.digest, size: res.size }, tag).toEqual(want);
    }
    const e = await errorOf(verify(`${gun}:hasOwnProperty`, ours(lab, tempDir())));
    expect(e.code).toBe('NOT_SIGNED');
  });

  if (labName === 'auth') {
    it('token auth: credentials from NOTARY_AUTH or a provider; wrong credentials fail with AUTH', async () => {
      const { lab, gun } = repo;
      const [user, pass] = Buffer.from(lab.notaryEnv.NOTARY_AUTH!, 'base64').toString('utf8').split(':');
      const viaProvider = await verify(
        `${gun}:2`,
        ours(lab, tempDir(), { env: {}, credentials: async () => ({ username: user!, password: pass! }) }),
      );
      expect(viaProvider.digest).toBe(repo.tags['2']!.digest);
      const bad = Buffer.from(`${user}:not-the-password`).toString('base64');
      const dir = tempDir();
      const e = await errorOf(verify(`${gun}:2`, ours(lab, dir, { env: { NOTARY_AUTH: bad } })));
      expect(e.code).toBe('AUTH');
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});
