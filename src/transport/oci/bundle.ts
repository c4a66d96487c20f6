/**
 * Offline bundles: registry-hosted trust data as an OCI image layout tarball (`oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`), for air-gapped clusters and promotion between registries.
 *
 * `index.json` lists one metadata manifest per repository, annotated with the repository's GUN
 * (`io.content-trust.gun`) and the tag it was read from (`org.opencontainers.image.ref.name`);
 * Docker-style per-role manifests of the same GUN carry the role tag as ref name. A bundle serves
 * the same files as the registry through the same store (OciMetadataStore over `bundleSource`), so
 * the TUF client checks everything exactly as online; nothing in a bundle is trusted by itself.
 */

import { FormatError, LocalError, VerificationError } from '../../errors.js';
import type { ConditionalManifest } from './distribution.js';
import {
  MAX_METADATA_MANIFEST_BYTES,
  type MetadataManifest,
  OCI_EMPTY_BYTES,
  OCI_EMPTY_DIGEST,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  sha256Digest,
} from './layout.js';
import type { MetadataLocation } from './location.js';
import { OciMetadataStore, type OciSource } from './registry-store.js';
import { MAX_BUNDLE_BYTES, readTar, type TarLimits, tarEntryBytes, writeTar } from './tar.js';

export const GUN_ANNOTATION = 'io.content-trust.gun';
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' };
const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A metadata manifest to put in a bundle: the GUN it is about, the tag it came from, its bytes. */
export interface BundleManifest {
  /** GUN of the repository the trust data is about (`localhost:5000/library/app`). */
  gun: string;
  /** Tag the manifest was read from (`tuf-metadata`, or a role name in Docker's layout). */
  tag: string;
  /** Exact manifest bytes. */
  bytes: Uint8Array;
}

/** Writes a bundle: the manifests and every blob given (digest → bytes; each is checked). */
export function writeBundle(
  manifests: readonly BundleManifest[],
  blobs: ReadonlyMap<string, Uint8Array>,
): Uint8Array {
  const entries = new Map<string, Uint8Array>();
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: manifests.map((m) => {
      const digest = sha256Digest(m.bytes);
      entries.set(`blobs/sha256/${digest.slice(7)}`, m.bytes);
      return {
        mediaType: OCI_MANIFEST_MEDIA_TYPE,
        digest,
        size: m.bytes.byteLength,
        annotations: { [REF_NAME_ANNOTATION]: m.tag, [GUN_ANNOTATION]: m.gun },
      };
    }),
  };
  for (const [digest, bytes] of blobs) {
    if (!SHA256_DIGEST.test(digest) || sha256Digest(bytes) !== digest) {
      throw new LocalError('USAGE', `writeBundle: blob bytes do not hash to ${digest}`);
    }
    entries.set(`blobs/sha256/${digest.slice(7)}`, bytes);
  }
  const enc = new TextEncoder();
  entries.set('oci-layout', enc.encode(JSON.stringify(OCI_LAYOUT)));
  entries.set('index.json', enc.encode(JSON.stringify(index)));
  return writeTar([...entries].map(([name, bytes]) => ({ name, bytes })));
}

function bad(message: string): FormatError {
  return new FormatError('BAD_METADATA', `bundle: ${message}`);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad(`${what} is not valid JSON`);
  }
}

/** One trust-data manifest listed in a bundle's index.json. */
export interface IndexEntry {
  gun: string;
  tag: string;
  digest: string;
  size: number;
}

/** A parsed bundle: its index entries and its blobs by digest. */
export class OciBundle {
  readonly entries: readonly IndexEntry[];
  readonly #blobs: ReadonlyMap<string, Uint8Array>;

  private constructor(entries: IndexEntry[], blobs: Map<string, Uint8Array>) {
    this.entries = entries;
    this.#blobs = blobs;
  }

  /** Parses a bundle tarball (strict tar, see tar.ts); refuses a layout it does not understand. */
  static parse(archive: Uint8Array, limits: TarLimits = {}): OciBundle {
    const files = readTar(archive, limits);
    const blobs = new Map<string, Uint8Array>();
    let layout: Uint8Array | undefined;
    let indexBytes: Uint8Array | undefined;
    for (const f of files) {
      if (f.name === 'oci-layout') layout = f.bytes;
      else if (f.name === 'index.json') indexBytes = f.bytes;
      else {
        const m = BLOB_PATH.exec(f.name);
        if (m) blobs.set(`sha256:${m[1]}`, f.bytes);
        // other files (e.g. docker-save's manifest.json) are never read
      }
    }
    if (!layout) throw bad('no oci-layout file (not an OCI image layout)');
    const l = parseJson(layout, 'oci-layout') as { imageLayoutVersion?: unknown } | null;
    if (typeof l?.imageLayoutVersion !== 'string' || !/^1\.[0-9]+\.[0-9]+$/.test(l.imageLayoutVersion)) {
      throw bad('unsupported imageLayoutVersion');
    }
    if (!indexBytes) throw bad('no index.json');
    const index = parseJson(indexBytes, 'index.json') as {
      schemaVersion?: unknown;
      manifests?: unknown;
    } | null;
    if (index?.schemaVersion !== 2 || !Array.isArray(index.manifests))
      throw bad('index.json is not an OCI image index');
    const entries: IndexEntry[] = [];
    const seen = new Set<string>();
    for (const [i, raw] of index.manifests.entries()) {
      const d = raw as {
        mediaType?: unknown;
        digest?: unknown;
        size?: unknown;
        annotations?: Record<string, unknown>;
      };
      const gun = d?.annotations?.[GUN_ANNOTATION];
      const tag = d?.annotations?.[REF_NAME_ANNOTATION];
      if (typeof gun !== 'string' || typeof tag !== 'string') continue; // not trust data
      if (d.mediaType !== OCI_MANIFEST_MEDIA_TYPE)
        throw bad(`index.json manifests[${i}] is not an OCI image manifest`);
      if (typeof d.digest !== 'string' || !SHA256_DIGEST.test(d.digest))
        throw bad(`index.json manifests[${i}] has an invalid digest`);
      if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
        throw bad(`index.json manifests[${i}] has an invalid size`);
      }
      const key = `${gun}\n${tag}`;
      if (seen.has(key)) throw bad(`two manifests for ${gun}:${tag}`);
      seen.add(key);
      entries.push({ gun, tag, digest: d.digest, size: d.size });
    }
    return new OciBundle(entries, blobs);
  }

  /** GUNs the bundle has trust data for. */
  guns(): string[] {
    return [...new Set(this.entries.filter((e) => e.tag !== '').map((e) => e.gun))];
  }

  /** The blob's bytes with length and digest checked. */
  blob(digest: string, size: number, maxBytes: number): Uint8Array {
    if (size > maxBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `bundle blob ${digest} is ${size} bytes, over the ${maxBytes}-byte limit`,
      );
    }
    const bytes = this.#blobs.get(digest);
    if (bytes === undefined) throw bad(`blob ${digest} is missing`);
    if (bytes.byteLength !== size) {
      throw new VerificationError(
        'LENGTH_MISMATCH',
        `bundle blob ${digest}: expected ${size} bytes, got ${bytes.byteLength}`,
      );
    }
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new VerificationError('HASH_MISMATCH', `bundle blob ${digest} hashes to ${actual}`, {
        expected: digest,
        actual,
      });
    }
    return bytes;
  }

  /** The bundle as a read-only source for `gun`: manifests by the tag they were exported from. */
  source(gun: string): OciSource {
    return {
      getManifest: async (tag, options): Promise<ConditionalManifest> => {
        const e = this.entries.find((x) => x.gun === gun && x.tag === tag);
        if (!e) return { status: 'not-found' };
        const bytes = this.blob(e.digest, e.size, Math.min(options.maxBytes, MAX_METADATA_MANIFEST_BYTES));
        return { status: 'ok', manifest: { bytes, digest: e.digest, mediaType: OCI_MANIFEST_MEDIA_TYPE } };
      },
      getBlob: async (digest, size, maxBytes) => this.blob(digest, size, maxBytes),
    };
  }

  /**
   * A store serving `gun`'s trust data from the bundle. `tag` is the tag of its main manifest
   * (default: the bundle's entry for the GUN whose tag is not a role of Docker's layout, i.e. the
   * first one listed).
   */
  store(gun: string, tag?: string): OciMetadataStore {
    const mine = this.entries.filter((e) => e.gun === gun);
    if (mine.length === 0) {
      throw new VerificationError('NO_TRUST_DATA', `the bundle has no trust data for ${gun}`);
    }
    const main = tag ?? mine[0]!.tag;
    const slash = gun.indexOf('/');
    const location: MetadataLocation = {
      registry: gun.slice(0, slash),
      repository: gun.slice(slash + 1),
      tag: main,
    };
    return new OciMetadataStore({
      source: this.source(gun),
      location,
      description: `bundle (${gun}:${main})`,
    });
  }
}

/**
 * Collects what a bundle needs from a store: the main manifest with every layer (and the config),
 * and Docker-layout per-role manifests the store has read (`roleManifests`, tagged with the role
 * name, with their layers and config), every blob fetched and checked. Pass `manifests` and `blobs`
 * to writeBundle, main manifest first (OciBundle.store takes the GUN's first entry as the main one).
 * A state whose bundle entries would exceed `maxBytes` (default: what `readTar` accepts) is refused,
 * TOO_LARGE, before any blob is fetched.
 */
export async function collectForBundle(
  store: OciMetadataStore,
  gun: string,
  fetchBlob: (digest: string, size: number) => Promise<Uint8Array>,
  maxBytes: number = MAX_BUNDLE_BYTES,
): Promise<{
  manifest: BundleManifest;
  roleManifests: BundleManifest[];
  blobs: Map<string, Uint8Array>;
  parsed: MetadataManifest;
  /** Bytes the repository's entries take in the bundle (for a budget over several repositories). */
  bytes: number;
}> {
  const parsed = await store.manifest();
  if (parsed === null) {
    throw new VerificationError('NO_TRUST_DATA', `no trust data at ${store.description}`);
  }
  const roleRead = (await store.roleManifestsRead()).filter(({ tag }) => tag !== store.location.tag);
  // The whole bundle's size from the descriptors, before any blob is fetched: a hostile manifest may
  // list up to 10 000 layers of up to the per-file cap that the client never reads.
  const planned = new Map<string, number>();
  let total = 0;
  for (const m of [parsed, ...roleRead.map((r) => r.manifest)]) {
    total += tarEntryBytes(m.bytes.byteLength);
    for (const d of [m.config, ...m.files.values()]) planned.set(d.digest, d.size);
  }
  for (const size of planned.values()) total += tarEntryBytes(size);
  if (total > maxBytes) {
    throw new VerificationError(
      'TOO_LARGE',
      `the trust data of ${gun} at ${store.description} would make a bundle of ${total} bytes, over the ${maxBytes}-byte limit`,
      { expected: `<= ${maxBytes} bytes`, actual: `${total} bytes` },
    );
  }
  const blobs = new Map<string, Uint8Array>();
  const add = async (m: MetadataManifest) => {
    for (const d of [m.config, ...m.files.values()]) {
      if (blobs.has(d.digest)) continue;
      // the empty config is known (Docker's per-role manifests carry it inline, not as a blob)
      const known = d.digest === OCI_EMPTY_DIGEST && d.size === OCI_EMPTY_BYTES.byteLength;
      blobs.set(d.digest, known ? OCI_EMPTY_BYTES : await fetchBlob(d.digest, d.size));
    }
  };
  await add(parsed);
  const roleManifests: BundleManifest[] = [];
  for (const { tag, manifest } of roleRead) {
    await add(manifest);
    roleManifests.push({ gun, tag, bytes: manifest.bytes });
  }
  return {
    manifest: { gun, tag: store.location.tag, bytes: parsed.bytes },
    roleManifests,
    blobs,
    parsed,
    bytes: total,
  };
}
