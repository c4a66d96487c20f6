/**
 * The TUF 1.0 specification dialect of the metadata model (what python-tuf,
 * go-tuf and tuf-js read and write). Parsing is strict and follows python-tuf
 * 5.1's `tuf.api.metadata` validation rule for rule; where python-tuf is
 * lenient in a way that lets two readers disagree, we refuse (see olpc.ts).
 *
 * - `_type` is lowercase (`root`, `timestamp`, `snapshot`, `targets`);
 * - `spec_version` is `1.x` or `1.x.y` (digits); another major is refused;
 * - `version` >= 1; `expires` is `YYYY-MM-DDTHH:MM:SSZ`;
 * - signatures are `{keyid, sig}` with hex `sig`, key ids unique;
 * - meta entries have `version`, optional `length` and `hashes` (hex);
 * - unknown fields anywhere are kept: the signed body is held as parsed and
 *   its canonical form (securesystemslib's) is what signatures cover.
 *
 * Delegations: `roles` (each with exactly one of `paths`, the spec's glob rules,
 * or `path_hash_prefixes`, and `terminating`) or TAP 15 `succinct_roles`.
 *
 * One model for both sides: the wire JSON types below (`Tuf1RootSigned`...)
 * are what the repository writer (publish/tuf1/) builds and `encodeTuf1Envelope`
 * serialises, and what `parseTuf1` validates and keeps as `Tuf1Metadata.json`;
 * `tuf1MetadataFileName` is the one rule naming metadata files (client cache,
 * writer, OCI registry layers).
 */

import { createHash } from 'node:crypto';
import { parseTuf1KeyDeferred, type Tuf1Key } from '../crypto/tuf1.js';
import type { TufPublicKey } from '../crypto/types.js';
import { TUF1_METHOD } from '../crypto/verify.js';
import { inKeyOrder } from '../encoding/canonical.js';
import {
  type JsonObject,
  type JsonValue,
  MAX_JSON_DEPTH,
  olpcCanonicalBytes,
  olpcCanonicalJson,
  parseStrictJson,
  parseStrictJsonDocument,
} from '../encoding/olpc.js';
import { FormatError, TrustError, VerificationError } from '../errors.js';
import { DEFAULT_MAX_KEYS, DEFAULT_MAX_SIGNATURES, Metadata, type SignedBody } from './model.js';
import { capCount, type ParseLimits } from './parse.js';

/** The four top-level TUF 1.0 roles (each also the `_type` of its document). */
export const TUF1_TOP_LEVEL = ['root', 'targets', 'snapshot', 'timestamp'] as const;
/** One of the four top-level TUF 1.0 roles. */
export type Tuf1TopLevelRoleName = (typeof TUF1_TOP_LEVEL)[number];

/** The spec version this client implements (major must match) and the writer writes (python-tuf 5.1's). */
export const TUF1_SPEC_VERSION = '1.0.31';

// ---------------------------------------------------------------------------
// Wire JSON: the documents as JSON objects (unknown fields kept, index signatures)

/** The metadata form of a key: `{"keytype","scheme","keyval":{"public"}}`. */
export interface Tuf1KeyJson {
  keytype: string;
  scheme: string;
  keyval: { public: string; [unknown: string]: unknown };
  [unknown: string]: unknown;
}

/** A role's key ids and threshold (root's `roles` entries; base of delegated roles). */
export interface Tuf1RoleJson {
  keyids: string[];
  threshold: number;
  [unknown: string]: unknown;
}

/** Fields every TUF 1.0 `signed` body has; unknown fields are kept. */
export interface Tuf1CommonSigned {
  spec_version: string;
  version: number;
  expires: string;
  [unknown: string]: unknown;
}

/** The `signed` body of root.json. */
export interface Tuf1RootSigned extends Tuf1CommonSigned {
  _type: 'root';
  consistent_snapshot: boolean;
  keys: Record<string, Tuf1KeyJson>;
  roles: Record<Tuf1TopLevelRoleName, Tuf1RoleJson>;
}

/** One target's file info: length, hashes and optional custom data. */
export interface Tuf1TargetFileJson {
  length: number;
  hashes: Record<string, string>;
  custom?: unknown;
  [unknown: string]: unknown;
}

/** A delegated role: name, keys, threshold, terminating, and paths or path hash prefixes. */
export interface Tuf1DelegatedRoleJson extends Tuf1RoleJson {
  name: string;
  terminating: boolean;
  paths?: string[];
  path_hash_prefixes?: string[];
}

/** TAP 15 succinct hash-bin delegation. */
export interface Tuf1SuccinctRolesJson extends Tuf1RoleJson {
  bit_length: number;
  name_prefix: string;
}

/** A targets role's `delegations`: the delegation keys and the delegated roles in order (or TAP 15 bins). */
export interface Tuf1DelegationsJson {
  keys: Record<string, Tuf1KeyJson>;
  roles?: Tuf1DelegatedRoleJson[];
  succinct_roles?: Tuf1SuccinctRolesJson;
  [unknown: string]: unknown;
}

/** The `signed` body of a targets (or delegated targets) role. */
export interface Tuf1TargetsSigned extends Tuf1CommonSigned {
  _type: 'targets';
  targets: Record<string, Tuf1TargetFileJson>;
  delegations?: Tuf1DelegationsJson;
}

/** A snapshot/timestamp `meta` entry: version, optional length and hex hashes. */
export interface Tuf1MetaFileJson {
  version: number;
  length?: number;
  hashes?: Record<string, string>;
  [unknown: string]: unknown;
}

/** The `signed` body of snapshot.json (`meta`: `<role>.json` -> entry). */
export interface Tuf1SnapshotSigned extends Tuf1CommonSigned {
  _type: 'snapshot';
  meta: Record<string, Tuf1MetaFileJson>;
}

/** The `signed` body of timestamp.json (`meta` lists `snapshot.json`). */
export interface Tuf1TimestampSigned extends Tuf1CommonSigned {
  _type: 'timestamp';
  meta: Record<string, Tuf1MetaFileJson>;
}

/** Any TUF 1.0 `signed` body. */
export type Tuf1Signed = Tuf1RootSigned | Tuf1TargetsSigned | Tuf1SnapshotSigned | Tuf1TimestampSigned;

/** One entry of an envelope's `signatures`: key id and hex signature. */
export interface Tuf1SignatureJson {
  keyid: string;
  sig: string;
  [unknown: string]: unknown;
}

const encoder = new TextEncoder();

/** JSON.stringify replacer: object keys in canonical (code point) order. */
function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return inKeyOrder(value as Record<string, unknown>);
}

/**
 * Encodes a signed document as the file clients download: compact JSON with
 * sorted keys (python-tuf's `to_file` form). Not canonical JSON: that form
 * writes control characters raw, which standard JSON parsers (python's
 * `json`, Go's `encoding/json`) refuse; the signatures cover the canonical
 * form of `signed`, whatever whitespace and escapes the file uses.
 */
export function encodeTuf1Envelope(signed: Tuf1Signed, signatures: readonly Tuf1SignatureJson[]): Uint8Array {
  return encoder.encode(JSON.stringify({ signatures, signed }, sortKeys));
}

/** Spec-style UTC timestamp without fractional seconds (`2030-01-01T00:00:00Z`) of `ms`. */
export function formatTuf1Expires(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

// ---------------------------------------------------------------------------
// File names

/**
 * A UTF-16 surrogate not paired (a `u` regex matches pairs as one code point). Made at first use:
 * constructing a Unicode property class costs ~0.4 ms, which every `trust` process paid at start
 * (issue 12).
 */
let loneSurrogate: RegExp | undefined;

/**
 * Python's `urllib.parse.quote(s, safe="")`, as python-tuf names files: every
 * byte of the UTF-8 encoding except `A-Z a-z 0-9 _ . - ~` becomes `%XX`
 * (upper-case hex). A string that is not well-formed Unicode (a lone
 * surrogate, which UTF-8 cannot encode: python raises) is refused, so two
 * names never share a file (FormatError BAD_METADATA).
 */
export function tuf1Quote(s: string): string {
  loneSurrogate ??= /\p{Surrogate}/u;
  if (loneSurrogate.test(s)) {
    throw new FormatError(
      'BAD_METADATA',
      `name ${JSON.stringify(s.slice(0, 100))} is not well-formed Unicode`,
    );
  }
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const safe =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x2d ||
      b === 0x7e;
    out += safe ? String.fromCharCode(b) : `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  }
  return out;
}

/**
 * Name of a role's metadata file: `[N.]<role, percent-encoded>.json` (spec
 * 5.3-5.6, python-tuf's `f"{version}.{quote(role, '')}.json"`). The one rule
 * for the client (download and cache), the writer and the OCI registry layout.
 */
export function tuf1MetadataFileName(role: string, version?: number): string {
  const name = `${tuf1Quote(role)}.json`;
  return version === undefined ? name : `${version}.${name}`;
}

export interface Tuf1Signature {
  readonly keyid: string;
  /** Signature bytes (decoded from hex; empty when the hex was malformed: never verifies). */
  readonly sig: Uint8Array;
}

export interface Tuf1MetaFile {
  readonly version: number;
  readonly length?: number;
  /** Algorithm -> lowercase hex digest. */
  readonly hashes?: Readonly<Record<string, string>>;
}

export interface Tuf1TargetFile {
  readonly length: number;
  readonly hashes: Readonly<Record<string, string>>;
  readonly custom?: JsonValue;
}

export interface Tuf1RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

export interface Tuf1DelegatedRole extends Tuf1RoleKeys {
  readonly name: string;
  readonly terminating: boolean;
  readonly paths?: readonly string[];
  readonly pathHashPrefixes?: readonly string[];
}

export interface Tuf1SuccinctRoles extends Tuf1RoleKeys {
  readonly bitLength: number;
  readonly namePrefix: string;
}

export interface Tuf1Delegations {
  /** Keys by id (unsupported type/scheme absent; material prepared on first use, unusable ones never verify). */
  readonly keys: ReadonlyMap<string, Tuf1Key>;
  readonly roles?: readonly Tuf1DelegatedRole[];
  readonly succinct?: Tuf1SuccinctRoles;
}

interface CommonFields {
  readonly specVersion: string;
  readonly version: number;
  readonly expires: string;
  readonly expiresMs: number;
}

export interface Tuf1RootBody extends CommonFields {
  readonly type: 'root';
  readonly consistentSnapshot: boolean;
  readonly keys: ReadonlyMap<string, Tuf1Key>;
  readonly roles: Readonly<Record<Tuf1TopLevelRoleName, Tuf1RoleKeys>>;
}
export interface Tuf1TimestampBody extends CommonFields {
  readonly type: 'timestamp';
  readonly snapshotMeta: Tuf1MetaFile;
}
export interface Tuf1SnapshotBody extends CommonFields {
  readonly type: 'snapshot';
  /** `<role>.json` -> meta. */
  readonly meta: ReadonlyMap<string, Tuf1MetaFile>;
}
export interface Tuf1TargetsBody extends CommonFields {
  readonly type: 'targets';
  readonly targets: ReadonlyMap<string, Tuf1TargetFile>;
  readonly delegations?: Tuf1Delegations;
}
export type Tuf1Body = Tuf1RootBody | Tuf1TimestampBody | Tuf1SnapshotBody | Tuf1TargetsBody;

/**
 * One parsed TUF 1.0 document, in the shared metadata model (so the one trust
 * state machine handles both dialects): `signed` is the body exactly as parsed
 * (unknown fields included), signatures carry method `TUF1_METHOD` (the key's
 * scheme decides), `keys` are the root keys or the delegation keys. `body` is
 * the validated, typed view of the same document.
 */
/** The wire JSON type of a body type. */
export type Tuf1SignedOf<B extends Tuf1Body> = B extends Tuf1RootBody
  ? Tuf1RootSigned
  : B extends Tuf1TimestampBody
    ? Tuf1TimestampSigned
    : B extends Tuf1SnapshotBody
      ? Tuf1SnapshotSigned
      : B extends Tuf1TargetsBody
        ? Tuf1TargetsSigned
        : Tuf1Signed;

export class Tuf1Metadata<B extends Tuf1Body = Tuf1Body> extends Metadata<SignedBody> {
  #canonical: string | undefined;
  #canonicalBytes: Uint8Array | undefined;
  constructor(
    role: string,
    readonly body: B,
    signed: JsonObject,
    /** Signatures as in the document (hex decoded). */
    readonly tufSignatures: readonly Tuf1Signature[],
    raw: Uint8Array,
    /** The served bytes of `signed` when the parser proved them canonical (see parseStrictJsonDocument). */
    canonicalSigned?: Uint8Array,
  ) {
    const keys = new Map<string, TufPublicKey>();
    const source =
      body.type === 'root' ? body.keys : body.type === 'targets' ? body.delegations?.keys : undefined;
    for (const [id, k] of source ?? []) keys.set(id, k.key);
    const sigs = tufSignatures.map((t) => ({
      keyid: t.keyid,
      method: TUF1_METHOD,
      sig: Buffer.from(t.sig).toString('base64'),
    }));
    super(role, signed as unknown as SignedBody, sigs, keys, raw, body.expiresMs);
    this.#canonicalBytes = canonicalSigned;
  }
  /** securesystemslib canonical JSON of `signed`: what signatures cover. */
  override canonicalText(): string {
    this.#canonical ??= this.#canonicalBytes
      ? Buffer.from(this.#canonicalBytes).toString('utf8')
      : olpcCanonicalJson(this.signed);
    return this.#canonical;
  }
  /** The canonical form as UTF-8: the served bytes when they already are canonical, else the encoding. */
  override canonicalBytes(): Uint8Array {
    this.#canonicalBytes ??= olpcCanonicalBytes(this.signed);
    return this.#canonicalBytes;
  }
  /** The document's own JSON object (`signed`, unknown fields included): the writer's model too. Do not mutate. */
  get json(): Tuf1SignedOf<B> {
    return this.signed as unknown as Tuf1SignedOf<B>;
  }
  /** The exact bytes of the file (as served, or as the writer encoded them). */
  get bytes(): Uint8Array {
    return this.raw as Uint8Array;
  }
}

export type Tuf1Root = Tuf1Metadata<Tuf1RootBody>;
export type Tuf1Timestamp = Tuf1Metadata<Tuf1TimestampBody>;
export type Tuf1Snapshot = Tuf1Metadata<Tuf1SnapshotBody>;
export type Tuf1Targets = Tuf1Metadata<Tuf1TargetsBody>;
/** The parsed document type of a wire JSON type. */
export type Tuf1MetadataOf<T extends Tuf1Signed> = T extends Tuf1RootSigned
  ? Tuf1Root
  : T extends Tuf1TargetsSigned
    ? Tuf1Targets
    : T extends Tuf1SnapshotSigned
      ? Tuf1Snapshot
      : T extends Tuf1TimestampSigned
        ? Tuf1Timestamp
        : Tuf1Metadata;

// ---------------------------------------------------------------------------
// Parsing

const HEX = /^[0-9a-fA-F]*$/;
const EXPIRES = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const SPEC_VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

class Ctx {
  constructor(
    readonly role: string,
    readonly maxKeys = DEFAULT_MAX_KEYS,
    readonly maxSignatures = DEFAULT_MAX_SIGNATURES,
  ) {}
  fail(field: string, reason: string): never {
    throw new FormatError('BAD_METADATA', `${this.role}: ${field}: ${reason}`, { role: this.role });
  }
  obj(v: unknown, field: string): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as JsonObject;
  }
  str(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'must be a string');
    return v;
  }
  bool(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'must be a boolean');
    return v;
  }
  int(v: unknown, field: string, min: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(field, 'must be an integer');
    if (v < min) this.fail(field, `must be >= ${min}, got ${v}`);
    return v;
  }
  arr(v: unknown, field: string): JsonValue[] {
    if (!Array.isArray(v)) this.fail(field, 'must be an array');
    return v;
  }
  strList(v: unknown, field: string): string[] {
    return this.arr(v, field).map((x, i) => this.str(x, `${field}[${i}]`));
  }
  hashes(v: unknown, field: string): Record<string, string> {
    const o = this.obj(v, field);
    const out: Record<string, string> = Object.create(null);
    const entries = Object.entries(o);
    if (entries.length === 0) this.fail(field, 'must not be empty');
    for (const [alg, h] of entries) {
      const s = this.str(h, `${field}.${alg}`);
      if (!HEX.test(s)) this.fail(`${field}.${alg}`, 'must be hex');
      out[alg] = s.toLowerCase();
    }
    return out;
  }
}

/**
 * Milliseconds since the epoch of a spec `expires` string (`YYYY-MM-DDTHH:MM:SSZ`,
 * a real calendar date), NaN when it is not one.
 */
export function tuf1ExpiresMs(s: string): number {
  const m = EXPIRES.exec(s);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    se > 59
  ) {
    return Number.NaN;
  }
  return ms;
}

function parseExpires(ctx: Ctx, v: unknown): { expires: string; expiresMs: number } {
  const s = ctx.str(v, 'signed.expires');
  if (!EXPIRES.test(s)) ctx.fail('signed.expires', `must be YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(s)}`);
  const ms = tuf1ExpiresMs(s);
  if (Number.isNaN(ms)) ctx.fail('signed.expires', `is not a valid date: ${s}`);
  return { expires: s, expiresMs: ms };
}

function parseCommon(ctx: Ctx, signed: JsonObject, type: Tuf1TopLevelRoleName): CommonFields {
  const t = ctx.str(signed._type, 'signed._type');
  if (t !== type) {
    throw new VerificationError(
      'WRONG_TYPE',
      `${ctx.role}: expected _type ${type}, got ${JSON.stringify(t)}`,
      {
        role: ctx.role,
        expected: type,
        actual: t,
      },
    );
  }
  const specVersion = ctx.str(signed.spec_version, 'signed.spec_version');
  const sv = SPEC_VERSION.exec(specVersion);
  if (!sv) ctx.fail('signed.spec_version', `not a version: ${JSON.stringify(specVersion)}`);
  if (sv[1] !== TUF1_SPEC_VERSION.split('.')[0]) {
    ctx.fail('signed.spec_version', `major version ${sv[1]} is not supported (this client implements 1.x)`);
  }
  const version = ctx.int(signed.version, 'signed.version', 1);
  return { specVersion, version, ...parseExpires(ctx, signed.expires) };
}

function parseRoleKeys(ctx: Ctx, v: unknown, field: string): Tuf1RoleKeys {
  const o = ctx.obj(v, field);
  const keyids = ctx.strList(o.keyids, `${field}.keyids`);
  capCount(ctx.role, keyids.length, ctx.maxKeys, `${field}.keyids`, 'key ids');
  if (new Set(keyids).size !== keyids.length) ctx.fail(`${field}.keyids`, 'key ids must be unique');
  const threshold = ctx.int(o.threshold, `${field}.threshold`, 1);
  return { keyids, threshold };
}

/**
 * A key map. A structurally invalid key object refuses the document; a key of
 * an unsupported type/scheme or with undecodable `keyval.public` is left out
 * (it can never count towards a threshold). Key material is NOT parsed here
 * (no crypto setup, whatever the map holds): a key is prepared on first use by
 * a signature check, which uses only keys that are listed for the role and
 * carry a signature (trust/signatures.ts); unusable material then never counts.
 */
function parseKeys(ctx: Ctx, v: unknown, field: string): Map<string, Tuf1Key> {
  const o = ctx.obj(v, field);
  capCount(ctx.role, Object.keys(o).length, ctx.maxKeys, field, 'keys');
  const out = new Map<string, Tuf1Key>();
  for (const [id, kv] of Object.entries(o)) {
    const k = ctx.obj(kv, `${field}.${id}`);
    ctx.str(k.keytype, `${field}.${id}.keytype`);
    ctx.str(k.scheme, `${field}.${id}.scheme`);
    const keyval = ctx.obj(k.keyval, `${field}.${id}.keyval`);
    ctx.str(keyval.public, `${field}.${id}.keyval.public`);
    try {
      out.set(id, parseTuf1KeyDeferred(k, `${ctx.role} key ${id}`, { role: ctx.role, keyId: id }));
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
    }
  }
  return out;
}

function parseMetaFile(ctx: Ctx, v: unknown, field: string): Tuf1MetaFile {
  const o = ctx.obj(v, field);
  const version = ctx.int(o.version, `${field}.version`, 1);
  const mf: { version: number; length?: number; hashes?: Record<string, string> } = { version };
  if (o.length !== undefined) mf.length = ctx.int(o.length, `${field}.length`, 0);
  if (o.hashes !== undefined) mf.hashes = ctx.hashes(o.hashes, `${field}.hashes`);
  return mf;
}

function parseRoot(ctx: Ctx, s: JsonObject): Tuf1RootBody {
  const common = parseCommon(ctx, s, 'root');
  const consistentSnapshot =
    s.consistent_snapshot === undefined
      ? false
      : ctx.bool(s.consistent_snapshot, 'signed.consistent_snapshot');
  const keys = parseKeys(ctx, s.keys, 'signed.keys');
  const rolesObj = ctx.obj(s.roles, 'signed.roles');
  const names = Object.keys(rolesObj);
  if (names.length !== 4 || !TUF1_TOP_LEVEL.every((r) => names.includes(r))) {
    ctx.fail('signed.roles', 'must list exactly root, timestamp, snapshot and targets');
  }
  const roles = {} as Record<Tuf1TopLevelRoleName, Tuf1RoleKeys>;
  for (const r of TUF1_TOP_LEVEL) roles[r] = parseRoleKeys(ctx, rolesObj[r], `signed.roles.${r}`);
  return { type: 'root', ...common, consistentSnapshot, keys, roles };
}

function parseTimestamp(ctx: Ctx, s: JsonObject): Tuf1TimestampBody {
  const common = parseCommon(ctx, s, 'timestamp');
  const meta = ctx.obj(s.meta, 'signed.meta');
  if (meta['snapshot.json'] === undefined) ctx.fail('signed.meta', 'must list snapshot.json');
  return {
    type: 'timestamp',
    ...common,
    snapshotMeta: parseMetaFile(ctx, meta['snapshot.json'], 'meta.snapshot.json'),
  };
}

function parseSnapshot(ctx: Ctx, s: JsonObject): Tuf1SnapshotBody {
  const common = parseCommon(ctx, s, 'snapshot');
  const metaObj = ctx.obj(s.meta, 'signed.meta');
  const meta = new Map<string, Tuf1MetaFile>();
  for (const [name, v] of Object.entries(metaObj)) meta.set(name, parseMetaFile(ctx, v, `meta.${name}`));
  return { type: 'snapshot', ...common, meta };
}

function parseDelegations(ctx: Ctx, v: unknown): Tuf1Delegations {
  const o = ctx.obj(v, 'signed.delegations');
  const keys = parseKeys(ctx, o.keys, 'signed.delegations.keys');
  if ((o.roles === undefined) === (o.succinct_roles === undefined)) {
    ctx.fail('signed.delegations', 'must have exactly one of roles and succinct_roles');
  }
  if (o.succinct_roles !== undefined) {
    const so = ctx.obj(o.succinct_roles, 'signed.delegations.succinct_roles');
    const rk = parseRoleKeys(ctx, so, 'signed.delegations.succinct_roles');
    const bitLength = ctx.int(so.bit_length, 'succinct_roles.bit_length', 1);
    if (bitLength > 32) ctx.fail('succinct_roles.bit_length', 'must be <= 32');
    const namePrefix = ctx.str(so.name_prefix, 'succinct_roles.name_prefix');
    return { keys, succinct: { ...rk, bitLength, namePrefix } };
  }
  const roles: Tuf1DelegatedRole[] = [];
  const seen = new Set<string>();
  ctx.arr(o.roles, 'signed.delegations.roles').forEach((rv, i) => {
    const f = `signed.delegations.roles[${i}]`;
    const ro = ctx.obj(rv, f);
    const name = ctx.str(ro.name, `${f}.name`);
    if ((TUF1_TOP_LEVEL as readonly string[]).includes(name))
      ctx.fail(`${f}.name`, `${name} is a top-level role`);
    if (seen.has(name)) ctx.fail(`${f}.name`, `duplicate delegated role ${name}`);
    seen.add(name);
    const rk = parseRoleKeys(ctx, ro, f);
    const terminating = ctx.bool(ro.terminating, `${f}.terminating`);
    if ((ro.paths === undefined) === (ro.path_hash_prefixes === undefined)) {
      ctx.fail(f, 'must have exactly one of paths and path_hash_prefixes');
    }
    const role: { -readonly [K in keyof Tuf1DelegatedRole]: Tuf1DelegatedRole[K] } = {
      name,
      terminating,
      ...rk,
    };
    if (ro.paths !== undefined) role.paths = ctx.strList(ro.paths, `${f}.paths`);
    else role.pathHashPrefixes = ctx.strList(ro.path_hash_prefixes, `${f}.path_hash_prefixes`);
    roles.push(role);
  });
  return { keys, roles };
}

const LOWER_HEX = /^[0-9a-f]*$/;

/**
 * A target entry that needs no normalisation (an object with an integer
 * `length` >= 0 and a non-empty `hashes` of lowercase hex strings): its parsed
 * `hashes` is used as is. Undefined for anything else, which the checked path
 * in parseTargets refuses with a message naming the field, or normalises.
 */
function plainTarget(v: JsonValue | undefined): Tuf1TargetFile | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const length = v.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return undefined;
  const hashes = v.hashes;
  if (typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) return undefined;
  let n = 0;
  for (const alg in hashes) {
    if (!Object.hasOwn(hashes, alg)) return undefined;
    const h = hashes[alg];
    if (typeof h !== 'string' || !LOWER_HEX.test(h)) return undefined;
    n++;
  }
  if (n === 0) return undefined;
  const custom = v.custom;
  return custom === undefined
    ? { length, hashes: hashes as Record<string, string> }
    : { length, hashes: hashes as Record<string, string>, custom };
}

function targetFile(ctx: Ctx, path: string, v: unknown): Tuf1TargetFile {
  const f = `targets[${JSON.stringify(path)}]`;
  const o = ctx.obj(v, f);
  const tf: { length: number; hashes: Record<string, string>; custom?: JsonValue } = {
    length: ctx.int(o.length, `${f}.length`, 0),
    hashes: ctx.hashes(o.hashes, `${f}.hashes`),
  };
  if (o.custom !== undefined) tf.custom = o.custom;
  return tf;
}

/**
 * One member of a targets document's `targets` map, from the bytes of its value, checked as
 * `parseTuf1` checks it inside the whole document (nesting counted from the document's top). For the
 * verified index (metadata/indexed.ts).
 */
export function parseTuf1TargetEntry(
  bytes: Uint8Array,
  role: string,
  path: string,
  limits: ParseLimits = {},
): Tuf1TargetFile {
  const ctx = new Ctx(role, limits.maxKeys, limits.maxSignatures);
  const depth = Math.max(1, (limits.maxDepth ?? MAX_JSON_DEPTH) - 3);
  return targetFile(ctx, path, parseStrictJson(bytes, role, depth));
}

function parseTargets(ctx: Ctx, s: JsonObject): Tuf1TargetsBody {
  const common = parseCommon(ctx, s, 'targets');
  const tObj = ctx.obj(s.targets, 'signed.targets');
  const targets = new Map<string, Tuf1TargetFile>();
  for (const path of Object.keys(tObj)) {
    const v = tObj[path];
    targets.set(path, plainTarget(v) ?? targetFile(ctx, path, v));
  }
  const body: Tuf1TargetsBody = { type: 'targets', ...common, targets };
  if (s.delegations !== undefined) return { ...body, delegations: parseDelegations(ctx, s.delegations) };
  return body;
}

function parseSignatures(ctx: Ctx, v: unknown): Tuf1Signature[] {
  const seen = new Set<string>();
  const list = ctx.arr(v, 'signatures');
  capCount(ctx.role, list.length, ctx.maxSignatures, 'signatures', 'signatures');
  return list.map((item, i) => {
    const o = ctx.obj(item, `signatures[${i}]`);
    const keyid = ctx.str(o.keyid, `signatures[${i}].keyid`);
    const hex = ctx.str(o.sig, `signatures[${i}].sig`);
    // spec: "The keyid MUST be unique in the signatures array" (python-tuf refuses too)
    if (seen.has(keyid)) ctx.fail('signatures', `more than one signature by key ${keyid}`);
    seen.add(keyid);
    const ok = hex.length % 2 === 0 && HEX.test(hex);
    return { keyid, sig: ok ? new Uint8Array(Buffer.from(hex, 'hex')) : new Uint8Array(0) };
  });
}

/**
 * Parses one TUF 1.0 document of `type` for `role`. Throws FormatError
 * BAD_METADATA (or VerificationError WRONG_TYPE) naming the role and field.
 */
export function parseTuf1(bytes: Uint8Array, type: 'root', role?: string, limits?: ParseLimits): Tuf1Root;
export function parseTuf1(
  bytes: Uint8Array,
  type: 'timestamp',
  role?: string,
  limits?: ParseLimits,
): Tuf1Timestamp;
export function parseTuf1(
  bytes: Uint8Array,
  type: 'snapshot',
  role?: string,
  limits?: ParseLimits,
): Tuf1Snapshot;
export function parseTuf1(
  bytes: Uint8Array,
  type: 'targets',
  role?: string,
  limits?: ParseLimits,
): Tuf1Targets;
export function parseTuf1(
  bytes: Uint8Array,
  type: Tuf1TopLevelRoleName,
  role: string = type,
  limits: ParseLimits = {},
): Tuf1Metadata {
  const ctx = new Ctx(role, limits.maxKeys, limits.maxSignatures);
  if (limits.maxBytes !== undefined && bytes.length > limits.maxBytes) {
    throw new VerificationError('TOO_LARGE', `${role}: ${bytes.length} bytes, more than ${limits.maxBytes}`, {
      role,
    });
  }
  const parsed = parseStrictJsonDocument(bytes, role, limits.maxDepth);
  const doc = ctx.obj(parsed.value, 'metadata');
  return decodeTuf1(ctx, doc.signed, doc.signatures, bytes, type, parsed.canonicalSigned);
}

/**
 * A document the writer built (`signed` and its signatures) and the bytes it
 * encoded them as (`encodeTuf1Envelope`), validated by the same rules as
 * `parseTuf1` (without parsing the text again). `signed` must not be mutated afterwards.
 */
export function tuf1FromJson<T extends Tuf1Signed>(
  signed: T,
  signatures: readonly Tuf1SignatureJson[],
  bytes: Uint8Array,
  role: string = signed._type,
): Tuf1MetadataOf<T> {
  return decodeTuf1(new Ctx(role), signed, signatures, bytes, signed._type) as Tuf1MetadataOf<T>;
}

function decodeTuf1(
  ctx: Ctx,
  signedJson: unknown,
  signaturesJson: unknown,
  bytes: Uint8Array,
  type: Tuf1TopLevelRoleName,
  /** The served bytes of `signed` when the parser proved them canonical. */
  canonicalSigned?: Uint8Array,
): Tuf1Metadata {
  const signed = ctx.obj(signedJson, 'signed');
  const signatures = parseSignatures(ctx, signaturesJson);
  let body: Tuf1Body;
  switch (type) {
    case 'root':
      body = parseRoot(ctx, signed);
      break;
    case 'timestamp':
      body = parseTimestamp(ctx, signed);
      break;
    case 'snapshot':
      body = parseSnapshot(ctx, signed);
      break;
    case 'targets':
      body = parseTargets(ctx, signed);
      break;
  }
  return new Tuf1Metadata(ctx.role, body, signed, signatures, bytes, canonicalSigned);
}

// ---------------------------------------------------------------------------
// Delegation rules (spec 5.7.x, python-tuf DelegatedRole / SuccinctRoles)

/** fnmatch of one path segment: `*` any run, `?` one char, `[...]`/`[!...]` classes; never crosses `/`. */
function segmentMatches(name: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) re += '\\[';
      else {
        let stuff = pattern.slice(i + 1, j).replace(/\\/g, '\\\\');
        i = j;
        if (stuff.startsWith('!')) stuff = `^${stuff.slice(1)}`;
        else if (stuff.startsWith('^')) stuff = `\\${stuff}`;
        re += `[${stuff}]`;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^(?:${re})$`, 's').test(name);
  } catch {
    return false;
  }
}

/** The spec's path pattern rule: same number of `/`-separated segments, each fnmatch-ed. */
export function targetPathMatches(target: string, pattern: string): boolean {
  const t = target.split('/');
  const p = pattern.split('/');
  if (t.length !== p.length) return false;
  for (let i = 0; i < t.length; i++) if (!segmentMatches(t[i]!, p[i]!)) return false;
  return true;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Whether `role` is trusted for `target` (paths or path_hash_prefixes). */
export function isDelegatedPath(role: Tuf1DelegatedRole, target: string): boolean {
  if (role.pathHashPrefixes) {
    const h = sha256Hex(target);
    return role.pathHashPrefixes.some((p) => h.startsWith(p));
  }
  return (role.paths ?? []).some((p) => targetPathMatches(target, p));
}

/** TAP 15: the bin role name for a target. */
export function succinctRoleFor(s: Tuf1SuccinctRoles, target: string): string {
  const digest = createHash('sha256').update(target, 'utf8').digest();
  const bin = digest.readUInt32BE(0) >>> (32 - s.bitLength);
  const width = (2 ** s.bitLength - 1).toString(16).length;
  return `${s.namePrefix}-${bin.toString(16).padStart(width, '0')}`;
}

/** TAP 15: whether `name` is one of the bins. */
export function isSuccinctRole(s: Tuf1SuccinctRoles, name: string): boolean {
  const prefix = `${s.namePrefix}-`;
  if (!name.startsWith(prefix)) return false;
  const suffix = name.slice(prefix.length);
  const width = (2 ** s.bitLength - 1).toString(16).length;
  if (suffix.length !== width || !/^[0-9a-f]+$/.test(suffix)) return false;
  return Number.parseInt(suffix, 16) < 2 ** s.bitLength;
}

/** Delegated roles to visit for `target`, in order: [name, terminating]. */
export function rolesForTarget(d: Tuf1Delegations, target: string): [string, boolean][] {
  if (d.roles) return d.roles.filter((r) => isDelegatedPath(r, target)).map((r) => [r.name, r.terminating]);
  if (d.succinct) return [[succinctRoleFor(d.succinct, target), false]];
  return [];
}

/** The key set a delegating targets role gives `name`, or undefined when it does not delegate to it. */
export function delegationFor(d: Tuf1Delegations | undefined, name: string): Tuf1RoleKeys | undefined {
  if (!d) return undefined;
  if (d.roles) return d.roles.find((r) => r.name === name);
  if (d.succinct && isSuccinctRole(d.succinct, name)) return d.succinct;
  return undefined;
}
