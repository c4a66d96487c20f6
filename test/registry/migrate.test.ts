// Migration off a real notary-server into registry-hosted trust on the real docker-registry:
// the same digests for every tag (targets and a targets/releases delegation), --from-cache after the
// Notary repository is deleted, and the refusals (missing keys, unverifiable or expired Notary state).
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { TrustError } from '../../src/errors.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { migrateRepository } from '../../src/publish/migrate.js';
import { registryContext } from '../../src/publish/registry.js';
import { addSigner, generateKey, initRepository, loadKey, signTags } from '../../src/publish/workflows.js';
import { freshGun, getLab, type LabInfo, pushImage, runNotary, tempDir } from '../harness/lab.js';
import { trust } from '../support/cli.js';
import { rejection } from '../support/rejection.js';

const PASSPHRASE = 'migrate-passphrase';

function optsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase: staticPassphraseProvider(PASSPHRASE),
    keyIterations: 1000,
    deadlineMs: 15_000,
    credentials: null,
  };
}

/** A Notary repository made by our signer: v1 in targets, v2 in targets/releases (signer "releaser"). */
async function notaryRepo(lab: LabInfo, prefix: string) {
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  const v1 = await pushImage(lab, repo, 'v1');
  const v2 = await pushImage(lab, repo, 'v2', { format: 'oci' });
  const dir = tempDir();
  const opts = optsFor(lab, dir);
  await initRepository(gun, opts);
  await signTags([{ reference: `${gun}:v1` }], opts);
  const key = await generateKey('releaser', { ...opts, dir: tempDir() });
  await addSigner('releaser', readFileSync(key.publicKeyPath, 'utf8'), gun, opts);
  await signTags([{ reference: `${gun}:v2` }], opts);
  return { gun, repo, v1, v2, dir, opts, releaserKeyId: key.keyId };
}

const noLocation = async (lab: LabInfo, gun: string, to: string) =>
  registryContext(gun, { ...optsFor(lab, tempDir()), server: to }).client.headManifest(
    to === 'registry'
      ? gun.slice(lab.registryHost.length + 1)
      : to.slice(`oci://${lab.registryHost}/`.length).split(':')[0]!,
    to === 'registry' ? 'tuf-metadata' : to.split(':').pop()!,
  );

describe('trust migrate: Notary server -> registry-hosted trust (real notary-server and docker-registry)', () => {
  it('publishes the same signed tags and delegation; verify from the registry agrees with Notary; --from-cache after the server repository is deleted', async () => {
    const lab = getLab('remote');
    const { gun, v1, v2, dir, opts } = await notaryRepo(lab, 'migrate');
    // What the Notary path says, from a fresh trust dir.
    const fromNotary = {
      v1: await verify(`${gun}:v1`, { ...opts, trustDir: tempDir() }),
      v2: await verify(`${gun}:v2`, { ...opts, trustDir: tempDir() }),
    };
    expect(fromNotary.v1).toMatchObject({ digest: v1.digest, role: 'targets' });
    expect(fromNotary.v2).toMatchObject({ digest: v2.digest, role: 'targets/releases' });
    // A copy of the publisher's trust dir (keys and verified Notary cache) for the offline migration.
    const cacheDir = tempDir();
    cpSync(dir, cacheDir, { recursive: true });

    const r = await migrateRepository(gun, { ...opts, to: 'registry' });
    expect(r.location).toBe(`oci://${gun}:tuf-metadata`);
    expect(r.rootKeyId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.source).toBe('server');
    expect(r.dropped).toEqual([]);
    expect(r.delegations.sort()).toEqual(['targets/releaser', 'targets/releases']);
    expect(
      new Map(r.carried.filter((t) => t.role !== 'targets/releaser').map((t) => [t.tag, t.digest])),
    ).toEqual(
      new Map([
        ['v1', v1.digest],
        ['v2', v2.digest],
      ]),
    );

    // A fresh client pinned to the printed root key id gets the same digests and roles.
    const pinned = { pinning: { certs: { [gun]: [r.rootKeyId] } } };
    for (const tag of ['v1', 'v2'] as const) {
      const got = await verify(`${gun}:${tag}`, {
        ...opts,
        ...pinned,
        server: 'registry',
        trustDir: tempDir(),
      });
      expect(got.digest).toBe(fromNotary[tag].digest);
      expect(got.role).toBe(fromNotary[tag].role);
    }
    // The migrated trust dir switched its recorded source: no --server needed, Notary is not asked.
    const { server: _notary, ...noServer } = opts;
    expect((await verify(`${gun}:v2`, noServer)).digest).toBe(v2.digest);
    // The Notary root key (ECDSA P-256 with a certificate) is listed as a bare TUF 1.0 ecdsa key.
    const root1 = await registryContext(gun, { ...opts, server: 'registry' }).store.getMeta(
      '1.root.json',
      1 << 20,
    );
    const rootDoc = JSON.parse(new TextDecoder().decode(root1!)).signed;
    expect(rootDoc.roles.root.keyids).toEqual([r.rootKeyId]);
    expect(rootDoc.keys[r.rootKeyId]).toMatchObject({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256' });
    expect(rootDoc.keys[r.rootKeyId].keyval.public).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // Pinned to another root key: refused.
    const wrongPin = { pinning: { certs: { [gun]: ['0'.repeat(64)] } } };
    expect(
      (
        await rejection(
          verify(`${gun}:v1`, { ...opts, ...wrongPin, server: 'registry', trustDir: tempDir() }),
        )
      ).code,
    ).toBe('PINNING');

    // The Notary server goes away (repository deleted on the real server).
    const del = runNotary(lab, ['delete', gun, '--remote'], { trustDir: tempDir() });
    expect(del.status, del.stderr).toBe(0);
    const online = await rejection(
      migrateRepository(gun, { ...optsFor(lab, cacheDir), to: `oci://${gun}:tuf-b` }),
    );
    expect(online.code).toBe('NO_TRUST_DATA');
    const to = `oci://${gun}:tuf-from-cache`;
    expect(await noLocation(lab, gun, to)).toBeNull();
    const c = await migrateRepository(gun, { ...optsFor(lab, cacheDir), to, fromCache: true });
    expect(c.source).toBe('cache');
    expect(c.sourceExpired).toBe(false);
    expect(c.sourceAgeMs).toBeGreaterThanOrEqual(0);
    expect(c.sourceAgeMs).toBeLessThan(600_000);
    expect(c.rootKeyId).toBe(r.rootKeyId);
    for (const tag of ['v1', 'v2'] as const) {
      const got = await verify(`${gun}:${tag}`, {
        ...opts,
        pinning: { certs: { [gun]: [c.rootKeyId] } },
        server: to,
        trustDir: tempDir(),
      });
      expect(got.digest).toBe(fromNotary[tag].digest);
      expect(got.role).toBe(fromNotary[tag].role);
    }
  });

  it('refuses: missing root/tagging keys, a delegation key missing (unless --force), unverifiable or expired cached state', async () => {
    const lab = getLab('remote');
    const { gun, v1, v2, dir, opts, releaserKeyId } = await notaryRepo(lab, 'migrefuse');

    // A trust dir that verified the repository but holds no keys.
    const reader = tempDir();
    await verify(`${gun}:v1`, { ...opts, trustDir: reader });
    const noKeys = await rejection(migrateRepository(gun, { ...optsFor(lab, reader), to: 'registry' }));
    expect(noKeys.code).toBe('KEY_NOT_FOUND');
    expect(noKeys.message).toMatch(/root key/);
    expect(await noLocation(lab, gun, 'registry')).toBeNull();

    // The root key but not the tagging key.
    const noTargets = tempDir();
    cpSync(dir, noTargets, { recursive: true });
    const ks = new KeyStore(noTargets, { passphrase: staticPassphraseProvider(PASSPHRASE) });
    for (const k of await ks.find({ role: 'targets' })) rmSync(k.path);
    const nt = await rejection(migrateRepository(gun, { ...optsFor(lab, noTargets), to: 'registry' }));
    expect(nt.code).toBe('KEY_NOT_FOUND');
    expect(nt.message).toMatch(/targets \(tagging\) key/);
    // Unverifiable on the server: the root is not the pinned one (a fresh trust dir holding the keys).
    const pinnedWrong = tempDir();
    cpSync(join(dir, 'private'), join(pinnedWrong, 'private'), { recursive: true });
    const pw = await rejection(
      migrateRepository(gun, {
        ...optsFor(lab, pinnedWrong),
        to: 'registry',
        pinning: { certs: { [gun]: ['0'.repeat(64)] } },
      }),
    );
    expect(pw.code).toBe('PINNING');
    expect(await noLocation(lab, gun, 'registry')).toBeNull();
    // The releaser's key is not in the trust dir: targets/releases cannot be re-signed; v2 would be dropped.
    const partial = tempDir();
    cpSync(dir, partial, { recursive: true });
    rmSync(join(partial, 'private', `${releaserKeyId}.key`));
    const drop = await rejection(migrateRepository(gun, { ...optsFor(lab, partial), to: 'registry' }));
    expect(drop.code).toBe('KEY_NOT_FOUND');
    expect(drop.message).toMatch(
      /would drop 2 signed tag\(s\): v2 \(targets\/releases is not carried .*v2 \(targets\/releaser is not carried/,
    );
    expect(await noLocation(lab, gun, 'registry')).toBeNull();

    // Unverifiable cached state: a tampered cached targets file is refused, nothing is published.
    const tampered = tempDir();
    cpSync(dir, tampered, { recursive: true });
    const cached = join(tampered, 'tuf', ...gun.split('/'), 'metadata', 'targets.json');
    const doc = JSON.parse(readFileSync(cached, 'utf8'));
    doc.signed.targets.v1.length += 1;
    writeFileSync(cached, JSON.stringify(doc));
    const bad = await rejection(
      migrateRepository(gun, { ...optsFor(lab, tampered), to: 'registry', fromCache: true }),
    );
    expect(bad).toBeInstanceOf(TrustError);
    expect(['HASH_MISMATCH', 'BAD_SIGNATURE', 'THRESHOLD', 'BAD_METADATA']).toContain(bad.code);
    expect(await noLocation(lab, gun, 'registry')).toBeNull();

    // Expired cached state: refused unless allowExpired, then re-verified as of when it was cached.
    const later = Date.now() + 400 * 86_400_000;
    const expired = await rejection(
      migrateRepository(gun, { ...optsFor(lab, dir), to: 'registry', fromCache: true, now: () => later }),
    );
    expect(expired.code).toBe('EXPIRED');
    expect(expired.message).toMatch(/is (400|401) days old and has expired/);
    expect(await noLocation(lab, gun, 'registry')).toBeNull();

    // --force with the releaser key missing: v1 carried, v2 reported dropped, releases not delegated.
    const forced = await migrateRepository(gun, {
      ...optsFor(lab, partial),
      to: 'registry',
      fromCache: true,
      force: true,
    });
    expect(forced.carried.map((t) => [t.tag, t.digest])).toEqual([['v1', v1.digest]]);
    expect(forced.dropped.map((t) => [t.tag, t.digest, t.role])).toEqual([
      ['v2', v2.digest, 'targets/releases'],
      ['v2', v2.digest, 'targets/releaser'],
    ]);
    expect(forced.skippedDelegations.map((s) => s.role).sort()).toEqual([
      'targets/releaser',
      'targets/releases',
    ]);
    const fresh = { ...opts, server: 'registry', trustDir: tempDir() };
    expect((await verify(`${gun}:v1`, fresh)).digest).toBe(v1.digest);
    expect((await rejection(verify(`${gun}:v2`, fresh))).code).toBe('NOT_SIGNED');

    // Expired, accepted explicitly, into another location.
    const to = `oci://${gun}:tuf-expired`;
    const ok = await migrateRepository(gun, {
      ...optsFor(lab, dir),
      to,
      fromCache: true,
      allowExpired: true,
      now: () => later,
    });
    expect(ok.sourceExpired).toBe(true);
    expect(ok.carried.find((t) => t.tag === 'v2')?.digest).toBe(v2.digest);
  });

  it('trust migrate (CLI) of a repository the real notary CLI made, with a targets/releases delegation limited to rel-', async () => {
    const lab = getLab('remote');
    const gun = freshGun(lab, 'nmigrate');
    const admin = tempDir();
    const notaryOk = (args: string[]) => {
      const r = runNotary(lab, args, { trustDir: admin });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const hex = (c: string) => c.repeat(64);
    notaryOk(['init', gun, '-p']);
    // one passphrase for the tagging, delegation and new publisher keys (docker's REPOSITORY one)
    const repoPass = lab.notaryEnv.NOTARY_TARGETS_PASSPHRASE!;
    const files = tempDir();
    notaryOk(['key', 'generate', 'ecdsa', '--role', 'bob', '-o', join(files, 'bob')]);
    await loadKey(join(files, 'bob-key.pem'), {
      trustDir: admin,
      passphrase: staticPassphraseProvider(repoPass),
      filePassphrase: lab.notaryEnv.NOTARY_DELEGATION_PASSPHRASE!,
      keyIterations: 1000,
    });
    notaryOk(['delegation', 'add', gun, 'targets/releases', join(files, 'bob.pem'), '--paths', 'rel-', '-p']);
    notaryOk(['addhash', gun, 'v1', '10', '--sha256', hex('a'), '-p']);
    // bob signs rel-1 into notary's delegation (our signer; notary publishes with its own snapshot key)
    const pass = lab.notaryEnv;
    await signTags([{ reference: `${gun}:rel-1`, digest: `sha256:${hex('b')}`, size: 20 }], {
      server: lab.notaryUrl,
      tlsCaCert: readFileSync(lab.caCert, 'utf8'),
      trustDir: admin,
      credentials: null,
      passphrase: async (req) =>
        req.role === 'snapshot'
          ? pass.NOTARY_SNAPSHOT_PASSPHRASE!
          : req.role === 'root'
            ? pass.NOTARY_ROOT_PASSPHRASE!
            : repoPass,
    });
    const env = { ...lab.notaryEnv, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: repoPass };
    const common = ['--trust-dir', admin, '--tlscacert', lab.caCert];

    // a consumer that trusted the Notary repository before the migration
    const consumer = tempDir();
    const before = trust(
      ['verify', `${gun}:v1`, '--server', lab.notaryUrl, '--trust-dir', consumer, '--tlscacert', lab.caCert],
      env,
    );
    expect(before.status, before.stderr).toBe(0);
    const r = trust(
      ['migrate', gun, '--server', lab.notaryUrl, '--to', 'registry', '--json', ...common],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.delegations).toEqual(['targets/releases']);
    expect(out.carried.map((t: { tag: string; role: string }) => [t.tag, t.role]).sort()).toEqual([
      ['rel-1', 'targets/releases'],
      ['v1', 'targets'],
    ]);
    // Notary (the real client, fresh trust dir) and the registry (our CLI, fresh trust dir) agree.
    for (const [tag, size, c] of [
      ['v1', 10, 'a'],
      ['rel-1', 20, 'b'],
    ] as const) {
      const nl = runNotary(lab, ['lookup', gun, tag], { trustDir: tempDir() });
      expect(nl.stdout.trim()).toBe(`${tag} sha256:${hex(c)} ${size}`);
      const v = trust(['verify', `${gun}:${tag}`, '--server', 'registry', '--trust-dir', tempDir()], env);
      expect(v.status, v.stderr).toBe(0);
      expect(v.stdout.trim()).toBe(`${gun}@sha256:${hex(c)}`);
    }
    // The glob from notary's prefix rel- keeps the delegation to rel-* (a targets/releases signature
    // on another tag would not count): the published delegation says so.
    const state = await registryContext(gun, { ...optsFor(lab, admin), server: 'registry' }).store.getMeta(
      '1.targets.json',
      1 << 20,
    );
    const del = JSON.parse(new TextDecoder().decode(state!)).signed.delegations.roles[0];
    expect(del).toMatchObject({ name: 'targets/releases', paths: ['rel-*'], threshold: 1 });
    // That consumer's trust dir holds the Notary cache: given --server registry, a configuration error that
    // says so (was the Notary root misread as TUF 1.0: WRONG_TYPE, exit 1); the Notary path still answers.
    const switched = trust(['verify', `${gun}:v1`, '--server', 'registry', '--trust-dir', consumer], env);
    expect(switched.status, switched.stderr).toBe(2);
    expect(switched.stderr).toMatch(/^error CONFIG: .*holds Notary metadata.*another trust dir/m);
    const stays = trust(
      ['verify', `${gun}:v1`, '--server', lab.notaryUrl, '--trust-dir', consumer, '--tlscacert', lab.caCert],
      env,
    );
    expect(stays.status, stays.stderr).toBe(0);
    // The migrating trust dir now holds the registry-hosted (TUF 1.0) cache: with a Notary --server it
    // is a configuration error that says so, not the TUF 1.0 root misread as Notary's (BAD_METADATA, exit 1)
    for (const cmd of [
      ['verify', `${gun}:v1`],
      ['inspect', gun],
    ]) {
      const viaNotary = trust([...cmd, '--server', lab.notaryUrl, ...common], env);
      expect(viaNotary.status, viaNotary.stderr).toBe(2);
      expect(viaNotary.stderr).toMatch(/^error CONFIG: .*holds "tuf-1\.0" metadata.*--server registry/m);
    }
    // Again from this trust dir: already migrated. From another trust dir with the keys: the location
    // has trust data, nothing is overwritten.
    const again = trust(['migrate', gun, '--server', lab.notaryUrl, '--to', 'registry', ...common], env);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/^error CONFLICT: .*already registry-hosted in this trust dir/m);
    const other = tempDir();
    cpSync(join(admin, 'private'), join(other, 'private'), { recursive: true });
    const taken = trust(
      [
        'migrate',
        gun,
        '--server',
        lab.notaryUrl,
        '--to',
        'registry',
        '--trust-dir',
        other,
        '--tlscacert',
        lab.caCert,
      ],
      env,
    );
    expect(taken.status).not.toBe(0);
    expect(taken.stderr).toMatch(/^error CONFLICT: .*already has trust data/m);
    // Usage errors exit 2.
    expect(trust(['migrate', gun, ...common], env).status).toBe(2);
    expect(trust(['migrate', gun, '--to', 'registry', '--allow-expired', ...common], env).status).toBe(2);
  });
});
