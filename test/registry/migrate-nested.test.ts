// trust migrate (real notary-server -> real docker-registry): nested delegations carried with their
// keys, paths and thresholds, and no key files left behind by a failed push.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { verify } from '../../src/client/verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { migrateRepository } from '../../src/publish/migrate.js';
import { registryContext } from '../../src/publish/registry.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { getLab, tempDir } from '../harness/lab.js';
import { nestedNotaryRepo } from '../support/nested-notary.js';
import { RegistryProxy } from '../support/registry-proxy.js';
import { rejection } from '../support/rejection.js';

describe('trust migrate: nested delegations and a failed push (real notary-server and docker-registry)', () => {
  it('carries targets/releases/qa with its key, paths and threshold; verify finds its tag', async () => {
    const lab = getLab('remote');
    const { gun, v1, v2, qa, dir, opts } = await nestedNotaryRepo(lab, 'mig-nested');
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
    const { gun, dir, opts } = await nestedNotaryRepo(lab, 'mig-fail', false);
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
