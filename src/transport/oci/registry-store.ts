/**
 * Registry-hosted trust data as a MetadataStore: the TUF 1.0 files of one repository state, served by
 * name from the layers of one OCI manifest (src/transport/oci/layout.ts, docs/registry-layout.md).
 *
 * Reading: the metadata manifest is fetched once per store (one conditional GET when a copy is
 * cached: the warm path is a single request), so every file of one update comes from the same
 * atomically pushed state. A file missing from it that names a delegated role is looked up in
 * Docker's layout (a manifest tagged with the role name). Layers are fetched by digest with their
 * length and sha256 checked, and never over the caller's byte limit.
 *
 * Writing: `pushFiles` uploads the new files, keeps the unchanged layers by descriptor, PUTs one
 * manifest to the tag (the atomic commit) and reads the tag back. Registries have no
 * compare-and-swap: a tag that moved under us before the push, or does not point at our manifest
 * after it, is a lost update (PublishError CONFLICT), which the publishing retry loop answers by
 * refetching and re-applying.
 */

import { LocalError, PublishError, VerificationError } from '../../errors.js';
import { tuf1MetadataFileName } from '../../metadata/tuf1.js';
import type { MetadataStore } from '../store.js';
import type { OciCache } from './cache.js';
import type { ConditionalManifest, OciRegistryClient } from './distribution.js';
import {
  buildMetadataManifest,
  type Descriptor,
  dockerRoleTag,
  isMetadataFileName,
  MAX_METADATA_MANIFEST_BYTES,
  type MetadataFile,
  type MetadataManifest,
  OCI_MANIFEST_MEDIA_TYPE,
  parseMetadataManifest,
  roleOfFileName,
  sha256Digest,
} from './layout.js';
import { formatLocation, type MetadataLocation } from './location.js';

/** Where manifests and blobs are read from: a registry, or an offline bundle (bundle.ts). */
export interface OciSource {
  getManifest(tag: string, options: { ifNoneMatch?: string; maxBytes: number }): Promise<ConditionalManifest>;
  /** The blob's bytes, length and sha256 checked, never over `maxBytes`. */
  getBlob(digest: string, size: number, maxBytes: number): Promise<Uint8Array>;
}

/** The registry as a source: manifests of `repository` by tag, blobs by digest. */
export function registrySource(client: OciRegistryClient, repository: string): OciSource {
  return {
    getManifest: (tag, options) => client.getManifest(repository, tag, options),
    getBlob: (digest, size, maxBytes) => client.getBlob(repository, digest, size, maxBytes),
  };
}

/** Options of OciMetadataStore. */
export interface OciStoreOptions {
  /** The registry (reads and writes). */
  client?: OciRegistryClient;
  /** A read-only source (e.g. an offline bundle) used instead of `client` for reads. */
  source?: OciSource;
  location: MetadataLocation;
  /** Description for messages (default `oci://HOST/REPO:TAG`). */
  description?: string;
  /** Local copy of the last manifest and its blobs (makes the warm path one conditional request). */
  cache?: OciCache;
  /** Follow Docker's per-role manifests for delegated roles missing from the main manifest (default true). */
  dockerRoleManifests?: boolean;
  /**
   * Read from `cache` only, never the network (`verify --offline`): manifests as last fetched, blobs
   * re-hashed; what the copy lacks reads as absent (a manifest) or NO_TRUST_DATA (a blob).
   */
  offline?: boolean;
  /**
   * Keep fetched manifests out of `cache` until `commitCache()` (after they verified): a manifest a
   * hostile registry served once (rolled back, mixed) never replaces the copy `--offline` reads.
   */
  deferManifestCache?: boolean;
}

/** Options of OciMetadataStore.pushFiles. */
export interface PushOptions {
  /**
   * Digest the tag must still point at before the push (the state the new files were built on);
   * null: the tag must not exist yet. Undefined: no check before the push (the read-back still runs).
   */
  base?: string | null;
  /** Replace the whole state with `files` (default: keep the current layers the files do not supersede). */
  replaceAll?: boolean;
}

/** What OciMetadataStore.pushFiles pushed. */
export interface PushResult {
  /** Digest of the manifest the tag now points at. */
  digest: string;
  /** Blobs uploaded (the others were already in the repository). */
  uploaded: number;
}

const versionOfName = (name: string): number | undefined => {
  const m = /^([0-9]+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
};

/** The version in a metadata file's `signed.version`, for naming a role file given without a name. */
function signedVersion(bytes: Uint8Array, role: string): number {
  let v: unknown;
  try {
    v = (JSON.parse(new TextDecoder().decode(bytes)) as { signed?: { version?: unknown } }).signed?.version;
  } catch {
    throw new LocalError('USAGE', `${role}: cannot publish metadata that is not JSON`);
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new LocalError('USAGE', `${role}: cannot publish metadata without a positive signed.version`);
  }
  return v;
}

/** Registry-hosted trust data as a MetadataStore: files by name from one metadata manifest; `pushFiles` commits. */
export class OciMetadataStore implements MetadataStore {
  readonly description: string;
  readonly location: MetadataLocation;
  readonly #client: OciRegistryClient | undefined;
  readonly #source: OciSource;
  readonly #cache: OciCache | undefined;
  readonly #dockerRoles: boolean;
  readonly #staged: Map<string, { digest: string; bytes: Uint8Array }> | undefined;
  #main: Promise<MetadataManifest | null> | undefined;
  readonly #roleManifests = new Map<string, Promise<MetadataManifest | null>>();

  constructor(options: OciStoreOptions) {
    this.#client = options.client;
    this.location = options.location;
    const source = options.offline
      ? this.#offlineSource(options.cache)
      : (options.source ??
        (options.client ? registrySource(options.client, options.location.repository) : undefined));
    if (source === undefined) throw new LocalError('USAGE', 'OciMetadataStore needs a client or a source');
    this.#source = source;
    this.#cache = options.cache;
    this.#dockerRoles = options.dockerRoleManifests ?? true;
    this.#staged = options.deferManifestCache && !options.offline ? new Map() : undefined;
    this.description = options.description ?? formatLocation(options.location);
  }

  #offlineSource(cache: OciCache | undefined): OciSource {
    if (!cache) throw new LocalError('USAGE', 'an offline OciMetadataStore needs a cache');
    return {
      getManifest: async (tag, options) => {
        const c = cache.getManifest(this.#cacheKey(tag));
        if (c === null) return { status: 'not-found' };
        if (options.ifNoneMatch === c.digest) return { status: 'not-modified' };
        return { status: 'ok', manifest: { ...c, mediaType: OCI_MANIFEST_MEDIA_TYPE } };
      },
      getBlob: async (digest, size) => {
        const b = cache.getBlob(digest);
        if (b !== null && b.byteLength === size) return b;
        throw new VerificationError(
          'NO_TRUST_DATA',
          `offline: blob ${digest} is not in the local copy of ${this.description}`,
        );
      },
    };
  }

  #writer(): OciRegistryClient {
    if (!this.#client) throw new LocalError('USAGE', `${this.description} is read-only`);
    return this.#client;
  }

  #cacheKey(tag: string): string {
    return `${this.location.registry}/${this.location.repository}:${tag}`;
  }

  /** Fetches (conditionally, when cached) and parses the manifest under `tag`; null when the tag is absent. */
  async #fetchManifest(tag: string): Promise<MetadataManifest | null> {
    const { repository } = this.location;
    const key = this.#cacheKey(tag);
    const cached = this.#cache?.getManifest(key) ?? null;
    const res = await this.#source.getManifest(tag, {
      maxBytes: MAX_METADATA_MANIFEST_BYTES,
      ...(cached ? { ifNoneMatch: cached.digest } : {}),
    });
    if (res.status === 'not-found') return null;
    const bytes = res.status === 'not-modified' ? cached!.bytes : res.manifest.bytes;
    const name = `${this.location.registry}/${repository}:${tag}`;
    const parsed = parseMetadataManifest(bytes, { name });
    if (res.status === 'ok') {
      if (this.#staged) this.#staged.set(key, { digest: parsed.digest, bytes });
      else this.#cache?.putManifest(key, { digest: parsed.digest, bytes });
    }
    return parsed;
  }

  /** Writes the manifests fetched since the last commit to the cache (with `deferManifestCache`). */
  commitCache(): void {
    if (!this.#staged) return;
    for (const [key, m] of this.#staged) this.#cache?.putManifest(key, m);
    this.#staged.clear();
  }

  /** The current state: the parsed metadata manifest under the location's tag (once per store). */
  manifest(): Promise<MetadataManifest | null> {
    this.#main ??= this.#fetchManifest(this.location.tag);
    return this.#main;
  }

  /** Forgets the manifest fetched so far (the next read asks the registry again). */
  refresh(): void {
    this.#main = undefined;
    this.#roleManifests.clear();
  }

  async #roleManifest(tag: string): Promise<MetadataManifest | null> {
    let p = this.#roleManifests.get(tag);
    if (!p) {
      p = this.#fetchManifest(tag);
      this.#roleManifests.set(tag, p);
    }
    return p;
  }

  /**
   * Docker-layout per-role manifests this store has read so far (tag = role name), e.g. while the
   * TUF client loaded delegated roles missing from the main manifest; for bundles (`trust export`).
   */
  async roleManifestsRead(): Promise<Array<{ tag: string; manifest: MetadataManifest }>> {
    const out: Array<{ tag: string; manifest: MetadataManifest }> = [];
    for (const [tag, p] of this.#roleManifests) {
      const m = await p.catch(() => null);
      if (m !== null) out.push({ tag, manifest: m });
    }
    return out.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** A blob of this location by digest (cached copy first), length and sha256 checked. */
  async getBlob(digest: string, size: number, maxBytes: number): Promise<Uint8Array> {
    const cached = this.#cache?.getBlob(digest) ?? null;
    if (cached !== null && cached.byteLength === size) return cached;
    return this.#source.getBlob(digest, size, maxBytes);
  }

  /** The descriptor of `fileName` in the current state, or in Docker's per-role manifest; null when absent. */
  async descriptorOf(fileName: string): Promise<Descriptor | null> {
    const main = await this.manifest();
    if (main === null) return null;
    const d = main.files.get(fileName);
    if (d) return d;
    const roleTag = this.#dockerRoles ? dockerRoleTag(fileName) : null;
    if (roleTag === null || roleTag === this.location.tag) return null;
    return (await this.#roleManifest(roleTag))?.files.get(fileName) ?? null;
  }

  /**
   * The bytes of a metadata file (`timestamp.json`, `3.root.json`; `.json` may be left off as in the
   * MetadataStore contract). Null when the state has no such file (or the tag does not exist).
   */
  async getMeta(name: string, maxBytes: number): Promise<Uint8Array | null> {
    const fileName = name.endsWith('.json') ? name : `${name}.json`;
    if (!isMetadataFileName(fileName)) {
      throw new LocalError('USAGE', `invalid metadata file name ${JSON.stringify(name.slice(0, 100))}`);
    }
    const d = await this.descriptorOf(fileName);
    if (d === null) return null;
    if (d.size > maxBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `${fileName} on ${this.description} is ${d.size} bytes, over the ${maxBytes}-byte limit`,
        {
          role: roleOfFileName(fileName) ?? fileName,
          expected: `<= ${maxBytes} bytes`,
          actual: `${d.size} bytes`,
        },
      );
    }
    const cached = this.#cache?.getBlob(d.digest) ?? null;
    if (cached !== null && cached.byteLength === d.size) return cached;
    const bytes = await this.#source.getBlob(d.digest, d.size, maxBytes);
    this.#cache?.putBlob(d.digest, bytes);
    return bytes;
  }

  /** Drops cached blobs the current state no longer references. */
  async pruneCache(): Promise<void> {
    const main = await this.manifest();
    if (main === null || !this.#cache?.prune) return;
    this.#cache.prune(new Set([...main.files.values()].map((d) => d.digest)));
  }

  /**
   * Pushes a repository state: uploads the files missing from the repository, PUTs the manifest to
   * the tag and reads the tag back. Without `replaceAll`, layers of the current state stay unless a
   * new file supersedes them (same role; every root version is kept). A file name already present
   * with other bytes, or a version going down, is refused.
   */
  async pushFiles(files: readonly MetadataFile[], options: PushOptions = {}): Promise<PushResult> {
    const client = this.#writer();
    const { repository, tag } = this.location;
    const current = await this.#fetchManifest(tag);
    const currentDigest = current?.digest ?? null;
    if (options.base !== undefined && options.base !== currentDigest) {
      throw new PublishError(
        'CONFLICT',
        `${this.description} moved while publishing (expected ${options.base ?? 'no tag'}, found ${currentDigest ?? 'no tag'})`,
        { expected: options.base ?? 'none', actual: currentDigest ?? 'none' },
      );
    }
    const kept = new Map<string, Descriptor>();
    if (current !== null && !options.replaceAll) {
      const newRoles = new Map<string, number | undefined>();
      for (const f of files) {
        const role = roleOfFileName(f.name);
        if (role !== null) newRoles.set(role, versionOfName(f.name));
      }
      for (const [name, d] of current.files) {
        const role = roleOfFileName(name);
        if (role === null) continue;
        if (role === 'root' || !newRoles.has(role)) {
          kept.set(name, d);
          continue;
        }
        const oldV = versionOfName(name);
        const newV = newRoles.get(role);
        if (oldV !== undefined && newV !== undefined && newV < oldV) {
          throw new PublishError(
            'PUBLISH_REJECTED',
            `${this.description}: ${role} version ${newV} is below the published version ${oldV}`,
            { role, expected: `>= ${oldV}`, actual: String(newV) },
          );
        }
      }
      for (const f of files) {
        const same = current.files.get(f.name);
        if (same && roleOfFileName(f.name) === 'root') {
          if (sha256Digest(f.bytes) !== same.digest) {
            throw new PublishError(
              'PUBLISH_REJECTED',
              `${this.description}: ${f.name} is already published with other bytes (history is never rewritten)`,
              { role: 'root' },
            );
          }
        }
      }
    }
    const built = buildMetadataManifest(files, kept);
    let uploaded = 0;
    for (const [digest, bytes] of built.blobs) {
      if (await client.hasBlob(repository, digest)) continue;
      await client.pushBlob(repository, bytes, digest);
      uploaded++;
    }
    await client.putManifest(repository, tag, built.bytes, OCI_MANIFEST_MEDIA_TYPE);
    const now = await client.headManifest(repository, tag);
    if (now !== built.digest) {
      throw new PublishError(
        'CONFLICT',
        `${this.description}: lost update (the tag points at ${now ?? 'nothing'}, not at the pushed ${built.digest})`,
        { expected: built.digest, actual: now ?? 'none' },
      );
    }
    this.#staged?.delete(this.#cacheKey(tag));
    this.#cache?.putManifest(this.#cacheKey(tag), { digest: built.digest, bytes: built.bytes });
    for (const f of files) this.#cache?.putBlob(sha256Digest(f.bytes), f.bytes);
    this.#main = Promise.resolve(parseMetadataManifest(built.bytes));
    return { digest: built.digest, uploaded };
  }

  /**
   * MetadataStore.publish: role files (role name → bytes) named by their `signed.version`
   * (`timestamp.json` unversioned), merged into the current state.
   */
  async publish(files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): Promise<void> {
    const named = files.map((f) => ({
      name: f.role.endsWith('.json')
        ? f.role
        : tuf1MetadataFileName(f.role, f.role === 'timestamp' ? undefined : signedVersion(f.bytes, f.role)),
      bytes: f.bytes,
    }));
    await this.pushFiles(named);
  }

  async getServerKey(): Promise<unknown | null> {
    return null;
  }

  async rotateServerKey(): Promise<unknown> {
    throw new LocalError(
      'USAGE',
      `${this.description} has no server-held keys: the publisher holds the snapshot and timestamp keys`,
    );
  }

  /** Deletes the metadata manifest (every tag pointing at it). */
  async deleteRepository(): Promise<void> {
    const client = this.#writer();
    const digest = await client.headManifest(this.location.repository, this.location.tag);
    if (digest !== null) await client.deleteManifest(this.location.repository, digest);
    this.refresh();
  }
}
