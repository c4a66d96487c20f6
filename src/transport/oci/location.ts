/**
 * Where registry-hosted trust data lives: `oci://HOST[:PORT]/REPO[:TAG]`, or `registry` for the
 * image's own repository under the tag `tuf-metadata`.
 */

import { LocalError } from '../../errors.js';
import type { ImageReference } from '../../reference.js';
import { DEFAULT_METADATA_TAG } from './layout.js';

/** Where registry-hosted trust data lives: registry, repository and tag of the metadata manifest. */
export interface MetadataLocation {
  /** Registry host[:port] (`localhost:5000`, `docker.io`). */
  registry: string;
  /** Repository path on the registry (`library/app`). */
  repository: string;
  /** Tag of the metadata manifest. */
  tag: string;
}

/** The `--server` value selecting the image's own repository. */
export const REGISTRY_SERVER = 'registry';

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Whether a `--server` value names registry-hosted trust (`registry` or `oci://...`). */
export function isRegistryServer(server: string): boolean {
  return server === REGISTRY_SERVER || server.startsWith('oci://');
}

function bad(value: string, why: string): LocalError {
  return new LocalError(
    'CONFIG',
    `invalid trust location ${JSON.stringify(value.slice(0, 200))}: ${why} (expected oci://HOST[:PORT]/REPO[:TAG])`,
  );
}

/** Parses `oci://HOST[:PORT]/REPO[:TAG]` (tag default `tuf-metadata`). */
export function parseOciLocation(value: string): MetadataLocation {
  if (!value.startsWith('oci://')) throw bad(value, 'not an oci:// URL');
  const rest = value.slice('oci://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad(value, 'missing repository');
  const registry = rest.slice(0, slash);
  if (!HOST.test(registry)) throw bad(value, `invalid registry host ${JSON.stringify(registry)}`);
  const port = /:([0-9]+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw bad(value, 'invalid port');
  let path = rest.slice(slash + 1);
  if (path.includes('@')) throw bad(value, 'a digest is not a location (the tag moves with every update)');
  if (/[?#]/.test(path)) throw bad(value, 'no query or fragment allowed');
  let tag = DEFAULT_METADATA_TAG;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw bad(value, `invalid tag ${JSON.stringify(tag)}`);
  }
  if (path.length === 0 || path.length > 255 || !REPOSITORY.test(path)) {
    throw bad(value, `invalid repository path ${JSON.stringify(path)}`);
  }
  return { registry: registry.toLowerCase(), repository: path, tag };
}

/** The location a `--server` value names for `ref`: `registry` → the image's own repository. */
export function metadataLocation(server: string, ref: ImageReference): MetadataLocation {
  if (server === REGISTRY_SERVER) {
    return { registry: ref.registry, repository: ref.repository, tag: DEFAULT_METADATA_TAG };
  }
  return parseOciLocation(server);
}

/** `oci://HOST/REPO:TAG`, for messages and for recording where a repository was first trusted from. */
export function formatLocation(loc: MetadataLocation): string {
  return `oci://${loc.registry}/${loc.repository}:${loc.tag}`;
}
