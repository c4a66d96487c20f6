// NotaryServerStore against the real notary-server (lab), with the real notary CLI making and
// reading the repositories.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, type LabInfo, runNotary, tempDir } from '../../test/harness/lab.js';
import { NetworkError, PublishError, VerificationError } from '../errors.js';
import { staticCredentials } from './credentials.js';
import { multipartBody, NotaryServerStore } from './notary-server.js';

const MiB = 1 << 20;

function store(
  lab: LabInfo,
  gun: string,
  creds?: { username: string; password: string } | null,
): NotaryServerStore {
  return new NotaryServerStore({
    serverUrl: lab.notaryUrl,
    gun,
    ca: readFileSync(lab.caCert, 'utf8'),
    credentials: creds === undefined ? null : staticCredentials(creds),
  });
}

function labCreds(lab: LabInfo): { username: string; password: string } {
  const plain = Buffer.from(lab.notaryEnv.NOTARY_AUTH ?? '', 'base64')
    .toString('utf8')
    .trim();
  const i = plain.indexOf(':');
  return { username: plain.slice(0, i), password: plain.slice(i + 1) };
}

/** `notary init` (+ optional addhash) in a fresh trust dir; returns the trust dir. */
function notaryRepo(lab: LabInfo, gun: string, opts: { target?: boolean } = {}): string {
  const trustDir = tempDir();
  const init = runNotary(lab, ['init', gun, '-p'], { trustDir });
  expect(init.status, init.stderr).toBe(0);
  if (opts.target) {
    const add = runNotary(lab, ['addhash', gun, 'v1', '123', '--sha256', 'ab'.repeat(32), '-p'], {
      trustDir,
    });
    expect(add.status, add.stderr).toBe(0);
  }
  return trustDir;
}

function cached(trustDir: string, gun: string, role: string): Uint8Array {
  return new Uint8Array(readFileSync(join(trustDir, 'tuf', gun, 'metadata', `${role}.json`)));
}

/** What notary uploaded (its local cache can be behind the server after a publish). */
async function publishedBy(s: NotaryServerStore): Promise<Array<{ role: string; bytes: Uint8Array }>> {
  const out: Array<{ role: string; bytes: Uint8Array }> = [];
  for (const role of ['root', 'targets', 'snapshot']) {
    const bytes = await s.getMeta(role, MiB);
    expect(bytes, role).not.toBeNull();
    out.push({ role, bytes: bytes as Uint8Array });
  }
  return out;
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('NotaryServerStore (lab remote, no auth)', () => {
  it('404 → null for an unknown repository', async () => {
    const lab = getLab('remote');
    const s = store(lab, freshGun(lab, 'h4-none'));
    expect(s.answered).toBe(false);
    expect(await s.getMeta('root', MiB)).toBeNull();
    expect(s.answered).toBe(true); // a 404 is an answer too (issue 12: warm updates yield no turn)
    expect(await s.getMeta('timestamp', MiB)).toBeNull();
    expect(await s.getMeta('targets/releases', MiB)).toBeNull();
  });

  it('reads what notary published: current, by checksum and by version', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-read');
    const trustDir = notaryRepo(lab, gun, { target: true });
    const s = store(lab, gun);
    const root = await s.getMeta('root', MiB);
    expect(root).toEqual(cached(trustDir, gun, 'root'));
    expect(await s.getMeta('1.root', MiB)).toEqual(root);
    const targets = (await s.getMeta('targets', MiB)) as Uint8Array;
    expect(await s.getMeta(`targets.${sha256hex(targets)}`, MiB)).toEqual(targets);
    const ts = await s.getMeta('timestamp', MiB);
    const tsDoc = JSON.parse(new TextDecoder().decode(ts as Uint8Array)) as {
      signed: { _type: string; meta: { snapshot: { hashes: { sha256: string } } } };
    };
    expect(tsDoc.signed._type).toBe('Timestamp');
    const snapHex = Buffer.from(tsDoc.signed.meta.snapshot.hashes.sha256, 'base64').toString('hex');
    const snapshot = await s.getMeta(`snapshot.${snapHex}`, MiB);
    expect(sha256hex(snapshot as Uint8Array)).toBe(snapHex);
    expect(s.description).toBe(`${lab.notaryUrl}/v2/${gun}`);
  });

  it('caps what it reads (TOO_LARGE names the role and the limit)', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-cap');
    notaryRepo(lab, gun);
    const err = await store(lab, gun)
      .getMeta('root', 100)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(err).toMatchObject({ code: 'TOO_LARGE', role: 'root' });
    expect((err as Error).message).toContain('100 bytes');
  });

  it('publish round trip: notary-made bytes, deleted, republished by us, read back by notary', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-pub');
    notaryRepo(lab, gun, { target: true });
    const s = store(lab, gun);
    const files = await publishedBy(s);

    await s.deleteRepository();
    expect(await s.getMeta('root', MiB)).toBeNull();

    await s.publish(files);
    for (const f of files) expect(await s.getMeta(f.role, MiB)).toEqual(f.bytes);
    // the server made a timestamp over our snapshot
    expect(await s.getMeta('timestamp', MiB)).not.toBeNull();

    // the real client, starting from nothing, trusts and reads it
    const lookup = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() });
    expect(lookup.status, lookup.stderr + lookup.stdout).toBe(0);
    expect(lookup.stdout).toContain(`sha256:${'ab'.repeat(32)} 123`);
  });

  it('the multipart body is what notary sends (field files, filename = role, octet-stream)', () => {
    const { body, contentType } = multipartBody([
      { role: 'root', bytes: new TextEncoder().encode('{"a":1}') },
      { role: 'targets/releases', bytes: new TextEncoder().encode('{"b":2}') },
    ]);
    const boundary = /^multipart\/form-data; boundary=([0-9a-f]{60})$/.exec(contentType)?.[1];
    expect(boundary).toBeDefined();
    expect(Buffer.from(body).toString('utf8')).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="root"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n{"a":1}` +
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="targets/releases"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n{"b":2}` +
        `\r\n--${boundary}--\r\n`,
    );
  });

  it('a stale version is a CONFLICT; a broken signature is PUBLISH_REJECTED with the server error name', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-rej');
    const trustDir = notaryRepo(lab, gun, { target: true });
    const s = store(lab, gun);
    const targets = cached(trustDir, gun, 'targets');
    const snapshot = cached(trustDir, gun, 'snapshot');

    const conflict = await s
      .publish([
        { role: 'targets', bytes: targets },
        { role: 'snapshot', bytes: snapshot },
      ])
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(PublishError);
    expect(conflict).toMatchObject({ code: 'CONFLICT' });

    const doc = JSON.parse(new TextDecoder().decode(targets)) as { signed: { version: number } };
    doc.signed.version += 10; // signature no longer matches
    const forged = new TextEncoder().encode(JSON.stringify(doc));
    const rejected = await s.publish([{ role: 'targets', bytes: forged }]).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(PublishError);
    expect(rejected).toMatchObject({ code: 'PUBLISH_REJECTED' });
    expect((rejected as Error).message).toMatch(/INVALID_UPDATE\/Err[A-Za-z]+/);
  });

  it('server-managed keys: get (the one root lists) and rotate', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'h4-key');
    const trustDir = notaryRepo(lab, gun);
    const s = store(lab, gun);
    const root = JSON.parse(new TextDecoder().decode(cached(trustDir, gun, 'root'))) as {
      signed: {
        keys: Record<string, { keyval: { public: string } }>;
        roles: { timestamp: { keyids: string[] } };
      };
    };
    const tsKeyId = root.signed.roles.timestamp.keyids[0] as string;
    const k1 = (await s.getServerKey('timestamp')) as { keytype: string; keyval: { public: string } };
    expect(k1.keytype).toBe('ecdsa');
    expect(k1.keyval.public).toBe(root.signed.keys[tsKeyId]?.keyval.public);
    expect(await s.getServerKey('timestamp')).toEqual(k1);
    const k2 = (await s.rotateServerKey('snapshot')) as { keyval: { public: string } };
    const k3 = (await s.rotateServerKey('snapshot')) as { keyval: { public: string } };
    expect(k3.keyval.public).not.toBe(k2.keyval.public);
  });

  it('rejects names that could escape the repository path', async () => {
    const lab = getLab('remote');
    const s = store(lab, freshGun(lab, 'h4-name'));
    for (const bad of ['../root', 'root/../../x', '/root', 'root.json', 'ROOT', '']) {
      await expect(s.getMeta(bad, MiB)).rejects.toMatchObject({ code: 'USAGE' });
    }
    await expect(s.publish([{ role: '../x', bytes: new Uint8Array(1) }])).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('an unreachable server is NETWORK', async () => {
    const lab = getLab('remote');
    const s = new NotaryServerStore({
      serverUrl: 'https://127.0.0.1:1',
      gun: freshGun(lab, 'x'),
      deadlineMs: 5000,
    });
    const err = await s.getMeta('root', MiB).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'NETWORK' });
    expect((err as Error).message).toContain('https://127.0.0.1:1/v2/');
    expect(s.answered).toBe(false);
  });
});

describe('NotaryServerStore (lab auth: token auth)', () => {
  it('anonymous reads work; anonymous publish is AUTH', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'h4-anon');
    const s = store(lab, gun);
    expect(await s.getMeta('root', MiB)).toBeNull();
    const err = await s
      .publish([{ role: 'root', bytes: new TextEncoder().encode('{}') }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'AUTH' });
    expect((err as Error).message).toMatch(/no credentials/);
  });

  it('with credentials: publish, read, delete (scope *) round trip of notary-made bytes', async () => {
    const lab = getLab('auth');
    const gun = freshGun(lab, 'h4-auth');
    notaryRepo(lab, gun, { target: true });
    const creds = labCreds(lab);
    const s = store(lab, gun, creds);
    const files = await publishedBy(s);
    await s.deleteRepository();
    expect(await s.getMeta('root', MiB)).toBeNull();
    await s.publish(files);
    expect(await store(lab, gun).getMeta('targets', MiB)).toEqual(files[1]?.bytes);
    const lookup = runNotary(lab, ['lookup', gun, 'v1'], { trustDir: tempDir() });
    expect(lookup.status, lookup.stderr).toBe(0);
    expect(lookup.stdout).toContain(`sha256:${'ab'.repeat(32)} 123`);
  });

  it('wrong credentials are AUTH and never appear in the error', async () => {
    const lab = getLab('auth');
    const s = store(lab, freshGun(lab, 'h4-wrong'), { username: 'lab', password: 'not-the-password-s3cr3t' });
    // a small cap must not turn the server's 401 body into TOO_LARGE
    const err = await s.getMeta('root', 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'AUTH' });
    expect(JSON.stringify({ m: (err as Error).message, j: (err as NetworkError).toJSON() })).not.toContain(
      's3cr3t',
    );
    await expect(s.deleteRepository()).rejects.toMatchObject({ code: 'AUTH' });
  });
});
