/**
 * Building and signing metadata the way Notary's Go structs serialise it, so
 * that notary-server's re-serialisation of what we upload is byte-identical
 * (it hashes its own bytes for snapshot/timestamp): every struct field is
 * present (`delegations` always, `{"keys":{},"roles":[]}` when empty), `paths`
 * and `custom` omitted when empty/absent, keys with `"private":null`.
 */

import { sha256, sha512 } from '../crypto/backend.js';
import { keyToJson } from '../crypto/keys.js';
import type { Signer, TufPublicKey } from '../crypto/types.js';
import { LocalError } from '../errors.js';
import { formatGoTime, parseGoTime } from './gotime.js';
import {
  DEFAULT_EXPIRY_MS,
  type DelegationRoleJson,
  type FileMetaJson,
  type KeyJson,
  Metadata,
  type RootBody,
  type Signature,
  type SignedBody,
  type SnapshotBody,
  type TargetsBody,
  type TimestampBody,
  type TopLevelRole,
} from './model.js';
import { keysOfBody } from './parse.js';

const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** `{length, hashes:{sha256, sha512}}` of a file, as Notary lists metadata in snapshot/timestamp. */
export function fileMetaOf(bytes: Uint8Array): FileMetaJson {
  return { hashes: { sha256: b64(sha256(bytes)), sha512: b64(sha512(bytes)) }, length: bytes.length };
}

/** Target meta for a manifest: `sha256:<hex>` digest and size (custom data kept as given). */
export function targetMeta(digest: string, size: number, custom?: unknown): FileMetaJson {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new LocalError('USAGE', `digest must be sha256:<64 hex>, got ${JSON.stringify(digest)}`);
  if (!Number.isSafeInteger(size) || size < 0)
    throw new LocalError('USAGE', `size must be a non-negative integer`);
  const meta: FileMetaJson = {
    hashes: { sha256: Buffer.from(m[1]!, 'hex').toString('base64') },
    length: size,
  };
  if (custom !== undefined && custom !== null) meta.custom = custom;
  return meta;
}

export function keyJson(key: TufPublicKey): KeyJson {
  return keyToJson(key) as KeyJson;
}

/** Expiry text `durationMs` from now, Go RFC3339Nano in UTC. */
export function expiresIn(durationMs: number, nowMs = Date.now()): string {
  return formatGoTime(nowMs + durationMs);
}

export function defaultExpires(role: string, nowMs = Date.now()): string {
  const kind: TopLevelRole | 'delegation' = role.startsWith('targets/')
    ? 'delegation'
    : (role as TopLevelRole);
  return expiresIn(DEFAULT_EXPIRY_MS[kind], nowMs);
}

export interface RootRoles {
  root: readonly TufPublicKey[];
  targets: readonly TufPublicKey[];
  snapshot: readonly TufPublicKey[];
  timestamp: readonly TufPublicKey[];
}

export function rootBody(
  roles: RootRoles,
  version: number,
  expires: string,
  thresholds: Partial<Record<TopLevelRole, number>> = {},
): RootBody {
  const keys: Record<string, KeyJson> = {};
  const roleJson: RootBody['roles'] = {};
  for (const name of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    for (const k of roles[name]) keys[k.id] = keyJson(k);
    roleJson[name] = { keyids: roles[name].map((k) => k.id), threshold: thresholds[name] ?? 1 };
  }
  return { _type: 'Root', consistent_snapshot: false, expires, keys, roles: roleJson, version };
}

export function targetsBody(
  targets: Record<string, FileMetaJson>,
  version: number,
  expires: string,
  delegations: { keys: Record<string, KeyJson>; roles: DelegationRoleJson[] } = { keys: {}, roles: [] },
): TargetsBody {
  return { _type: 'Targets', delegations, expires, targets, version };
}

export function snapshotBody(
  meta: Record<string, FileMetaJson>,
  version: number,
  expires: string,
): SnapshotBody {
  return { _type: 'Snapshot', expires, meta, version };
}

export function timestampBody(snapshotBytes: Uint8Array, version: number, expires: string): TimestampBody {
  return { _type: 'Timestamp', expires, meta: { snapshot: fileMetaOf(snapshotBytes) }, version };
}

/** A delegation role entry as Go writes it (`paths` omitted when empty). */
export function delegationRole(
  name: string,
  keyids: readonly string[],
  paths: readonly string[],
  threshold = 1,
): DelegationRoleJson {
  const r: DelegationRoleJson = { keyids: [...keyids], name, threshold };
  if (paths.length > 0) r.paths = [...paths];
  return r;
}

/**
 * Signs a body with each signer (in order) and returns the metadata, whose
 * `wireBytes()` are what notary-server will store and re-hash.
 */
export function signMetadata<T extends SignedBody>(
  role: string,
  body: T,
  signers: readonly Signer[],
): Metadata<T> {
  const unsigned = new Metadata(role, body, []);
  const message = unsigned.canonicalBytes();
  const signatures: Signature[] = signers.map((s) => ({
    keyid: s.publicKey.id,
    method: s.method,
    sig: b64(s.sign(message)),
  }));
  const expiresMs = parseGoTime(body.expires)?.ms ?? Number.NaN;
  return unsigned.withSignatures(signatures, keysOfBody(role, body), expiresMs);
}
