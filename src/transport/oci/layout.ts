/**
 * TUF metadata in an OCI image manifest: Docker's TUF-on-OCI layout (docker/attest `tuf/registry.go`,
 * `mirror/`; docker/go-tuf-mirror), specified in docs/registry-layout.md.
 *
 * One OCI image manifest holds a whole repository state: every layer is one metadata file, stored
 * uncompressed with media type `application/vnd.tuf.metadata+json`, its file name in the
 * `tuf.io/filename` annotation (`N.root.json`, `timestamp.json`, `N.snapshot.json`, `N.targets.json`,
 * `N.<role>.json`). This module is pure: it builds and parses such manifests and never decides trust.
 * The parser treats the manifest as hostile: media types, digests, sizes, file names and their
 * uniqueness are checked before any layer is fetched.
 */

import { createHash } from 'node:crypto';
import { FormatError, VerificationError } from '../../errors.js';

// File names (`N.<role, percent-encoded>.json`) come from metadata/tuf1.ts `tuf1MetadataFileName`: one encoder.

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
/** Media type of every metadata layer (docker/attest `tufMetadataMediaType`). */
export const TUF_METADATA_MEDIA_TYPE = 'application/vnd.tuf.metadata+json';
/** Layer annotation carrying the metadata file name (docker/attest `TUFFileNameAnnotation`). */
export const TUF_FILENAME_ANNOTATION = 'tuf.io/filename';
/** The OCI 1.1 empty descriptor, used as the (unused) config of a metadata manifest. */
export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_BYTES: Uint8Array = new TextEncoder().encode('{}');
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
/** Default tag of the metadata manifest in the image's own repository. */
export const DEFAULT_METADATA_TAG = 'tuf-metadata';

/** Largest metadata manifest accepted (distribution's own limit is 4 MiB). */
export const MAX_METADATA_MANIFEST_BYTES = 4 << 20;
/** Most layers (metadata files) in one manifest. */
export const MAX_METADATA_LAYERS = 10_000;

/** A content descriptor (OCI image spec). */
export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A parsed metadata manifest: digest, bytes, config descriptor and the files by name. */
export interface MetadataManifest {
  /** `sha256:<hex>` of the manifest bytes. */
  digest: string;
  /** The exact manifest bytes. */
  bytes: Uint8Array;
  /** The config descriptor (never fetched by readers). */
  config: Descriptor;
  /** File name (`3.snapshot.json`) → layer descriptor. */
  files: ReadonlyMap<string, Descriptor>;
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** `timestamp.json`, `[N.]<role>.json` with the role percent-encoded (no `/`), N without leading zeros. */
const FILE_NAME = /^(?:(?:[1-9][0-9]{0,15})\.)?([A-Za-z0-9_~%!'()*-][A-Za-z0-9._~%!'()*-]*)\.json$/;

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Whether `name` is a metadata file name this layout may carry (no path separators, no traversal). */
export function isMetadataFileName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || !FILE_NAME.test(name)) return false;
  if (name.includes('..')) return false;
  // `01.root.json` is neither a version (leading zero) nor an unambiguous role name.
  if (/^[0-9]+\./.test(FILE_NAME.exec(name)![1]!)) return false;
  const role = roleOfFileName(name);
  return role !== null && role !== '' && !role.startsWith('.');
}

/**
 * The role a file name is about: `3.targets%2Freleases.json` → `targets/releases`,
 * `timestamp.json` → `timestamp`; null when the name is not a metadata file name.
 */
export function roleOfFileName(name: string): string | null {
  const m = FILE_NAME.exec(name);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

function fail(message: string): never {
  throw new FormatError('BAD_METADATA', `metadata manifest: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and checks one descriptor of a manifest. */
function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) fail(`${where} is not an object`);
  const { mediaType, digest, size, annotations } = v;
  if (typeof mediaType !== 'string') fail(`${where}.mediaType is missing`);
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) {
    fail(`${where}.digest must be sha256:<64 lower-case hex>`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(`${where}.size must be a non-negative integer`);
  }
  const out: Descriptor = { mediaType, digest, size };
  if (annotations !== undefined) {
    if (!isObject(annotations)) fail(`${where}.annotations must be an object`);
    const ann: Record<string, string> = {};
    for (const [k, val] of Object.entries(annotations)) {
      if (typeof val !== 'string') fail(`${where}.annotations values must be strings`);
      Object.defineProperty(ann, k, { value: val, enumerable: true, writable: true, configurable: true });
    }
    out.annotations = ann;
  }
  return out;
}

export interface ParseManifestOptions {
  /** Largest layer accepted (default: no extra limit; fetches still cap each file). */
  maxLayerBytes?: number;
  /** What to call the manifest in errors, e.g. `localhost:5000/app:tuf-metadata`. */
  name?: string;
}

/**
 * Parses a metadata manifest. Refuses anything but an OCI image manifest of TUF metadata layers:
 * another manifest media type, a layer of another media type, without or with an invalid file name,
 * two layers with the same file name, more than MAX_METADATA_LAYERS layers, or a layer over
 * `maxLayerBytes`.
 */
export function parseMetadataManifest(
  bytes: Uint8Array,
  options: ParseManifestOptions = {},
): MetadataManifest {
  const what = options.name ? ` ${options.name}` : '';
  if (bytes.byteLength > MAX_METADATA_MANIFEST_BYTES) {
    throw new VerificationError(
      'TOO_LARGE',
      `metadata manifest${what} is ${bytes.byteLength} bytes, over the ${MAX_METADATA_MANIFEST_BYTES}-byte limit`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail(`${what.trim() || 'manifest'} is not valid UTF-8 JSON`);
  }
  if (!isObject(doc)) fail('not a JSON object');
  if (doc.schemaVersion !== 2) fail('schemaVersion must be 2');
  if (doc.mediaType !== OCI_MANIFEST_MEDIA_TYPE) {
    fail(
      `media type ${JSON.stringify(String(doc.mediaType).slice(0, 100))} is not ${OCI_MANIFEST_MEDIA_TYPE}` +
        (doc.mediaType === OCI_INDEX_MEDIA_TYPE || Array.isArray(doc.manifests)
          ? ' (an image index is not a metadata manifest)'
          : ''),
    );
  }
  const config = descriptor(doc.config, 'config');
  if (!Array.isArray(doc.layers)) fail('layers must be an array');
  if (doc.layers.length > MAX_METADATA_LAYERS) {
    throw new VerificationError(
      'TOO_LARGE',
      `metadata manifest${what} has ${doc.layers.length} layers, over the limit of ${MAX_METADATA_LAYERS}`,
    );
  }
  const files = new Map<string, Descriptor>();
  doc.layers.forEach((raw, i) => {
    const d = descriptor(raw, `layers[${i}]`);
    if (d.mediaType !== TUF_METADATA_MEDIA_TYPE) {
      fail(
        `layers[${i}] has media type ${JSON.stringify(d.mediaType.slice(0, 100))}, not ${TUF_METADATA_MEDIA_TYPE}`,
      );
    }
    const name = d.annotations?.[TUF_FILENAME_ANNOTATION];
    if (name === undefined) fail(`layers[${i}] has no ${TUF_FILENAME_ANNOTATION} annotation`);
    if (!isMetadataFileName(name)) {
      fail(`layers[${i}] has an invalid file name ${JSON.stringify(name.slice(0, 100))}`);
    }
    if (files.has(name)) fail(`two layers are named ${JSON.stringify(name)}`);
    if (options.maxLayerBytes !== undefined && d.size > options.maxLayerBytes) {
      throw new VerificationError(
        'TOO_LARGE',
        `metadata manifest${what}: ${name} is ${d.size} bytes, over the ${options.maxLayerBytes}-byte limit`,
      );
    }
    files.set(name, d);
  });
  return { digest: sha256Digest(bytes), bytes, config, files };
}

/** A file of a repository state to store: its name and exact bytes. */
export interface MetadataFile {
  name: string;
  bytes: Uint8Array;
}

/** Layer order: roots by version, snapshot, targets, delegated roles by name, timestamp (as Docker's mirror). */
function layerRank(name: string): [number, number, string] {
  const role = roleOfFileName(name) ?? '';
  const v = /^([0-9]+)\./.exec(name);
  const version = v ? Number(v[1]) : 0;
  if (role === 'root') return [0, version, name];
  if (role === 'snapshot') return [1, version, name];
  if (role === 'targets') return [2, version, name];
  if (role === 'timestamp') return [4, version, name];
  return [3, 0, name];
}

function compareNames(a: string, b: string): number {
  const [ra, va, na] = layerRank(a);
  const [rb, vb, nb] = layerRank(b);
  if (ra !== rb) return ra - rb;
  if (va !== vb) return va - vb;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export interface BuiltManifest {
  /** Exact manifest bytes to PUT. */
  bytes: Uint8Array;
  digest: string;
  /** Blobs to upload (the config and the given files; not the kept layers): digest → bytes. */
  blobs: Map<string, Uint8Array>;
}

/**
 * Builds the manifest for a set of metadata files (deterministic: same files, same bytes). `kept`
 * adds layers already in the registry by descriptor (unchanged files are not uploaded again).
 */
export function buildMetadataManifest(
  files: readonly MetadataFile[],
  kept: ReadonlyMap<string, Descriptor> = new Map(),
): BuiltManifest {
  const layers = new Map<string, Descriptor>();
  const blobs = new Map<string, Uint8Array>([[OCI_EMPTY_DIGEST, OCI_EMPTY_BYTES]]);
  for (const [name, d] of kept) {
    if (!isMetadataFileName(name)) fail(`invalid file name ${JSON.stringify(name.slice(0, 100))}`);
    if (!SHA256_DIGEST.test(d.digest)) fail(`invalid digest for ${name}`);
    layers.set(name, { mediaType: TUF_METADATA_MEDIA_TYPE, digest: d.digest, size: d.size });
  }
  const given = new Set<string>();
  for (const f of files) {
    if (!isMetadataFileName(f.name)) fail(`invalid file name ${JSON.stringify(f.name.slice(0, 100))}`);
    if (given.has(f.name)) fail(`file ${f.name} given twice`);
    given.add(f.name);
    const digest = sha256Digest(f.bytes);
    blobs.set(digest, f.bytes);
    layers.set(f.name, { mediaType: TUF_METADATA_MEDIA_TYPE, digest, size: f.bytes.byteLength });
  }
  if (layers.size > MAX_METADATA_LAYERS) fail(`more than ${MAX_METADATA_LAYERS} files`);
  const ordered = [...layers.keys()].sort(compareNames).map((name) => {
    const d = layers.get(name)!;
    return {
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      annotations: { [TUF_FILENAME_ANNOTATION]: name },
    };
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: TUF_METADATA_MEDIA_TYPE,
    config: { mediaType: OCI_EMPTY_MEDIA_TYPE, digest: OCI_EMPTY_DIGEST, size: OCI_EMPTY_BYTES.byteLength },
    layers: ordered,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  if (bytes.byteLength > MAX_METADATA_MANIFEST_BYTES) {
    throw new VerificationError('TOO_LARGE', `the metadata manifest would be ${bytes.byteLength} bytes`);
  }
  return { bytes, digest: sha256Digest(bytes), blobs };
}

/** Top-level roles: stored in the main manifest only, never looked up under a role tag. */
export const TOP_LEVEL_ROLES: ReadonlySet<string> = new Set(['root', 'timestamp', 'snapshot', 'targets']);

/**
 * Docker's layout for a delegated role: a separate manifest tagged with the role name. Only role
 * names that are valid tags qualify (`targets/releases` cannot be a tag); null otherwise.
 */
export function dockerRoleTag(fileName: string): string | null {
  const role = roleOfFileName(fileName);
  if (role === null || TOP_LEVEL_ROLES.has(role)) return null;
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(role) ? role : null;
}
