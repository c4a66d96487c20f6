// trust migrate (real notary-server -> real docker-registry): nested delegations carried with their
// keys, paths and thresholds, and no key files left behind by a failed push.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { verify } from '../../src/client/verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { staticPassphraseProvider } from '../../src/keys/passphrase.js';
import { delegationRole, keyJson, targetMeta } from '../../src/metadata/build.js';
import { generateKey, publicKeyFromPem } from '../../src/publish/keys.js';
import { migrateRepository } from '../../src/publish/migrate.js';
import { registryContext } from '../../src/publish/registry.js';
import { editableTargets, mutate } from '../../src/publish/repository.js';
import { addSigner, initRepository, signTags } from '../../src/publish/workflows.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { freshGun, getLab, type LabInfo, pushImage, tempDir } from '../harness/lab.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

function optsFor(lab: LabInfo, trustDir: string) {
  return {
    server: lab.notaryUrl,
    tlsCaCert: readFileSync(lab.caCert, 'utf8'),
    trustDir,
    passphrase: staticPassphraseProvider('nested-pass'),
    keyIterations: 1000,
    deadlineMs: 15_000,
    credentials: null,
  };
}

/**
 * A Notary repository: v1 in targets, v2 in targets/releases (signer "releaser"), and qa-1 in the
 * nested delegation targets/releases/qa (delegated by targets/releases, paths "qa-", its own key).
 */
async function nestedRepo(lab: LabInfo, prefix: string, withNested = true) {
  const gun = freshGun(lab, prefix);
  const repo = gun.slice(lab.registryHost.length + 1);
  const v1 = await pushImage(lab, repo, 'v1');
  const v2 = await pushImage(lab, repo, 'v2', { content: 'two' });
  const qa = await pushImage(lab, repo, 'qa-1', { content: 'qa' });
  const dir = tempDir();
  const opts = optsFor(lab, dir);
  await initRepository(gun, opts);
  await signTags([{ reference: `${gun}:v1` }], opts);
  const releaser = await generateKey('releaser', { ...opts, dir: tempDir() });
  await addSigner('releaser', readFileSync(releaser.publicKeyPath, 'utf8'), gun, opts);
  await signTags([{ reference: `${gun}:v2` }], opts);
  if (!withNested) return { gun, repo, v1, v2, qa, dir, opts };
  const qaKey = await generateKey('qa', { ...opts, dir: tempDir() });
  const qaPub = publicKeyFromPem(readFileSync(qaKey.publicKeyPath, 'utf8'));
  await mutate(gun, opts, async (state) => {
    const rel = editableTargets(state.targets.get('targets/releases')?.signed, 'targets/releases');
    rel.delegations.keys[qaPub.id] = keyJson(qaPub);
    rel.delegations.roles.push(delegationRole('targets/releases/qa', [qaPub.id], ['qa-'], 1));
    const nested = editableTargets(undefined, 'targets/releases/qa');
    nested.targets['qa-1'] = targetMeta(qa.digest, qa.size);
    return {
      edit: {
        targets: new Map([
          ['targets/releases', rel],
          ['targets/releases/qa', nested],
        ]),
      },
      newKeys: new Map([[qaPub.id, qaPub]]),
      result: null,
    };
  });
  return { gun, repo, v1, v2, qa, dir, opts };
}

describe('trust migrate: nested delegations and a failed push (real notary-server and docker-registry)', () => {
  it('carries targets/releases/qa with its key, paths and threshold; verify finds its tag', async () => {
    const lab = getLab('remote');
    const { gun, v1, v2, qa, dir, opts } = await nestedRepo(lab, 'mig-nested');
    // the Notary path resolves the nested tag when the role is named
    const fromNotary = await verify(`${gun}:qa-1`, {
      ...opts,
      trustDir: tempDir(),
      roles: ['targets/releases/qa'],
    });
    expect(fromNotary).toMatchObject({ digest: qa.digest, role: 'targets/releases/qa' });

    const r = await migrateRepository(gun, { ...opts, to: 'registry' });
    expect(r.skippedDelegations).toEqual([]);
    expect(r.dropped).toEqual([]);
    expect(r.delegations).toContain('targets/releases/qa');
    expect(r.carried.find((t) => t.tag === 'qa-1')).toMatchObject({
      digest: qa.digest,
      role: 'targets/releases/qa',
    });
    // The delegation sits in targets/releases' metadata, with its key, glob and threshold.
    const store = registryContext(gun, { ...opts, server: 'registry' }).store;
    const m = (await store.manifest())!;
    const relName = [...m.files.keys()].find((n) => /^[0-9]+\.targets%2Freleases\.json$/.test(n))!;
    const rel = JSON.parse(new TextDecoder().decode((await store.getMeta(relName, 1 << 20))!)).signed;
    const entry = rel.delegations.roles.find((d: { name: string }) => d.name === 'targets/releases/qa');
    expect(entry).toMatchObject({ paths: ['qa-*'], threshold: 1 });
    expect(entry.keyids).toHaveLength(1);
    expect(Object.keys(rel.delegations.keys)).toContain(entry.keyids[0]);
    expect([...m.files.keys()].some((n) => /^[0-9]+\.targets%2Freleases%2Fqa\.json$/.test(n))).toBe(true);

    // A fresh client pinned to the new root finds every tag where Notary did.
    const pinning = { certs: { [gun]: [r.rootKeyId] } };
    const fresh = { trustDir: tempDir(), server: 'registry', pinning };
    expect((await verifyRegistry(`${gun}:v1`, fresh)).digest).toBe(v1.digest);
    expect((await verifyRegistry(`${gun}:v2`, fresh)).digest).toBe(v2.digest);
    const nested = await verifyRegistry(`${gun}:qa-1`, { ...fresh, roles: ['targets/releases/qa'] });
    expect(nested).toMatchObject({ digest: qa.digest, role: 'targets/releases/qa' });
    // not consulted unless named, as on the Notary path
    const unnamed = await rejection(verifyRegistry(`${gun}:qa-1`, fresh));
    expect(unnamed.code).toBe('NOT_SIGNED');
    expect(dir).toBeTruthy();
  });

  it('a push the registry refuses leaves no new key files in the trust dir', async () => {
    const lab = getLab('remote');
    const { gun, dir, opts } = await nestedRepo(lab, 'mig-fail', false);
    const keysBefore = readdirSync(join(dir, 'private')).sort();
    const proxy = await RegistryProxy.start(lab.registryUrl);
    try {
      proxy.rule(async (req) =>
        req.method === 'PUT' && req.kind === 'manifest'
          ? {
              status: 403,
              headers: { 'content-type': 'application/json' },
              body: Buffer.from('{"errors":[{"code":"DENIED"}]}'),
            }
          : undefined,
      );
      const client = new OciRegistryClient({ registry: lab.registryHost, baseUrl: proxy.url });
      const err = await rejection(migrateRepository(gun, { ...opts, to: 'registry', client }));
      expect(exitCodeFor(err)).not.toBe(0);
    } finally {
      await proxy.close();
    }
    expect(readdirSync(join(dir, 'private')).sort()).toEqual(keysBefore);
    // and nothing was switched: a later migration goes through and creates its keys
    const ok = await migrateRepository(gun, { ...opts, to: 'registry' });
    expect(ok.dropped).toEqual([]);
    expect(readdirSync(join(dir, 'private')).length).toBe(keysBefore.length + 2);
  });
});
