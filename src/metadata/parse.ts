/**
 * Strict parsing of untrusted metadata bytes. Every field is type-checked and
 * every failure names the role, the field and the reason. Size limits are the
 * caller's (transport) job and are checked again here before parsing.
 */

import { parsePublicKey } from '../crypto/keys.js';
import type { TufPublicKey } from '../crypto/types.js';
import { FormatError, TrustError, VerificationError } from '../errors.js';
import { parseGoTime } from './gotime.js';
import {
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

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
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

class Ctx {
  constructor(readonly role: string) {}
  fail(field: string, reason: string): never {
    throw new FormatError('BAD_METADATA', `${this.role}: ${field}: ${reason}`, { role: this.role });
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
    if (!B64.test(s)) this.fail(field, 'must be standard base64');
    return s;
  }
}

/** Decodes UTF-8 and parses JSON, with errors that name the role. */
export function parseJsonBytes(bytes: Uint8Array, role: string): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new FormatError('BAD_METADATA', `${role}: metadata is not valid UTF-8`, { role });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError('BAD_METADATA', `${role}: metadata is not valid JSON (${(e as Error).message})`, {
      role,
    });
  }
}

function parseSignatures(ctx: Ctx, v: unknown): Signature[] {
  if (v === null) return [];
  const list = ctx.arr(v, 'signatures');
  return list.map((item, i) => {
    const o = ctx.obj(item, `signatures[${i}]`);
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
 * holds only usable keys, by id.
 */
function parseKeys(ctx: Ctx, v: unknown, field: string): Map<string, TufPublicKey> {
  const o = ctx.obj(v, field);
  const out = new Map<string, TufPublicKey>();
  for (const [id, kv] of Object.entries(o)) {
    const k = ctx.obj(kv, `${field}.${id}`);
    ctx.str(k.keytype, `${field}.${id}.keytype`);
    const keyval = ctx.obj(k.keyval, `${field}.${id}.keyval`);
    ctx.str(keyval.public, `${field}.${id}.keyval.public`);
    let key: TufPublicKey;
    try {
      key = parsePublicKey(kv, { role: ctx.role, keyId: id });
    } catch (e) {
      if (e instanceof TrustError) continue; // unusable key: never counts
      throw e;
    }
    if (key.id === id) out.set(id, key);
  }
  return out;
}

function parseRoleKeys(ctx: Ctx, v: unknown, field: string): RoleKeysJson {
  const o = ctx.obj(v, field);
  const keyids = ctx.arr(o.keyids, `${field}.keyids`).map((k, i) => ctx.str(k, `${field}.keyids[${i}]`));
  ctx.int(o.threshold, `${field}.threshold`, 1);
  return { ...o, keyids } as RoleKeysJson;
}

function parseFileMeta(ctx: Ctx, v: unknown, field: string): FileMetaJson {
  const o = ctx.obj(v, field);
  ctx.int(o.length, `${field}.length`, 0);
  const hashes = ctx.obj(o.hashes, `${field}.hashes`);
  for (const [alg, h] of Object.entries(hashes)) ctx.b64(h, `${field}.hashes.${alg}`);
  if (o.custom === null) {
    // Go decodes `null` into a nil *RawMessage and omits it when writing
    const { custom: _drop, ...rest } = o;
    return rest as FileMetaJson;
  }
  return o as FileMetaJson;
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
    const roles = ctx.obj(signed.roles, 'roles');
    const parsedRoles: Record<string, RoleKeysJson> = {};
    for (const name of ['root', 'targets', 'snapshot', 'timestamp']) {
      if (!(name in roles)) ctx.fail('roles', `missing role ${name}`);
    }
    for (const [name, rk] of Object.entries(roles)) {
      const r = parseRoleKeys(ctx, rk, `roles.${name}`);
      for (const id of r.keyids)
        if (!Object.hasOwn(signed.keys as object, id))
          ctx.fail(`roles.${name}.keyids`, `key ${id} is not in keys`);
      setOwn(parsedRoles, name, r);
    }
    return { body: { ...signed, roles: parsedRoles } as RootBody, keys };
  }
  if (role === 'snapshot' || role === 'timestamp') {
    const meta = ctx.obj(signed.meta, 'meta');
    const parsed: Record<string, FileMetaJson> = {};
    for (const [name, fm] of Object.entries(meta))
      setOwn(parsed, name, parseFileMeta(ctx, fm, `meta.${name}`));
    if (role === 'timestamp' && !parsed.snapshot) ctx.fail('meta', 'has no snapshot entry');
    return { body: { ...signed, meta: parsed } as SignedBody, keys };
  }
  // targets and delegations
  const targets = ctx.obj(signed.targets, 'targets');
  const parsedTargets: Record<string, FileMetaJson> = {};
  for (const name of Object.keys(targets)) {
    setOwn(parsedTargets, name, parseFileMeta(ctx, targets[name], `targets.${JSON.stringify(name)}`));
  }
  // Go treats a missing delegations object as empty and writes it back as {"keys":{},"roles":[]}
  const dIn = signed.delegations === undefined || signed.delegations === null ? {} : signed.delegations;
  const d = ctx.obj(dIn, 'delegations');
  keys = d.keys === undefined || d.keys === null ? new Map() : parseKeys(ctx, d.keys, 'delegations.keys');
  const rolesIn = d.roles === undefined || d.roles === null ? [] : ctx.arr(d.roles, 'delegations.roles');
  const roles = rolesIn.map((r, i) => {
    const field = `delegations.roles[${i}]`;
    const base = parseRoleKeys(ctx, r, field) as DelegationRoleJson;
    ctx.str(base.name, `${field}.name`);
    if (base.paths !== undefined && base.paths !== null) {
      base.paths = ctx.arr(base.paths, `${field}.paths`).map((p, j) => ctx.str(p, `${field}.paths[${j}]`));
    } else {
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
export function parseMetadata(bytes: Uint8Array, role: string, maxBytes?: number): Metadata {
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
  const ctx = new Ctx(role);
  const doc = ctx.obj(parseJsonBytes(bytes, role), 'document');
  const signed = ctx.obj(doc.signed, 'signed');
  const signatures = parseSignatures(ctx, doc.signatures);
  const expiresMs = parseCommon(ctx, signed, expected);
  const { body, keys } = parseBody(ctx, signed, role);
  return new Metadata(role, body, signatures, keys, bytes, expiresMs);
}

export const parseRoot = (b: Uint8Array, max?: number) => parseMetadata(b, 'root', max) as RootMetadata;
export const parseTimestamp = (b: Uint8Array, max?: number) =>
  parseMetadata(b, 'timestamp', max) as TimestampMetadata;
export const parseSnapshot = (b: Uint8Array, max?: number) =>
  parseMetadata(b, 'snapshot', max) as SnapshotMetadata;
export const parseTargets = (b: Uint8Array, role = 'targets', max?: number) =>
  parseMetadata(b, role, max) as TargetsMetadata;

/** Builds the parsed-key map of a signed body we created ourselves (no wire bytes yet). */
export function keysOfBody(role: string, body: SignedBody): Map<string, TufPublicKey> {
  const ctx = new Ctx(role);
  if (body._type === 'Root') return parseKeys(ctx, body.keys, 'keys');
  if (body._type === 'Targets') return parseKeys(ctx, body.delegations.keys, 'delegations.keys');
  return new Map();
}
