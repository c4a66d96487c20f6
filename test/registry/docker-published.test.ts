/**
 * A TUF-on-OCI repository Docker published (docker/attest's test repository, made with tuf-on-ci:
 * vectors/tuf-published/README.md) pushed byte for byte into the real docker-registry of the lab,
 * then read through our registry store: the main manifest (roots 1-4, timestamp, snapshot, targets)
 * and Docker's per-role manifests tagged `test-role` and `testing`. It exercises what our own
 * writer never produces: an ecdsa-sha2-nistp384 root key, `x-tuf-on-ci-*` fields under signatures,
 * empty signature placeholders (`"sig": ""`), a snapshot listing a role no manifest carries.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeFetcher } from '../../src/client/registry-verify.js';
import { TufUpdater } from '../../src/client/tuf-updater.js';
import { decodeBasicAuth, staticCredentials } from '../../src/transport/credentials.js';
import { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import { OciMetadataStore } from '../../src/transport/oci/registry-store.js';
import { getLab, type LabInfo } from '../harness/lab.js';
import {
  DOCKER_LAYOUT,
  DOCKER_ROOT1_DIGEST,
  layoutBlob,
  pushDockerRepository,
} from '../support/docker-layout.js';
import { tempDir } from '../support/temp.js';

function clientFor(lab: LabInfo): OciRegistryClient {
  const basic = lab.notaryEnv.NOTARY_AUTH;
  return new OciRegistryClient({
    registry: lab.registryHost,
    credentials: basic ? staticCredentials(decodeBasicAuth(basic)) : null,
    deadlineMs: 10_000,
  });
}

async function publish(lab: LabInfo, withRoles: boolean, now?: number) {
  const client = clientFor(lab);
  const repository = `docker/tuf-metadata-${randomBytes(5).toString('hex')}`;
  await pushDockerRepository(client, repository, withRoles);
  const store = new OciMetadataStore({
    client,
    location: { registry: lab.registryHost, repository, tag: 'latest' },
  });
  const metadataDir = join(tempDir('ct-docker-published-'), 'metadata');
  TufUpdater.init(metadataDir, layoutBlob(DOCKER_LAYOUT, DOCKER_ROOT1_DIGEST));
  return new TufUpdater({
    metadataDir,
    metadataBaseUrl: 'https://registry.invalid/metadata/',
    fetcher: storeFetcher(store),
    ...(now === undefined ? {} : { now: () => now }),
  });
}

describe.each(['remote', 'auth'] as const)(
  "Docker's published TUF-on-OCI layout on the real registry (%s lab)",
  (labName) => {
    it('walks roots 1 -> 4 from 1.root.json and reads timestamp, snapshot and targets', async () => {
      const u = await publish(getLab(labName), true);
      await u.refresh();
      expect(u.trustedVersions()).toEqual({ root: 4, timestamp: 11, snapshot: 11, targets: 11 });
      expect(await u.getTargetInfo('test.txt')).toMatchObject({
        path: 'test.txt',
        hashes: { sha256: '02119a076ec3878c736c3a95e20794f5a8d5bce3d7ecc264681bb7334ca2e24b' },
      });
      await u.close();
    });

    it("finds targets of delegated roles in Docker's per-role manifest (tag test-role)", async () => {
      const u = await publish(getLab(labName), true);
      await u.refresh();
      expect(await u.getTargetInfo('test-role/dir1/dir2/dir3/test.txt')).toMatchObject({
        length: 46,
        hashes: { sha256: 'bb8fcf06f6c067dcbcb394d7d9ced788316fc02b715fe679097281108a4bd465' },
      });
      expect(await u.getTargetInfo('test-role/test.txt')).toMatchObject({ length: 32 });
      // terminating delegation: a path it matches but does not list is not looked up further
      expect(await u.getTargetInfo('test-role/no-such-file')).toBeUndefined();
      await u.close();
    });

    it('the role `testing` expired on 2025-09-09: EXPIRED now, found with a clock before that', async () => {
      const u = await publish(getLab(labName), true);
      await u.refresh();
      await expect(u.getTargetInfo('testing/mapping.yaml')).rejects.toMatchObject({ code: 'EXPIRED' });
      await u.close();
      const past = await publish(getLab(labName), true, Date.parse('2025-09-01T00:00:00Z'));
      await past.refresh();
      expect(await past.getTargetInfo('testing/mapping.yaml')).toMatchObject({
        length: 269,
        hashes: { sha256: 'd3b20bd505b925e6b4b73dd875e9c5839e1797061049e243bdb0d70d62f6d090' },
      });
      await past.close();
    });

    it('without the per-role manifests, a delegated role is missing: refused, never skipped', async () => {
      const u = await publish(getLab(labName), false);
      await u.refresh();
      await expect(u.getTargetInfo('test-role/test.txt')).rejects.toMatchObject({ code: 'SERVER_ERROR' });
      await u.close();
    });
  },
);
