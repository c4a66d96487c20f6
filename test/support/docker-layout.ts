// Docker's published TUF-on-OCI test repository (vectors/tuf-published/docker-attest-test-repo-oci):
// its OCI image layouts pushed byte for byte into a registry, as Docker's tooling tags them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciRegistryClient } from '../../src/transport/oci/distribution.js';
import {
  OCI_EMPTY_BYTES,
  OCI_EMPTY_DIGEST,
  OCI_MANIFEST_MEDIA_TYPE,
} from '../../src/transport/oci/layout.js';

export const DOCKER_LAYOUT = join(
  import.meta.dirname,
  '../../vectors/tuf-published/docker-attest-test-repo-oci/metadata',
);

/** Digest of the repository's 1.root.json blob. */
export const DOCKER_ROOT1_DIGEST = 'sha256:5a9f60b64b708d05e4e4da0354529fc7fe5015807b79f0bf7b136207bf952bd7';

/** A blob of a layout directory. */
export function layoutBlob(dir: string, digest: string): Uint8Array {
  // Docker's per-role layouts leave out the empty config blob (the manifest carries it inline as `data`)
  if (digest === OCI_EMPTY_DIGEST && !existsSync(join(dir, 'blobs', 'sha256', digest.slice(7))))
    return OCI_EMPTY_BYTES;
  return new Uint8Array(readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))));
}

/** Pushes one OCI image layout directory (index -> one manifest -> blobs) under `tag`, bytes unchanged. */
export async function pushLayout(client: OciRegistryClient, repo: string, dir: string, tag: string) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifestBytes = layoutBlob(dir, index.manifests[0]!.digest);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    await client.pushBlob(repo, layoutBlob(dir, d));
  }
  await client.putManifest(repo, tag, manifestBytes, OCI_MANIFEST_MEDIA_TYPE);
}

/** The main manifest as `latest` and, with `withRoles`, the per-role manifests `test-role` and `testing`. */
export async function pushDockerRepository(client: OciRegistryClient, repo: string, withRoles: boolean) {
  await pushLayout(client, repo, DOCKER_LAYOUT, 'latest');
  if (withRoles) {
    await pushLayout(client, repo, join(DOCKER_LAYOUT, 'test-role'), 'test-role');
    await pushLayout(client, repo, join(DOCKER_LAYOUT, 'testing'), 'testing');
  }
}
