/**
 * The dialect seam of the trust state machine. One TrustedMetadataSet enforces
 * the workflow (root walk, timestamp, snapshot, targets, delegations, rollback,
 * freeze, mix-and-match, distinct-key thresholds); a dialect supplies only what
 * differs between the wire formats:
 *
 * | piece            | Notary 0.7 (`notary`)                      | TUF 1.0 specification (`tuf-1.0`)           |
 * |------------------|--------------------------------------------|---------------------------------------------|
 * | codec            | docker/go canonical JSON, `Root` `_type`   | securesystemslib canonical JSON, `root`     |
 * | keys, signatures | `{keytype, keyval}`, base64, method per sig | `{keytype, scheme, keyval}`, hex, key scheme |
 * | root keys        | x509 certificates for the GUN, pinning     | plain keys                                  |
 * | meta names       | `targets`, `targets/releases`              | `targets.json`, `<role>.json`               |
 * | file meta        | length + base64 hashes required            | version; length and hex hashes optional     |
 * | delegations      | by name (`targets/a/b`), path prefixes     | explicit delegator, globs, hash prefixes,   |
 * |                  |                                            | succinct hash bins, `terminating`           |
 * | snapshot roles   | a delegated role may vanish with its       | never vanish (spec 5.5.5)                   |
 * |                  | delegation                                 |                                             |
 * | equal timestamp  | the new copy replaces the trusted one      | the trusted one is kept (spec 5.4.3.2)      |
 */

import { parseTargetsIndexed, parseTuf1TargetsIndexed } from '../metadata/indexed.js';
import type {
  FileMetaJson,
  Metadata,
  RootMetadata,
  SnapshotMetadata,
  TargetsMetadata,
  TimestampMetadata,
} from '../metadata/model.js';
import {
  type ParseLimits,
  parseRoot,
  parseSnapshot,
  parseTargets,
  parseTimestamp,
} from '../metadata/parse.js';
import { parentRole } from '../metadata/roles.js';
import { delegationFor, parseTuf1, type Tuf1Metadata, type Tuf1TargetsBody } from '../metadata/tuf1.js';
import { checkFileMeta, checkTuf1FileMeta, type DigestMemo } from './filemeta.js';
import { type RootKeyFilter, type RootKeyPolicy, rootKeySet } from './root-keys.js';
import type { RoleKeySet } from './signatures.js';

export type DialectName = 'notary' | 'tuf-1.0';

/** What a parent lists for a delegated role. */
export interface DelegationEntry {
  readonly keyids: readonly string[];
  readonly threshold: number;
  /** Notary path prefixes (restricted against the parent's by the set). */
  readonly paths?: readonly string[];
}

export interface TrustDialect {
  readonly name: DialectName;
  parseRoot(bytes: Uint8Array, limits?: ParseLimits): RootMetadata;
  parseTimestamp(bytes: Uint8Array, limits?: ParseLimits): TimestampMetadata;
  parseSnapshot(bytes: Uint8Array, limits?: ParseLimits): SnapshotMetadata;
  parseTargets(bytes: Uint8Array, role: string, limits?: ParseLimits): TargetsMetadata;
  /**
   * For bytes the verified index vouches for: the document with its targets map parsed lazily, or
   * null when that cannot be done soundly (then `parseTargets`). Absent: no lazy form.
   */
  parseTargetsIndexed?(bytes: Uint8Array, role: string, limits?: ParseLimits): TargetsMetadata | null;
  /** The key under which timestamp/snapshot `meta` lists a role. */
  metaName(role: string): string;
  /**
   * Length and hashes of `bytes` against the parent's entry (LENGTH_MISMATCH / HASH_MISMATCH),
   * digests remembered by exact bytes in `digests` when given.
   */
  checkFileMeta(
    bytes: Uint8Array,
    meta: FileMetaJson,
    role: string,
    parent: string,
    digests?: DigestMemo,
  ): void;
  /** The root role's usable keys. */
  rootKeySet(root: RootMetadata, policy: RootKeyPolicy, nowMs: number, filter: RootKeyFilter): RoleKeySet;
  /** The parent of a delegated role when the name says it (Notary), else undefined (given by the caller). */
  parentOf(role: string): string | undefined;
  /** What `parent` lists for `role`, or undefined when it does not delegate to it. */
  delegation(parent: TargetsMetadata, role: string): DelegationEntry | undefined;
  /** Names of the roles `md` delegates to (explicitly listed ones). */
  delegatedRoles(md: TargetsMetadata): readonly string[];
  /** Whether a delegated role listed by the trusted snapshot may vanish with its delegation. */
  readonly vanishWithDelegation: boolean;
  /** Notary: a nested delegation keeps only the paths one of its parent's paths is a prefix of. */
  readonly restrictPathsByPrefix: boolean;
  /** Whether a timestamp of the trusted version (other bytes) replaces it, or the trusted one is kept. */
  readonly equalTimestamp: 'replace' | 'keep';
}

export const NOTARY_DIALECT: TrustDialect = Object.freeze({
  name: 'notary',
  parseRoot: (b: Uint8Array, l?: ParseLimits) => parseRoot(b, l),
  parseTimestamp: (b: Uint8Array, l?: ParseLimits) => parseTimestamp(b, l),
  parseSnapshot: (b: Uint8Array, l?: ParseLimits) => parseSnapshot(b, l),
  parseTargets: (b: Uint8Array, role: string, l?: ParseLimits) => parseTargets(b, role, l),
  parseTargetsIndexed: (b: Uint8Array, role: string, l?: ParseLimits) => parseTargetsIndexed(b, role, l),
  metaName: (role: string) => role,
  checkFileMeta,
  rootKeySet,
  parentOf: (role: string) => parentRole(role),
  delegation: (parent: TargetsMetadata, role: string) =>
    parent.signed.delegations.roles.find((r) => r.name === role),
  delegatedRoles: (md: TargetsMetadata) => md.signed.delegations.roles.map((r) => r.name),
  vanishWithDelegation: true,
  restrictPathsByPrefix: true,
  equalTimestamp: 'replace',
} as const);

function tuf1(md: Metadata): Tuf1Metadata {
  return md as unknown as Tuf1Metadata;
}

export const TUF1_DIALECT: TrustDialect = Object.freeze({
  name: 'tuf-1.0',
  parseRoot: (b: Uint8Array, l?: ParseLimits) => parseTuf1(b, 'root', 'root', l) as unknown as RootMetadata,
  parseTimestamp: (b: Uint8Array, l?: ParseLimits) =>
    parseTuf1(b, 'timestamp', 'timestamp', l) as unknown as TimestampMetadata,
  parseSnapshot: (b: Uint8Array, l?: ParseLimits) =>
    parseTuf1(b, 'snapshot', 'snapshot', l) as unknown as SnapshotMetadata,
  parseTargets: (b: Uint8Array, role: string, l?: ParseLimits) =>
    parseTuf1(b, 'targets', role, l) as unknown as TargetsMetadata,
  parseTargetsIndexed: (b: Uint8Array, role: string, l?: ParseLimits) => parseTuf1TargetsIndexed(b, role, l),
  metaName: (role: string) => `${role}.json`,
  checkFileMeta: (
    bytes: Uint8Array,
    meta: FileMetaJson,
    role: string,
    parent: string,
    digests?: DigestMemo,
  ) =>
    checkTuf1FileMeta(
      bytes,
      meta as { length?: number; hashes?: Record<string, string> },
      role,
      parent,
      digests,
    ),
  rootKeySet: (root: RootMetadata) => {
    const r = root.signed.roles.root!;
    return { role: 'root', keyids: r.keyids, threshold: r.threshold, keys: root.keys };
  },
  parentOf: () => undefined,
  delegation: (parent: TargetsMetadata, role: string) =>
    delegationFor((tuf1(parent).body as Tuf1TargetsBody).delegations, role),
  delegatedRoles: (md: TargetsMetadata) =>
    ((tuf1(md).body as Tuf1TargetsBody).delegations?.roles ?? []).map((r) => r.name),
  vanishWithDelegation: false,
  restrictPathsByPrefix: false,
  equalTimestamp: 'keep',
} as const);
