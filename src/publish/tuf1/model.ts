/**
 * JSON shapes of TUF 1.0 metadata as the writer produces them (spec v1.0.x,
 * section 4). Documents are kept as plain JSON objects so that fields this
 * writer does not know survive a load -> modify -> sign cycle (and stay
 * covered by the new signatures), as python-tuf's `unrecognized_fields` do.
 */
import type { Tuf1KeyJson } from './keys.js';

/** What python-tuf 5.1 writes (tuf/api/_payload.py SPECIFICATION_VERSION). */
export const SPEC_VERSION = '1.0.31';

export const TOP_LEVEL = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TopLevelRoleName = (typeof TOP_LEVEL)[number];

export interface RoleJson {
  keyids: string[];
  threshold: number;
  [unknown: string]: unknown;
}

interface CommonSigned {
  spec_version: string;
  version: number;
  expires: string;
  [unknown: string]: unknown;
}

export interface RootSigned extends CommonSigned {
  _type: 'root';
  consistent_snapshot: boolean;
  keys: Record<string, Tuf1KeyJson>;
  roles: Record<TopLevelRoleName, RoleJson>;
}

export interface TargetFileJson {
  length: number;
  hashes: Record<string, string>;
  custom?: unknown;
  [unknown: string]: unknown;
}

export interface DelegatedRoleJson extends RoleJson {
  name: string;
  terminating: boolean;
  paths?: string[];
  path_hash_prefixes?: string[];
}

export interface DelegationsJson {
  keys: Record<string, Tuf1KeyJson>;
  roles: DelegatedRoleJson[];
  [unknown: string]: unknown;
}

export interface TargetsSigned extends CommonSigned {
  _type: 'targets';
  targets: Record<string, TargetFileJson>;
  delegations?: DelegationsJson;
}

export interface MetaFileJson {
  version: number;
  length?: number;
  hashes?: Record<string, string>;
  [unknown: string]: unknown;
}

export interface SnapshotSigned extends CommonSigned {
  _type: 'snapshot';
  meta: Record<string, MetaFileJson>;
}

export interface TimestampSigned extends CommonSigned {
  _type: 'timestamp';
  meta: Record<string, MetaFileJson>;
}

export type AnySigned = RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned;

export interface SignatureJson {
  keyid: string;
  sig: string;
  [unknown: string]: unknown;
}

/** One signed document: its parsed `signed` part and the exact bytes of the file. */
export interface SignedDoc<T extends AnySigned = AnySigned> {
  readonly signed: T;
  readonly signatures: readonly SignatureJson[];
  readonly bytes: Uint8Array;
}

/** Spec-style UTC timestamp without fractional seconds: `2030-01-01T00:00:00Z`. */
export function formatExpires(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Milliseconds of an `expires` string (NaN when unreadable). */
export function parseExpires(s: string): number {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/.test(s) ? Date.parse(s) : Number.NaN;
}

/** Name of a role's metadata file: `N.<role, percent-encoded>.json` (spec 5.5/5.6, python-tuf's `quote(role, "")`). */
export function metadataFileName(role: string, version?: number): string {
  const name = `${quoteRole(role)}.json`;
  return version === undefined ? name : `${version}.${name}`;
}

/**
 * Python's `urllib.parse.quote(s, safe="")`: every byte of the UTF-8 encoding
 * except `A-Z a-z 0-9 _ . - ~` becomes `%XX` (upper-case hex).
 */
export function quoteRole(role: string): string {
  let out = '';
  for (const b of Buffer.from(role, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
