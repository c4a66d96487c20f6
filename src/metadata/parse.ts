/**
 * Strict parsing of untrusted metadata bytes. Every field is type-checked and
 * every failure names the role, the field and the reason. Size limits are the
 * caller's (transport) job and are checked again here before parsing.
 *
 * Nothing Go (Notary, docker) would read differently is accepted: before
 * JSON.parse, one pass over the bytes refuses a byte order mark, nesting
 * deeper than the limit (default {@link DEFAULT_MAX_NESTING}), and numbers
 * with a fraction or exponent (`encoding/json-scan.ts`); while parsing, every
 * object Go decodes into a struct is checked for keys Go would match to a
 * field case-insensitively (`"Targets"`, `"ſigned"`, `"expireſ"`:
 * `encoding/go-fold.ts`), and the members of the whole document are counted
 * so that a repeated key anywhere is refused (Go merges a repeated struct
 * field's maps, JSON.parse keeps the last copy). Objects Go decodes into maps
 * (targets, meta, keys, roles, hashes) may hold `latest` and `Latest`.
 */

import { parsePublicKeyDeferred } from '../crypto/keys.js';
import type { TufPublicKey } from '../crypto/types.js';
import { isStdBase64 } from '../crypto/util.js';
import { GoStruct } from '../encoding/go-fold.js';
import { countMembers, hasLoneSurrogate, scanJson } from '../encoding/json-scan.js';
import { FormatError, TrustError, VerificationError } from '../errors.js';
import { parseGoTime } from './gotime.js';
import {
  DEFAULT_MAX_KEYS,
  DEFAULT_MAX_NESTING,
  DEFAULT_MAX_SIGNATURES,
  type DelegationRoleJson,
  type FileMetaJson,
  Metadata,
  type MetadataType,
  type RoleKeysJson,
  type RootBody,
  type RootMetadata,
  type Signature,
  type SignedBody,
  type SnapshotMetadata,
  type TargetsBody,
  type TargetsMetadata,
  type TimestampMetadata,
  type TopLevelRole,
  TYPE_OF_ROLE,
} from './model.js';
import { isDelegationName, parentRole } from './roles.js';

export { isStdBase64 };

/**
 * A character no standard padded base64 text holds, a `=` followed by anything but `=` or the end of
 * its string, or a third `=`: searched in strings joined by `"`, it finds the first one that is not
 * of the form `[A-Za-z0-9+/]*={0,2}`.
 */
const NOT_STD_BASE64 = /[^A-Za-z0-9+/="]|=[^="]|===/;

/**
 * Whether every string of `list` is standard padded base64 (`isStdBase64` of each), given that each
 * length is a multiple of 4 and no string holds a `"`: one native search over the strings joined by
 * `"` instead of a JavaScript loop per character, which a first call runs unoptimised (issue 12: the
 * hashes of a 10,000-tag targets document are 440,000 characters).
 */
export function allStdBase64(list: readonly string[], slice = 512): boolean {
  // in slices, so that each joined text stays a small, short-lived string (not one large object)
  for (let i = 0; i < list.length; i += slice) {
    if (NOT_STD_BASE64.test(list.slice(i, i + slice).join('"'))) return false;
  }
  return true;
}
const decoder = new TextDecoder('utf-8', { fatal: true });

type Json = Record<string, unknown>;

/**
 * Adds an own, enumerable entry even for names like `__proto__` (a valid tag),
 * which plain assignment would turn into a prototype change.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The Go structs Notary decodes metadata into (tuf/data), by their json tags. */
const GO = {
  envelope: new GoStruct('Signed', ['signed', 'signatures']),
  signature: new GoStruct('Signature', ['keyid', 'method', 'sig']),
  root: new GoStruct('Root', ['_type', 'expires', 'version', 'keys', 'roles', 'consistent_snapshot']),
  targets: new GoStruct('Targets', ['_type', 'expires', 'version', 'targets', 'delegations']),
  snapshot: new GoStruct('Snapshot', ['_type', 'expires', 'version', 'meta']),
  timestamp: new GoStruct('Timestamp', ['_type', 'expires', 'version', 'meta']),
  key: new GoStruct('TUFKey', ['keytype', 'keyval']),
  keyPair: new GoStruct('KeyPair', ['public', 'private']),
  rootRole: new GoStruct('RootRole', ['keyids', 'threshold']),
  role: new GoStruct('Role', ['keyids', 'threshold', 'name', 'paths']),
  delegations: new GoStruct('Delegations', ['keys', 'roles']),
  fileMeta: new GoStruct('FileMeta', ['length', 'hashes', 'custom']),
} as const;

class Ctx {
  /** Object members seen so far, to compare with the count of the raw text. */
  members = 0;
  /**
   * Whether the document holds no backslash (so no string in it holds a `"`): then the targets
   * entries' hashes are checked together (`allStdBase64`).
   */
  noEscapes = false;
  /**
   * Whether the parsed body differs from the value JSON.parse made of `signed` (a `"custom": null`
   * dropped, absent or null delegations fields filled in, null `paths` removed): then its canonical
   * bytes are not the served ones.
   */
  normalised = false;
  constructor(
    readonly role: string,
    readonly maxKeys = DEFAULT_MAX_KEYS,
    readonly maxSignatures = DEFAULT_MAX_SIGNATURES,
  ) {}
  /** TOO_LARGE when `field` holds more than `max` entries (checked before any key is looked at). */
  cap(n: number, max: number, field: string, what: string): void {
    capCount(this.role, n, max, field, what);
  }
  fail(field: string, reason: string): never {
    throw new FormatError('BAD_METADATA', `${this.role}: ${field}: ${reason}`, { role: this.role });
  }
  /**
   * An object Go decodes into struct `s`: refuses keys Go would store in a
   * field under another spelling; counts members. The values of fields in
   * `walked` are counted by the caller; every other value is counted here.
   */
  struct(o: Json, field: string, s: GoStruct, walked: readonly string[] = []): Json {
    for (const k in o) {
      this.members++;
      const f = s.fieldFor(k);
      if (f !== undefined && f !== k) {
        this.fail(
          `${field}.${JSON.stringify(k)}`,
          `Go (Notary, docker) reads this key as field "${f}" of ${s.name}; refused`,
        );
      }
      if (f === undefined || !walked.includes(f)) this.members += countMembers(o[k]);
    }
    return o;
  }
  /** An object Go decodes into a map: any keys; members counted by the caller's walk of the values. */
  map(o: Json): Json {
    for (const _ in o) this.members++;
    return o;
  }
  obj(v: unknown, field: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as Json;
  }
  str(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'must be a string');
    return v;
  }
  int(v: unknown, field: string, min: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(field, 'must be an integer');
    if (v < min) this.fail(field, `must be >= ${min}, got ${v}`);
    return v;
  }
  arr(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, 'must be an array');
    return v;
  }
  b64(v: unknown, field: string): string {
    const s = this.str(v, field);
    if (!isStdBase64(s)) this.fail(field, 'must be standard base64');
    return s;
  }
}

/** TOO_LARGE when `field` of `role` holds `n` > `max` entries (keys, key ids, signatures). */
export function capCount(role: string, n: number, max: number, field: string, what: string): void {
  if (n > max) {
    throw new VerificationError('TOO_LARGE', `${role}: ${field}: ${n} ${what} exceeds the limit of ${max}`, {
      role,
      expected: `<= ${max} ${what}`,
      actual: String(n),
    });
  }
}

/** Decodes UTF-8 and parses JSON, with errors that name the role. */
export function parseJsonBytes(bytes: Uint8Array, role: string): unknown {
  return parseCheckedJson(bytes, role, DEFAULT_MAX_NESTING).value;
}

/**
 * parseJsonBytes plus the checks JSON.parse cannot make (`encoding/json-scan.ts`).
 * `members` is the count to compare with the schema walk. With `proveSigned`, `canonicalSigned` is
 * where the scan proved `signed` canonical (meaningful once the document passed every check).
 */
function parseCheckedJson(
  bytes: Uint8Array,
  role: string,
  maxDepth: number,
  proveSigned = false,
): {
  value: unknown;
  members: number;
  escapes: boolean;
  canonicalSigned?: { start: number; end: number };
} {
  const bad = (reason: string) => new FormatError('BAD_METADATA', `${role}: metadata ${reason}`, { role });
  const scan = scanJson(bytes, maxDepth, proveSigned);
  if ('problem' in scan) throw bad(scan.problem);
  // all-ASCII bytes (the usual metadata) are their own UTF-8 decoding: the scan's text of them
  let text = scan.ascii;
  if (text === undefined) {
    try {
      text = decoder.decode(bytes);
    } catch {
      throw bad('is not valid UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`is not valid JSON (${(e as Error).message})`);
  }
  if (scan.surrogateEscapes && hasLoneSurrogate(value)) {
    throw bad('has an escaped lone surrogate (Go reads U+FFFD)');
  }
  return {
    value,
    members: scan.members,
    escapes: scan.escapes,
    canonicalSigned: scan.canonicalSigned,
  };
}

function parseSignatures(ctx: Ctx, v: unknown): Signature[] {
  if (v === null) return [];
  const list = ctx.arr(v, 'signatures');
  ctx.cap(list.length, ctx.maxSignatures, 'signatures', 'signatures');
  return list.map((item, i) => {
    const o = ctx.struct(ctx.obj(item, `signatures[${i}]`), `signatures[${i}]`, GO.signature);
    return {
      keyid: ctx.str(o.keyid, `signatures[${i}].keyid`),
      // Go lower-cases the method on unmarshal (tuf/data/types.go)
      method: ctx.str(o.method, `signatures[${i}].method`).toLowerCase(),
      sig: ctx.b64(o.sig, `signatures[${i}].sig`),
    };
  });
}

/**
 * Parses a key map. Like Notary, a listed key that is unusable (unknown or
 * malformed key type, id that does not match the key) does not invalidate the
 * document: it simply cannot count towards any threshold. The returned map
 * holds the keys whose JSON is well formed and whose id matches, by id; their
 * key material is parsed on first use (`parsePublicKeyDeferred`), and a key
 * that turns out unusable then never verifies (signatures.ts, root-keys.ts).
 */
function parseKeys(ctx: Ctx, v: unknown, field: string): Map<string, TufPublicKey> {
  const obj = ctx.obj(v, field);
  let n = 0;
  for (const _ in obj) n++;
  ctx.cap(n, ctx.maxKeys, field, 'keys');
  const o = ctx.map(obj);
  const out = new Map<string, TufPublicKey>();
  for (const [id, kv] of Object.entries(o)) {
    const k = ctx.struct(ctx.obj(kv, `${field}.${id}`), `${field}.${id}`, GO.key, ['keyval']);
    ctx.str(k.keytype, `${field}.${id}.keytype`);
    const keyval = ctx.struct(
      ctx.obj(k.keyval, `${field}.${id}.keyval`),
      `${field}.${id}.keyval`,
      GO.keyPair,
    );
    ctx.str(keyval.public, `${field}.${id}.keyval.public`);
    let key: TufPublicKey;
    try {
      key = parsePublicKeyDeferred(kv, { role: ctx.role, keyId: id });
    } catch (e) {
      if (e instanceof TrustError) continue; // unusable key: never counts
      throw e;
    }
    if (key.id === id) out.set(id, key);
  }
  return out;
}

function parseRoleKeys(ctx: Ctx, v: unknown, field: string, s: GoStruct): RoleKeysJson {
  const o = ctx.struct(ctx.obj(v, field), field, s);
  const ids = ctx.arr(o.keyids, `${field}.keyids`);
  ctx.cap(ids.length, ctx.maxKeys, `${field}.keyids`, 'key ids');
  const keyids = ids.map((k, i) => ctx.str(k, `${field}.keyids[${i}]`));
  ctx.int(o.threshold, `${field}.threshold`, 1);
  return { ...o, keyids } as RoleKeysJson;
}

function parseFileMeta(ctx: Ctx, v: unknown, field: string): FileMetaJson {
  const o = ctx.struct(ctx.obj(v, field), field, GO.fileMeta, ['hashes']);
  ctx.int(o.length, `${field}.length`, 0);
  const hashes = ctx.map(ctx.obj(o.hashes, `${field}.hashes`));
  for (const [alg, h] of Object.entries(hashes)) ctx.b64(h, `${field}.hashes.${alg}`);
  if (o.custom === null) {
    // Go decodes `null` into a nil *RawMessage and omits it when writing
    ctx.normalised = true;
    const { custom: _drop, ...rest } = o;
    return rest as FileMetaJson;
  }
  return o as FileMetaJson;
}

/**
 * The fast path of parseFileMeta for the usual entry (exactly `length` and `hashes`, spelled as Go
 * writes them, valid values): checks what parseFileMeta checks, counts the same members, and returns
 * the entry itself; undefined for anything else, which parseFileMeta then checks (and names the field
 * of the failure). Builds no field-name strings. With `batch`, the hashes are not checked here but
 * pushed to it, for `checkBatch` (an entry returned is then valid only once that passed).
 */
function plainFileMeta(ctx: Ctx, v: unknown, batch?: string[]): FileMetaJson | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Json;
  let n = 0;
  for (const k in o) {
    if (k !== 'length' && k !== 'hashes') return undefined;
    n++;
  }
  const length = o.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return undefined;
  const hashes = o.hashes;
  if (typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) return undefined;
  const h = hashes as Json;
  for (const alg in h) {
    const b = h[alg];
    if (typeof b !== 'string') return undefined;
    if (batch) {
      // checked with the other entries' hashes by `checkBatch` (the length here, like isStdBase64)
      if ((b.length & 3) !== 0) return undefined;
      batch.push(b);
    } else if (!isStdBase64(b)) return undefined;
    n++;
  }
  ctx.members += n;
  return o as FileMetaJson;
}

/**
 * Checks the hashes `plainFileMeta` batched (and empties the batch). When one is not standard base64,
 * the entries up to `last` (all of them when undefined) are checked again one by one, as without a
 * batch, which throws the error of the first bad one in document order (the one parseMetadata always
 * reported).
 */
function checkBatch(
  role: string,
  targets: Record<string, FileMetaJson>,
  batch: string[],
  last: string | undefined,
): void {
  if (allStdBase64(batch)) {
    batch.length = 0;
    return;
  }
  const again = new Ctx(role);
  for (const name in targets) {
    const v: unknown = targets[name];
    if (plainFileMeta(again, v) === undefined) parseFileMeta(again, v, `targets.${JSON.stringify(name)}`);
    if (name === last) break;
  }
  // not reached: the batch holds hashes of these entries only
  throw new Error(`${role}: a targets hash failed its batch check but no entry`);
}

function parseCommon(ctx: Ctx, signed: Json, expected: MetadataType): number {
  const type = ctx.str(signed._type, '_type');
  if (type !== expected) {
    throw new VerificationError(
      'WRONG_TYPE',
      `${ctx.role}: _type is ${JSON.stringify(type)}, expected ${expected}`,
      {
        role: ctx.role,
        expected,
        actual: type,
      },
    );
  }
  ctx.int(signed.version, 'version', 1);
  const expires = ctx.str(signed.expires, 'expires');
  const t = parseGoTime(expires);
  if (!t) ctx.fail('expires', `not an RFC 3339 time: ${JSON.stringify(expires)}`);
  return t.ms;
}

function checkDelegations(ctx: Ctx, body: TargetsBody): void {
  const seen = new Set<string>();
  body.delegations.roles.forEach((r: DelegationRoleJson, i) => {
    const field = `delegations.roles[${i}]`;
    if (!isDelegationName(r.name) || parentRole(r.name) !== ctx.role) {
      ctx.fail(`${field}.name`, `invalid delegation ${JSON.stringify(r.name)} for parent ${ctx.role}`);
    }
    if (seen.has(r.name)) ctx.fail(`${field}.name`, `duplicate delegation ${r.name}`);
    seen.add(r.name);
    for (const id of r.keyids) {
      if (!Object.hasOwn(body.delegations.keys, id))
        ctx.fail(`${field}.keyids`, `key ${id} is not in delegations.keys`);
    }
  });
}

function parseBody(
  ctx: Ctx,
  signed: Json,
  role: string,
): { body: SignedBody; keys: Map<string, TufPublicKey> } {
  let keys = new Map<string, TufPublicKey>();
  if (role === 'root') {
    if (typeof signed.consistent_snapshot !== 'boolean') ctx.fail('consistent_snapshot', 'must be a boolean');
    keys = parseKeys(ctx, signed.keys, 'keys');
    const roles = ctx.map(ctx.obj(signed.roles, 'roles'));
    const parsedRoles: Record<string, RoleKeysJson> = {};
    for (const name of ['root', 'targets', 'snapshot', 'timestamp']) {
      if (!(name in roles)) ctx.fail('roles', `missing role ${name}`);
    }
    for (const [name, rk] of Object.entries(roles)) {
      const r = parseRoleKeys(ctx, rk, `roles.${name}`, GO.rootRole);
      for (const id of r.keyids)
        if (!Object.hasOwn(signed.keys as object, id))
          ctx.fail(`roles.${name}.keyids`, `key ${id} is not in keys`);
      setOwn(parsedRoles, name, r);
    }
    return { body: { ...signed, roles: parsedRoles } as RootBody, keys };
  }
  if (role === 'snapshot' || role === 'timestamp') {
    const meta = ctx.map(ctx.obj(signed.meta, 'meta'));
    const parsed: Record<string, FileMetaJson> = {};
    for (const [name, fm] of Object.entries(meta))
      setOwn(parsed, name, parseFileMeta(ctx, fm, `meta.${name}`));
    if (role === 'timestamp' && !parsed.snapshot) ctx.fail('meta', 'has no snapshot entry');
    // Notary's IsValidSnapshotStructure / IsValidTimestampStructure (tuf/data/snapshot.go,
    // timestamp.go): these entries carry a sha256, and a sha256 / sha512 of its size (Q5: the
    // real notary refuses a snapshot listing targets by sha512 only)
    for (const name of role === 'snapshot' ? ['root', 'targets'] : ['snapshot']) {
      const h = Object.hasOwn(parsed, name) ? parsed[name]!.hashes : undefined;
      if (h === undefined) continue; // a missing root or targets entry: refused as a rollback
      if (typeof h.sha256 !== 'string') ctx.fail(`meta.${name}.hashes`, 'has no sha256 (Notary requires it)');
      for (const [alg, size] of [
        ['sha256', 32],
        ['sha512', 64],
      ] as const) {
        const v = Object.hasOwn(h, alg) ? h[alg] : undefined;
        if (typeof v === 'string' && Buffer.from(v, 'base64').length !== size)
          ctx.fail(`meta.${name}.hashes.${alg}`, `must be ${size} bytes`);
      }
    }
    return { body: { ...signed, meta: parsed } as SignedBody, keys };
  }
  // targets and delegations
  // checked in place: JSON.parse made every member an own property (even `__proto__`), and an entry
  // is replaced only when parseFileMeta normalises it (`"custom": null` dropped)
  const parsedTargets = ctx.obj(signed.targets, 'targets') as Record<string, FileMetaJson>;
  // the usual entries' hashes are checked in batches (allStdBase64), each batch before the next
  // entry that takes the checked path, so that a failure is still the first one in document order
  const batch: string[] | undefined = ctx.noEscapes ? [] : undefined;
  for (const name in parsedTargets) {
    ctx.members++;
    const v: unknown = parsedTargets[name];
    if (plainFileMeta(ctx, v, batch) !== undefined) continue;
    if (batch) checkBatch(ctx.role, parsedTargets, batch, name);
    const fm = parseFileMeta(ctx, v, `targets.${JSON.stringify(name)}`);
    if (fm !== v) setOwn(parsedTargets, name, fm);
  }
  if (batch) checkBatch(ctx.role, parsedTargets, batch, undefined);
  // Go treats a missing delegations object as empty and writes it back as {"keys":{},"roles":[]}
  const dIn = signed.delegations === undefined || signed.delegations === null ? {} : signed.delegations;
  const d = ctx.struct(ctx.obj(dIn, 'delegations'), 'delegations', GO.delegations, ['keys', 'roles']);
  if (dIn !== signed.delegations || d.keys === undefined || d.keys === null) ctx.normalised = true;
  if (d.roles === undefined || d.roles === null) ctx.normalised = true;
  keys = d.keys === undefined || d.keys === null ? new Map() : parseKeys(ctx, d.keys, 'delegations.keys');
  const rolesIn = d.roles === undefined || d.roles === null ? [] : ctx.arr(d.roles, 'delegations.roles');
  const roles = rolesIn.map((r, i) => {
    const field = `delegations.roles[${i}]`;
    const base = parseRoleKeys(ctx, r, field, GO.role) as DelegationRoleJson;
    ctx.str(base.name, `${field}.name`);
    if (base.paths !== undefined && base.paths !== null) {
      base.paths = ctx.arr(base.paths, `${field}.paths`).map((p, j) => ctx.str(p, `${field}.paths[${j}]`));
    } else {
      if (base.paths === null) ctx.normalised = true;
      delete base.paths;
    }
    return base;
  });
  const body = {
    ...signed,
    targets: parsedTargets,
    delegations: { ...d, keys: d.keys ?? {}, roles },
  } as TargetsBody;
  checkDelegations(ctx, body);
  return { body, keys };
}

const TOP_OF_TYPE = {
  Root: 'root',
  Targets: 'targets',
  Snapshot: 'snapshot',
  Timestamp: 'timestamp',
} as const;

/** Metadata type expected for a role name (`Targets` for delegations). */
export function typeOfRole(role: string): MetadataType {
  if (role in TYPE_OF_ROLE) return TYPE_OF_ROLE[role as TopLevelRole];
  if (isDelegationName(role)) return 'Targets';
  throw new FormatError('BAD_METADATA', `invalid role name ${JSON.stringify(role)}`, { role });
}

/**
 * Parses the wire bytes of one role's metadata. Does not check signatures,
 * expiry or versions: that is the trust state machine's job.
 */
export interface ParseLimits {
  /** Largest document accepted, in bytes (TOO_LARGE beyond). */
  maxBytes?: number;
  /** Deepest nesting of objects and arrays (default {@link DEFAULT_MAX_NESTING}). */
  maxDepth?: number;
  /** Most keys per keys map and key ids per role (default {@link DEFAULT_MAX_KEYS}; TOO_LARGE beyond). */
  maxKeys?: number;
  /** Most signatures per envelope (default {@link DEFAULT_MAX_SIGNATURES}; TOO_LARGE beyond). */
  maxSignatures?: number;
}

export function parseMetadata(bytes: Uint8Array, role: string, limits?: number | ParseLimits): Metadata {
  const {
    maxBytes,
    maxDepth = DEFAULT_MAX_NESTING,
    maxKeys,
    maxSignatures,
  } = typeof limits === 'number' ? { maxBytes: limits } : (limits ?? {});
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    throw new VerificationError(
      'TOO_LARGE',
      `${role}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`,
      {
        role,
        expected: `<= ${maxBytes} bytes`,
        actual: String(bytes.length),
      },
    );
  }
  const expected = typeOfRole(role);
  const ctx = new Ctx(role, maxKeys, maxSignatures);
  const parsed = parseCheckedJson(bytes, role, maxDepth, true);
  ctx.noEscapes = !parsed.escapes;
  const doc = ctx.struct(ctx.obj(parsed.value, 'document'), 'document', GO.envelope, [
    'signed',
    'signatures',
  ]);
  const signed = ctx.obj(doc.signed, 'signed');
  ctx.struct(signed, 'signed', GO[TOP_OF_TYPE[expected]], [
    'keys',
    'roles',
    'meta',
    'targets',
    'delegations',
  ]);
  const signatures = parseSignatures(ctx, doc.signatures);
  const expiresMs = parseCommon(ctx, signed, expected);
  const { body, keys } = parseBody(ctx, signed, role);
  if (ctx.members !== parsed.members) {
    // JSON.parse keeps the last of two equal keys; Go's struct decoding merges or keeps the last
    ctx.fail(
      'document',
      'an object has the same key twice; refused (Go and JavaScript may read different copies)',
    );
  }
  // The signature message is what Notary's VerifySignatures checks (tuf/signed/verify.go): the
  // canonical encoding of the generic decode of the served `signed`, i.e. of the value JSON.parse
  // made, before this parser normalised anything (`"custom": null` dropped, absent delegations filled
  // in, null paths removed). When the scan proved the served bytes canonical, they are that message;
  // when parsing normalised the body (which may have changed the parsed value in place), the served
  // `signed` is decoded again, to be encoded when a signature is checked; otherwise re-encoding the
  // body gives it (Metadata.signedMessage).
  const served = parsed.canonicalSigned;
  if (served) {
    return new Metadata(
      role,
      body,
      signatures,
      keys,
      bytes,
      expiresMs,
      bytes.subarray(served.start, served.end),
    );
  }
  const asServed = ctx.normalised
    ? (JSON.parse(decoder.decode(bytes)) as { signed: unknown }).signed
    : undefined;
  return new Metadata(role, body, signatures, keys, bytes, expiresMs, undefined, asServed);
}

/**
 * One member of a targets document's `targets` map, given the bytes of its value: parsed and checked
 * exactly as `parseMetadata` checks it inside the whole document (nesting counted from the document's
 * top: the entry sits 3 levels down). For the verified index (metadata/indexed.ts).
 */
export function parseTargetEntry(
  bytes: Uint8Array,
  role: string,
  name: string,
  limits?: ParseLimits,
): FileMetaJson {
  const ctx = new Ctx(role, limits?.maxKeys, limits?.maxSignatures);
  const parsed = parseCheckedJson(bytes, role, Math.max(1, (limits?.maxDepth ?? DEFAULT_MAX_NESTING) - 3));
  const field = `targets.${JSON.stringify(name)}`;
  const meta = parseFileMeta(ctx, parsed.value, field);
  if (ctx.members !== parsed.members) ctx.fail(field, 'an object has the same key twice; refused');
  return meta;
}

export const parseRoot = (b: Uint8Array, limits?: number | ParseLimits) =>
  parseMetadata(b, 'root', limits) as RootMetadata;
export const parseTimestamp = (b: Uint8Array, limits?: number | ParseLimits) =>
  parseMetadata(b, 'timestamp', limits) as TimestampMetadata;
export const parseSnapshot = (b: Uint8Array, limits?: number | ParseLimits) =>
  parseMetadata(b, 'snapshot', limits) as SnapshotMetadata;
export const parseTargets = (b: Uint8Array, role = 'targets', limits?: number | ParseLimits) =>
  parseMetadata(b, role, limits) as TargetsMetadata;

/** Builds the parsed-key map of a signed body we created ourselves (no wire bytes yet). */
export function keysOfBody(role: string, body: SignedBody): Map<string, TufPublicKey> {
  const ctx = new Ctx(role);
  if (body._type === 'Root') return parseKeys(ctx, body.keys, 'keys');
  if (body._type === 'Targets') return parseKeys(ctx, body.delegations.keys, 'delegations.keys');
  return new Map();
}
