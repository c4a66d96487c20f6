/**
 * The pure core of the TUF 1.0 repository writer: repository state + signing
 * keys in, metadata files `{name -> bytes}` out. No file system, no clock, no
 * network: the file-system adapter (`fs.ts`) and the registry publisher put
 * the same files on disk or into OCI layers.
 *
 * Layout, consistent snapshots (the default): every root version as
 * `N.root.json`, `timestamp.json`, `N.snapshot.json`, `N.targets.json` and
 * `N.<role>.json` (role percent-encoded) for every delegated role. With
 * `consistent_snapshot: false`: root still `N.root.json` (spec 5.3.3: clients
 * walk versioned roots either way), everything else unversioned
 * (`snapshot.json`, `targets.json`, `<role>.json`), overwritten by each commit.
 *
 * Rules the writer enforces:
 * - versions only go up: every role it re-signs gets `version + 1`;
 * - a change to any targets role re-signs snapshot; every commit re-signs
 *   timestamp (so a commit is always visible to clients);
 * - a new root is signed by a threshold of the previous root's keys *and* of
 *   its own (spec 5.3.4), so clients can walk `N.root.json` -> `N+1.root.json`;
 * - a role is only written when a threshold of its keys signs it: a missing
 *   key is a LocalError KEY_NOT_FOUND naming the role, never a half-signed file;
 * - fields the writer does not know are kept as they are (and re-signed).
 *
 * Typical use:
 *   const w = Tuf1Writer.init({ keys: { root: [rootKey], targets: [t], snapshot: [s], timestamp: [ts] } });
 *   w.addTarget('v1', { length, hashes: { sha256 } });
 *   const { files } = w.commit(signers, { now: Date.now() });
 *   // later: Tuf1Writer.fromFiles(files) ...
 */
import { sha256 } from '../../crypto/backend.js';
import { parseTuf1KeyDeferred } from '../../crypto/tuf1.js';
import type { TufPublicKey } from '../../crypto/types.js';
import { toHex } from '../../crypto/util.js';
import { olpcCanonicalBytes } from '../../encoding/olpc.js';
import { FormatError, LocalError, VerificationError } from '../../errors.js';
import { setOwn } from '../../metadata/parse.js';
import {
  delegationFor,
  encodeTuf1Envelope,
  formatTuf1Expires,
  parseTuf1,
  TUF1_SPEC_VERSION,
  TUF1_TOP_LEVEL,
  type Tuf1DelegatedRoleJson,
  type Tuf1DelegationsJson,
  type Tuf1KeyJson,
  type Tuf1Metadata,
  type Tuf1MetaFileJson,
  type Tuf1RoleJson,
  type Tuf1RoleKeys,
  type Tuf1Root,
  type Tuf1RootSigned,
  type Tuf1SignatureJson,
  type Tuf1Signed,
  type Tuf1Snapshot,
  type Tuf1SnapshotSigned,
  type Tuf1TargetFileJson,
  type Tuf1Targets,
  type Tuf1TargetsSigned,
  type Tuf1Timestamp,
  type Tuf1TimestampSigned,
  type Tuf1TopLevelRoleName,
  tuf1ExpiresMs,
  tuf1FromJson,
  tuf1MetadataFileName,
} from '../../metadata/tuf1.js';
import { checkTuf1FileMeta } from '../../trust/filemeta.js';
import { validSignerIds } from '../../trust/signatures.js';
import { TUF1_ROOT_GUN_FIELD } from '../../trust/tuf1-pins.js';
import { type Tuf1PublicKey, type Tuf1Signer, tuf1KeyJson } from './keys.js';

const DAY_MS = 24 * 3600_000;

/** Which lifetime an expiry applies to: a top-level role, or delegated targets roles. */
export type Tuf1ExpiryKind = Tuf1TopLevelRoleName | 'delegation';

/** Default lifetimes of what the writer signs. */
export const TUF1_DEFAULT_EXPIRY_MS: Readonly<Record<Tuf1ExpiryKind, number>> = {
  root: 365 * DAY_MS,
  targets: 365 * DAY_MS,
  delegation: 365 * DAY_MS,
  snapshot: 30 * DAY_MS,
  timestamp: 7 * DAY_MS,
};

/** `refresh()` re-signs a role when it expires within this window (timestamp: always). */
export const TUF1_DEFAULT_RENEW_WITHIN_MS: Readonly<Record<Exclude<Tuf1ExpiryKind, 'timestamp'>, number>> = {
  root: 30 * DAY_MS,
  targets: 30 * DAY_MS,
  delegation: 30 * DAY_MS,
  snapshot: 15 * DAY_MS,
};

/** Limits on what the writer accepts (a repository is a document clients must be able to read). */
const MAX_ROLE_NAME = 255;
const MAX_TARGET_PATH = 4096;
const MAX_THRESHOLD = 256;

export interface RoleKeys {
  keys: readonly Tuf1PublicKey[];
  /** Default 1. */
  threshold?: number;
}

/** Keys and settings of a new TUF 1.0 repository for `Tuf1Writer.init`. */
export interface Tuf1InitOptions {
  /** Public keys of the four top-level roles (the root key stays offline; only its signer is needed to commit). */
  keys: Record<Tuf1TopLevelRoleName, readonly Tuf1PublicKey[]>;
  thresholds?: Partial<Record<Tuf1TopLevelRoleName, number>>;
  /**
   * Root's `consistent_snapshot` (default true): versioned file names for snapshot and targets
   * roles (and `<hash>.<name>` target files), so readers never see a mix of two commits.
   * False writes them unversioned (root stays `N.root.json`), as non-consistent clients expect.
   */
  consistentSnapshot?: boolean;
  /**
   * The GUN the repository is about, signed into root as `x-content-trust-gun` (registry-hosted
   * trust): a client of one repository then refuses the roots of another signed with the same root
   * key (src/trust/tuf1-pins.ts `checkTuf1RootGun`). Kept by every later root version.
   */
  gun?: string;
}

/** A target to add: its length, hashes and optional custom data. */
export interface Tuf1TargetInfo {
  length: number;
  /** Hex digests; at least `sha256`. */
  hashes: Record<string, string>;
  custom?: unknown;
}

/** A delegation to add to a targets role: name, keys, threshold, terminating, paths or hash prefixes. */
export interface Tuf1DelegationSpec {
  name: string;
  keys: readonly Tuf1PublicKey[];
  threshold?: number;
  /** Glob patterns (spec 4.5); exactly one of `paths` / `pathHashPrefixes`. */
  paths?: readonly string[];
  pathHashPrefixes?: readonly string[];
  terminating?: boolean;
}

/** Options of one writer commit: the clock and expiry lifetimes of what is signed. */
export interface Tuf1CommitOptions {
  /** Wall-clock time in ms (the core never reads the clock). */
  now: number;
  /** Lifetimes of what this commit signs (defaults: TUF1_DEFAULT_EXPIRY_MS). */
  expiresIn?: Partial<Record<Tuf1ExpiryKind, number>>;
  /** Snapshot/timestamp list `length` and `hashes.sha256` of the files they pin. Default true. */
  metaHashes?: boolean;
}

/** Options of a timestamp/snapshot refresh: commit options plus how close to expiry triggers a re-sign. */
export interface Tuf1RefreshOptions extends Tuf1CommitOptions {
  renewWithin?: Partial<Record<Exclude<Tuf1ExpiryKind, 'timestamp'>, number>>;
}

/** The files one writer commit produced (`name -> bytes`) and the roles it re-signed with their new versions. */
export interface Tuf1CommitResult {
  /**
   * Files written by this commit. Consistent snapshots: new names only (nothing is overwritten but
   * timestamp.json); otherwise snapshot.json and the targets roles' files are overwritten too.
   */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Roles re-signed, with their new versions. */
  readonly signed: ReadonlyMap<string, number>;
}

/** What a refresh re-signed (if anything), and which roles near expiry it could not re-sign. */
export interface Tuf1RefreshResult extends Tuf1CommitResult {
  /** Roles that expire within their renew window but could not be re-signed (no key), with their expiry. */
  readonly expiring: ReadonlyMap<string, string>;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function sameKeyJson(a: Tuf1KeyJson, b: Tuf1KeyJson): boolean {
  return a.keytype === b.keytype && a.scheme === b.scheme && a.keyval.public === b.keyval.public;
}

function usage(message: string): LocalError {
  return new LocalError('USAGE', message);
}

function checkThreshold(threshold: number, keys: number, what: string): void {
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > MAX_THRESHOLD)
    throw usage(`${what}: threshold must be an integer from 1 to ${MAX_THRESHOLD}`);
  if (keys < threshold)
    throw usage(`${what}: threshold ${threshold} needs at least ${threshold} keys, got ${keys}`);
}

function uniqueKeys(keys: readonly Tuf1PublicKey[], what: string): Tuf1PublicKey[] {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.keyid)) throw usage(`${what}: key ${k.keyid.slice(0, 7)} listed twice`);
    seen.add(k.keyid);
  }
  return [...keys];
}

function checkRoleName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ROLE_NAME)
    throw usage(`delegated role name must be 1-${MAX_ROLE_NAME} characters`);
  if ((TUF1_TOP_LEVEL as readonly string[]).includes(name))
    throw usage(`${name} is a top-level role, not a delegation`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw usage('delegated role name has control characters');
}

function checkTargetPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_TARGET_PATH)
    throw usage(`target path must be 1-${MAX_TARGET_PATH} characters`);
  // Spec 4.5: paths are relative, '/'-separated; no empty, '.' or '..' segment (they would escape a target dir).
  if (path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..'))
    throw usage(`target path ${JSON.stringify(path)} must be relative without empty, '.' or '..' segments`);
}

function checkTargetInfo(info: Tuf1TargetInfo): Tuf1TargetFileJson {
  if (!Number.isSafeInteger(info.length) || info.length < 0)
    throw usage('target length must be a non-negative integer');
  const hashes: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(info.hashes ?? {})) {
    if (!/^[a-z0-9-]{1,32}$/.test(alg)) throw usage(`bad hash algorithm name ${JSON.stringify(alg)}`);
    if (typeof hex !== 'string' || !/^(?:[0-9a-f]{2}){16,64}$/.test(hex))
      throw usage(`${alg} hash must be lower-case hex`);
    setOwn(hashes, alg, hex);
  }
  if (hashes.sha256 === undefined || hashes.sha256.length !== 64)
    throw usage('target needs a sha256 hash (64 hex)');
  const out: Tuf1TargetFileJson = { length: info.length, hashes };
  if (info.custom !== undefined) {
    olpcCanonicalBytes(info.custom); // must be canonical-JSON encodable (no floats)
    out.custom = clone(info.custom);
  }
  return out;
}

function metaOf(doc: Tuf1Metadata, withHashes: boolean): Tuf1MetaFileJson {
  const m: Tuf1MetaFileJson = { version: doc.json.version };
  if (withHashes) {
    m.length = doc.bytes.length;
    m.hashes = { sha256: toHex(sha256(doc.bytes)) };
  }
  return m;
}

/** Signs `signed` with every signer whose key id is in `keyids` (ordered by key id). */
function signWith(signed: Tuf1Signed, keyids: Iterable<string>, signers: ReadonlyMap<string, Tuf1Signer>) {
  const message = olpcCanonicalBytes(signed);
  const sigs: Tuf1SignatureJson[] = [];
  for (const id of [...new Set(keyids)].sort()) {
    const s = signers.get(id);
    if (s) sigs.push({ keyid: id, sig: toHex(s.sign(message)) });
  }
  return sigs;
}

function signerMap(signers: Iterable<Tuf1Signer>): Map<string, Tuf1Signer> {
  const m = new Map<string, Tuf1Signer>();
  for (const s of signers) m.set(s.key.keyid, s);
  return m;
}

function needThreshold(
  role: string,
  role_: Tuf1RoleJson,
  signers: ReadonlyMap<string, Tuf1Signer>,
  what = '',
): void {
  const have = role_.keyids.filter((id) => signers.has(id)).length;
  if (have < role_.threshold) {
    const missing = role_.keyids.filter((id) => !signers.has(id)).map((id) => id.slice(0, 7));
    throw new LocalError(
      'KEY_NOT_FOUND',
      `cannot sign ${role}${what}: ${role_.threshold} of its keys are needed, ${have} available (missing ${missing.join(', ')})`,
      { role, expected: String(role_.threshold), actual: String(have) },
    );
  }
}

function badRepo(message: string, role?: string): FormatError {
  return new FormatError(
    'BAD_METADATA',
    `TUF 1.0 repository: ${message}`,
    role === undefined ? {} : { role },
  );
}

/** Options of `Tuf1Writer.fromFiles`: whether every signature threshold is checked on load (default yes). */
export interface Tuf1FromFilesOptions {
  /**
   * Check every signature threshold on load (default true): root N by root
   * N-1 and itself, timestamp/snapshot/targets by root, delegated roles by
   * their parent. A writer must not re-sign content nobody signed.
   * The lowest root version present is trusted as given (pin it elsewhere).
   */
  verify?: boolean;
}

/** Parses one metadata file strictly, with the dialect's parser (metadata/tuf1.ts). */
function parseDoc(bytes: Uint8Array, role: string, type: Tuf1TopLevelRoleName): Tuf1Metadata {
  return parseTuf1(bytes, type as 'root', role) as Tuf1Metadata;
}

/**
 * Distinct keys of `role` whose signatures over `m` verify must reach its threshold: the client's
 * rule (trust/signatures.ts: listed and signed keys only, prepared on first use, one per key).
 */
function checkThresholdOf(
  m: Tuf1Metadata,
  keys: ReadonlyMap<string, TufPublicKey>,
  role: Tuf1RoleKeys,
  what: string,
): void {
  const set = { role: m.role, keyids: role.keyids, threshold: role.threshold, keys };
  const { valid } = validSignerIds(m, set);
  if (valid.length < role.threshold) {
    throw new VerificationError(
      'THRESHOLD',
      `TUF 1.0 repository: ${what} has ${valid.length} valid signatures, ${role.threshold} needed`,
      { role: m.role, version: m.version, expected: String(role.threshold), actual: String(valid.length) },
    );
  }
}

/**
 * A TUF 1.0 repository being edited. Holds the last committed documents and
 * pending edits; `commit()` signs what changed and returns the new files.
 */
export class Tuf1Writer {
  /** Committed root history, ascending by version; the last one is current. */
  #roots: Tuf1Root[] = [];
  /** Committed targets roles (`targets` and delegated), by role name. */
  #targets = new Map<string, Tuf1Targets>();
  #snapshot: Tuf1Snapshot | undefined;
  #timestamp: Tuf1Timestamp | undefined;

  // Pending edits (copies of `signed`, made on first touch).
  #draftRoot: Tuf1RootSigned | undefined;
  #draftTargets = new Map<string, Tuf1TargetsSigned>();
  #removedRoles = new Set<string>();
  #resignSnapshot = false;

  private constructor() {}

  /** A new repository (nothing committed yet): root v1 and empty targets are signed by the first commit. */
  static init(options: Tuf1InitOptions): Tuf1Writer {
    const w = new Tuf1Writer();
    const keys: Record<string, Tuf1KeyJson> = {};
    const roles = {} as Record<Tuf1TopLevelRoleName, Tuf1RoleJson>;
    for (const r of TUF1_TOP_LEVEL) {
      const list = uniqueKeys(options.keys[r] ?? [], r);
      const threshold = options.thresholds?.[r] ?? 1;
      checkThreshold(threshold, list.length, `${r} role`);
      for (const k of list) keys[k.keyid] = tuf1KeyJson(k);
      roles[r] = { keyids: list.map((k) => k.keyid), threshold };
    }
    w.#draftRoot = {
      _type: 'root',
      spec_version: TUF1_SPEC_VERSION,
      version: 0, // commit() makes it 1
      expires: '',
      consistent_snapshot: options.consistentSnapshot ?? true,
      keys,
      roles,
      ...(options.gun !== undefined ? { [TUF1_ROOT_GUN_FIELD]: options.gun } : {}),
    };
    w.#draftTargets.set('targets', emptyTargets());
    return w;
  }

  /**
   * Loads a repository from its files (`N.root.json`..., `timestamp.json`,
   * and the versioned files timestamp/snapshot name). Only structure is
   * checked: load files you wrote or verified (e.g. with the client).
   */
  static fromFiles(
    files: ReadonlyMap<string, Uint8Array> | Iterable<readonly [string, Uint8Array]>,
    options: Tuf1FromFilesOptions = {},
  ): Tuf1Writer {
    const verify = options.verify ?? true;
    const map = files instanceof Map ? (files as ReadonlyMap<string, Uint8Array>) : new Map(files);
    const w = new Tuf1Writer();
    const rootVersions = [...map.keys()]
      .map((n) => /^([1-9][0-9]{0,15})\.root\.json$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    if (rootVersions.length === 0) throw badRepo('no N.root.json file', 'root');
    let root: Tuf1Root | undefined;
    for (const v of rootVersions) {
      const next = parseDoc(map.get(`${v}.root.json`) as Uint8Array, 'root', 'root') as Tuf1Root;
      if (next.version !== v) throw badRepo(`${v}.root.json holds version ${next.version}`, 'root');
      if (root && v !== root.version + 1)
        throw badRepo(`root versions jump from ${root.version} to ${v}`, 'root');
      if (verify) {
        if (root)
          checkThresholdOf(next, root.keys, root.body.roles.root, `${v}.root.json (by root ${root.version})`);
        checkThresholdOf(next, next.keys, next.body.roles.root, `${v}.root.json`);
      }
      w.#roots.push(next);
      root = next;
    }
    const current = root as Tuf1Root;
    // consistent_snapshot false: snapshot and targets roles under unversioned names (root stays N.root.json)
    const versioned = current.body.consistentSnapshot;
    const rootKeys = current.keys;
    const tsBytes = map.get('timestamp.json');
    if (tsBytes === undefined) throw badRepo('no timestamp.json', 'timestamp');
    const ts = parseDoc(tsBytes, 'timestamp', 'timestamp') as Tuf1Timestamp;
    if (verify) checkThresholdOf(ts, rootKeys, current.body.roles.timestamp, 'timestamp.json');
    w.#timestamp = ts;
    const snapMeta = ts.body.snapshotMeta;
    const snapName = tuf1MetadataFileName('snapshot', versioned ? snapMeta.version : undefined);
    const snapBytes = map.get(snapName);
    if (snapBytes === undefined) throw badRepo(`missing ${snapName}`, 'snapshot');
    checkTuf1FileMeta(snapBytes, snapMeta, snapName, 'timestamp');
    const snap = parseDoc(snapBytes, 'snapshot', 'snapshot') as Tuf1Snapshot;
    if (snap.version !== snapMeta.version) throw badRepo(`${snapName} holds version ${snap.version}`);
    if (verify) checkThresholdOf(snap, rootKeys, current.body.roles.snapshot, snapName);
    w.#snapshot = snap;
    const listed = snap.body.meta;
    // Load the roles reachable from `targets`; snapshot may also list retired roles (removed
    // delegations stay listed, spec 5.5.5), whose files need not be there.
    const queue: { role: string; keys: ReadonlyMap<string, TufPublicKey>; entry: Tuf1RoleKeys }[] = [
      { role: 'targets', keys: rootKeys, entry: current.body.roles.targets },
    ];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      const { role } = item;
      if (w.#targets.has(role)) throw badRepo(`role ${role} is delegated twice`, role);
      const meta = listed.get(`${role}.json`);
      if (!meta) throw badRepo(`snapshot does not list ${role}.json`, 'snapshot');
      if (!versioned && /^[0-9]+\./.test(role))
        throw badRepo(
          `role ${role} has a file name that looks versioned (consistent_snapshot is false)`,
          role,
        );
      const name = tuf1MetadataFileName(role, versioned ? meta.version : undefined);
      const bytes = map.get(name);
      if (bytes === undefined) throw badRepo(`missing ${name}`, role);
      checkTuf1FileMeta(bytes, meta, name, 'snapshot');
      const t = parseDoc(bytes, role, 'targets') as Tuf1Targets;
      if (t.version !== meta.version) throw badRepo(`${name} holds version ${t.version}`, role);
      if (verify) checkThresholdOf(t, item.keys, item.entry, name);
      w.#targets.set(role, t);
      const d = t.body.delegations;
      for (const child of delegatedNames(t.json.delegations)) {
        const entry = delegationFor(d, child);
        if (d && entry) queue.push({ role: child, keys: t.keys, entry });
      }
    }
    return w;
  }

  // ---------------------------------------------------------------------------------------
  // Reading

  /** The root as it will be signed next (pending edits included). */
  get root(): Readonly<Tuf1RootSigned> {
    return this.#draftRoot ?? this.#currentRoot().json;
  }

  /** Names of all targets roles (`targets` and delegated). */
  get targetsRoles(): string[] {
    const names = new Set<string>(this.#targets.keys());
    for (const n of this.#draftTargets.keys()) names.add(n);
    for (const n of this.#removedRoles) names.delete(n);
    return [...names];
  }

  /** A targets role as it will be signed next. */
  targetsOf(role = 'targets'): Readonly<Tuf1TargetsSigned> {
    const d =
      this.#draftTargets.get(role) ??
      (this.#removedRoles.has(role) ? undefined : this.#targets.get(role)?.json);
    if (!d)
      throw new LocalError('USAGE', `no targets role ${JSON.stringify(role)} in this repository`, { role });
    return d;
  }

  /**
   * Key entries the next `commit()` signs with (pending edits included): a
   * new root's and the previous root's keys, the keys of every changed
   * targets role, snapshot's when it is due, timestamp's always. Lets a
   * caller unlock only the keys it needs (the offline root key only when
   * root changes).
   */
  keysNeeded(): Map<string, Tuf1KeyJson> {
    const out = new Map<string, Tuf1KeyJson>();
    const root = this.root;
    const add = (ids: readonly string[], keys: Readonly<Record<string, Tuf1KeyJson>> | undefined) => {
      for (const id of ids) {
        const key = keys?.[id];
        if (key) out.set(id, key);
      }
    };
    if (this.#draftRoot) {
      add(root.roles.root.keyids, root.keys);
      const prev = this.#roots.at(-1)?.json;
      if (prev) add(prev.roles.root.keyids, prev.keys);
    }
    for (const name of this.#draftTargets.keys()) {
      if (name === 'targets') add(root.roles.targets.keyids, root.keys);
      else {
        const parent = this.#parentOf(name);
        const d = parent === undefined ? undefined : this.targetsOf(parent).delegations;
        add(d?.roles?.find((r) => r.name === name)?.keyids ?? [], d?.keys);
      }
    }
    if (!this.#snapshot || this.#draftTargets.size > 0 || this.#removedRoles.size > 0 || this.#resignSnapshot)
      add(root.roles.snapshot.keyids, root.keys);
    add(root.roles.timestamp.keyids, root.keys);
    return out;
  }

  /** Whether there are uncommitted edits. */
  get dirty(): boolean {
    return (
      this.#draftRoot !== undefined ||
      this.#draftTargets.size > 0 ||
      this.#removedRoles.size > 0 ||
      this.#resignSnapshot
    );
  }

  /** The complete current file set: every root version, timestamp, and the current snapshot and targets roles. */
  files(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const root = this.#roots.at(-1)?.json;
    for (const r of this.#roots) out.set(tuf1MetadataFileName('root', r.version), r.bytes);
    for (const [role, doc] of this.#targets) out.set(fileNameOf(root, role, doc.version), doc.bytes);
    if (this.#snapshot) out.set(fileNameOf(root, 'snapshot', this.#snapshot.version), this.#snapshot.bytes);
    if (this.#timestamp) out.set('timestamp.json', this.#timestamp.bytes);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Edits

  /** Adds or replaces a target in `role` (default `targets`). */
  addTarget(path: string, info: Tuf1TargetInfo, role = 'targets'): void {
    checkTargetPath(path);
    const file = checkTargetInfo(info);
    setOwn(this.#editTargets(role).targets, path, file);
  }

  /** Removes a target; false when `role` did not list it. */
  removeTarget(path: string, role = 'targets'): boolean {
    if (!Object.hasOwn(this.targetsOf(role).targets, path)) return false;
    delete this.#editTargets(role).targets[path];
    return true;
  }

  /**
   * Delegates from `parent` (default `targets`) to a new role, which starts
   * empty, or updates an existing delegation (keys, threshold, paths,
   * terminating; the role's targets are kept and it is re-signed, unless
   * `keepSignatures`: then its committed signatures are kept, see `validSignatures`).
   */
  addDelegation(
    spec: Tuf1DelegationSpec,
    parent = 'targets',
    options: { keepSignatures?: boolean } = {},
  ): void {
    checkRoleName(spec.name);
    // unversioned `<role>.json` must not look like a versioned file (`1.root.json`)
    if (this.root.consistent_snapshot === false && /^[0-9]+\./.test(spec.name))
      throw usage(
        `delegated role ${spec.name}: without consistent snapshots its file name would look versioned`,
      );
    const keys = uniqueKeys(spec.keys, spec.name);
    const threshold = spec.threshold ?? 1;
    checkThreshold(threshold, keys.length, `delegation ${spec.name}`);
    if ((spec.paths === undefined) === (spec.pathHashPrefixes === undefined))
      throw usage(`delegation ${spec.name}: give exactly one of paths and path hash prefixes`);
    for (const p of spec.paths ?? []) {
      if (typeof p !== 'string' || p.length === 0 || p.length > MAX_TARGET_PATH || /[\u0000-\u001f]/.test(p))
        throw usage(`delegation ${spec.name}: bad path pattern ${JSON.stringify(p)}`);
    }
    for (const p of spec.pathHashPrefixes ?? []) {
      if (typeof p !== 'string' || !/^[0-9a-f]{1,64}$/.test(p))
        throw usage(`delegation ${spec.name}: path hash prefixes are lower-case hex`);
    }
    const existingParent = this.#parentOf(spec.name);
    if (existingParent !== undefined && existingParent !== parent)
      throw usage(`role ${spec.name} is already delegated by ${existingParent}`);
    const p = this.#editTargets(parent);
    const delegations: Tuf1DelegationsJson = p.delegations ?? { keys: {}, roles: [] };
    if (!Array.isArray(delegations.roles))
      throw usage(`${parent} uses succinct hash-bin delegations; this writer cannot add roles next to them`);
    p.delegations = delegations;
    const prev = delegations.roles.find((r) => r.name === spec.name);
    const entry: Tuf1DelegatedRoleJson = prev ?? {
      name: spec.name,
      keyids: [],
      threshold: 1,
      terminating: false,
    };
    entry.keyids = keys.map((k) => k.keyid);
    entry.threshold = threshold;
    entry.terminating = spec.terminating ?? false;
    delete entry.paths;
    delete entry.path_hash_prefixes;
    if (spec.paths !== undefined) entry.paths = [...spec.paths];
    else entry.path_hash_prefixes = [...(spec.pathHashPrefixes as readonly string[])];
    if (!prev) delegations.roles.push(entry);
    for (const k of keys) {
      const have = delegations.keys[k.keyid];
      if (have && !sameKeyJson(have, tuf1KeyJson(k)))
        throw usage(`key id ${k.keyid.slice(0, 7)} names another key`);
      if (!have) delegations.keys[k.keyid] = tuf1KeyJson(k);
    }
    pruneKeys(delegations);
    this.#removedRoles.delete(spec.name);
    if (!this.#exists(spec.name)) this.#draftTargets.set(spec.name, emptyTargets());
    else if (!options.keepSignatures) this.#editTargets(spec.name);
  }

  /**
   * Key ids of `role`'s keys (as the role will be delegated next, pending edits included) whose
   * signatures over its committed metadata verify; empty for a role not committed yet. With
   * `addDelegation(..., { keepSignatures: true })` a caller checks that a role it does not re-sign
   * still meets its threshold (else `touchTargets` it, or remove it).
   */
  validSignatures(role: string): string[] {
    const doc = this.#removedRoles.has(role) ? undefined : this.#targets.get(role);
    if (!doc) return [];
    let entry: Tuf1RoleJson;
    let keys: Readonly<Record<string, Tuf1KeyJson>> | undefined;
    if (role === 'targets') {
      entry = this.root.roles.targets;
      keys = this.root.keys;
    } else {
      entry = this.#delegationEntry(role);
      keys = this.targetsOf(this.#parentOf(role) as string).delegations?.keys;
    }
    const map = new Map<string, TufPublicKey>();
    for (const id of entry.keyids) {
      const json = keys?.[id];
      if (!json) continue;
      try {
        map.set(id, parseTuf1KeyDeferred(json, `key ${id}`).key);
      } catch {
        // an unusable key signs nothing
      }
    }
    // threshold 0: every valid signer (the client's rule: listed keys only, one per distinct key)
    return validSignerIds(doc, { role, keyids: entry.keyids, threshold: 0, keys: map }).valid;
  }

  /** Marks a targets role (top-level or delegated) for re-signing without other changes. */
  touchTargets(role = 'targets'): void {
    this.#editTargets(role);
  }

  /** Removes a delegation and its role (and roles only it delegated to). False when absent. */
  removeDelegation(name: string, parent = 'targets'): boolean {
    const d = this.targetsOf(parent).delegations;
    if (!d || !Array.isArray(d.roles) || !d.roles.some((r) => r.name === name)) return false;
    const p = this.#editTargets(parent);
    const del = p.delegations as Tuf1DelegationsJson;
    del.roles = (del.roles ?? []).filter((r) => r.name !== name);
    pruneKeys(del);
    const drop = (role: string): void => {
      const t = this.#draftTargets.get(role) ?? this.#targets.get(role)?.json;
      this.#draftTargets.delete(role);
      this.#removedRoles.add(role);
      for (const child of Array.isArray(t?.delegations?.roles) ? t.delegations.roles : []) drop(child.name);
    };
    drop(name);
    return true;
  }

  /**
   * Rotates the keys (and threshold) of a top-level role. Root changes are
   * signed by the old and the new root keys; a new targets/snapshot/timestamp
   * key re-signs its role.
   */
  setRoleKeys(role: Tuf1TopLevelRoleName, keys: readonly Tuf1PublicKey[], threshold = 1): void {
    if (!(TUF1_TOP_LEVEL as readonly string[]).includes(role)) throw usage(`${role} is not a top-level role`);
    const list = uniqueKeys(keys, role);
    checkThreshold(threshold, list.length, `${role} role`);
    const root = this.#editRoot();
    root.roles[role] = { ...root.roles[role], keyids: list.map((k) => k.keyid), threshold };
    for (const k of list) {
      const have = root.keys[k.keyid];
      if (have && !sameKeyJson(have, tuf1KeyJson(k)))
        throw usage(`key id ${k.keyid.slice(0, 7)} names another key`);
      if (!have) root.keys[k.keyid] = tuf1KeyJson(k);
    }
    const used = new Set(TUF1_TOP_LEVEL.flatMap((r) => root.roles[r].keyids));
    for (const id of Object.keys(root.keys)) if (!used.has(id)) delete root.keys[id];
    if (role === 'targets') this.#editTargets('targets');
    if (role === 'snapshot') this.#resignSnapshot = true;
  }

  /** Marks the root for re-signing (new version, new expiry) without other changes. */
  touchRoot(): void {
    this.#editRoot();
  }

  // ---------------------------------------------------------------------------------------
  // Signing

  /**
   * Signs everything that changed (root, targets roles, then snapshot and
   * timestamp) with `signers`, returns the new files and makes them the
   * committed state. On a missing key nothing changes (LocalError KEY_NOT_FOUND).
   */
  commit(signers: Iterable<Tuf1Signer>, options: Tuf1CommitOptions): Tuf1CommitResult {
    const keys = signerMap(signers);
    const now = options.now;
    if (!Number.isFinite(now)) throw usage('commit needs the current time');
    const expiry = { ...TUF1_DEFAULT_EXPIRY_MS, ...options.expiresIn };
    for (const [k, v] of Object.entries(expiry))
      if (!Number.isSafeInteger(v) || v <= 0) throw usage(`expiry for ${k} must be a positive number of ms`);
    const withHashes = options.metaHashes ?? true;
    const files = new Map<string, Uint8Array>();
    const signedRoles = new Map<string, number>();

    // 1. root
    let roots = this.#roots;
    if (this.#draftRoot) {
      const prev = this.#roots.at(-1);
      const signed: Tuf1RootSigned = { ...clone(this.#draftRoot), version: (prev?.json.version ?? 0) + 1 };
      signed.expires = formatTuf1Expires(now + expiry.root);
      needThreshold('root', signed.roles.root, keys);
      if (prev)
        needThreshold('root', prev.json.roles.root, keys, ` (version ${signed.version} as the old root)`);
      const ids = [...signed.roles.root.keyids, ...(prev?.json.roles.root.keyids ?? [])];
      const doc = this.#seal(signed, signWith(signed, ids, keys));
      roots = [...this.#roots, doc];
      files.set(tuf1MetadataFileName('root', signed.version), doc.bytes);
      signedRoles.set('root', signed.version);
    }
    const root = (roots.at(-1) as Tuf1Root).json;

    // 2. targets roles: top-level first, then delegations (their role entries come from the new parents)
    const targets = new Map(this.#targets);
    for (const r of this.#removedRoles) targets.delete(r);
    const drafts = new Map(this.#draftTargets);
    // a delegation whose keys or threshold changed keeps its committed metadata (addDelegation's
    // keepSignatures) only while a threshold of its new keys still signs it
    for (const [parent, draft] of drafts) {
      const before = this.#targets.get(parent)?.json.delegations?.roles;
      for (const e of Array.isArray(draft.delegations?.roles) ? draft.delegations.roles : []) {
        if (drafts.has(e.name) || !targets.has(e.name)) continue;
        const old = Array.isArray(before) ? before.find((r) => r.name === e.name) : undefined;
        if (old && old.threshold === e.threshold && old.keyids.join() === e.keyids.join()) continue;
        if (this.validSignatures(e.name).length < e.threshold)
          throw new LocalError(
            'KEY_NOT_FOUND',
            `cannot keep ${e.name} as it is: a threshold of its new keys does not sign it (re-sign or remove it)`,
            { role: e.name },
          );
      }
    }
    // a delegated role's entry comes from its parent as it will be committed
    const parents = [
      ...drafts.values(),
      ...[...targets].filter(([n]) => !drafts.has(n)).map(([, d]) => d.json),
    ];
    const roleOf = (name: string): Tuf1RoleJson => {
      if (name === 'targets') return root.roles.targets;
      for (const t of parents) {
        const e = Array.isArray(t.delegations?.roles)
          ? t.delegations.roles.find((r) => r.name === name)
          : undefined;
        if (e) return e;
      }
      throw usage(`role ${name} is not delegated by any targets role`);
    };
    for (const [name, draft] of drafts) {
      // a role removed earlier and delegated again continues from the version snapshot still lists
      const prevVersion = Math.max(
        this.#targets.get(name)?.json.version ?? 0,
        this.#snapshot?.json.meta[`${name}.json`]?.version ?? 0,
      );
      const signed: Tuf1TargetsSigned = { ...clone(draft), version: prevVersion + 1 };
      signed.expires = formatTuf1Expires(now + (name === 'targets' ? expiry.targets : expiry.delegation));
      const role = roleOf(name);
      needThreshold(name, role, keys);
      const doc = this.#seal(signed, signWith(signed, role.keyids, keys), name);
      targets.set(name, doc);
      files.set(fileNameOf(root, name, signed.version), doc.bytes);
      signedRoles.set(name, signed.version);
    }

    // 3. snapshot
    let snapshot = this.#snapshot;
    const snapshotNeeded =
      !snapshot || drafts.size > 0 || this.#removedRoles.size > 0 || this.#resignSnapshot;
    if (snapshotNeeded) {
      const base: Tuf1SnapshotSigned = snapshot ? clone(snapshot.json) : emptySnapshot();
      // Spec 5.5.5: a role once listed stays listed (clients treat a vanished entry as an
      // attack), so a removed delegation keeps its last entry.
      const meta: Record<string, Tuf1MetaFileJson> = { ...base.meta };
      for (const [name, doc] of targets) {
        const old = base.meta[`${name}.json`];
        const m = metaOf(doc, withHashes);
        // keep unknown fields of an unchanged entry
        setOwn(meta, `${name}.json`, old && old.version === m.version ? { ...old, ...m } : m);
      }
      const signed: Tuf1SnapshotSigned = {
        ...base,
        version: (snapshot?.json.version ?? 0) + 1,
        expires: formatTuf1Expires(now + expiry.snapshot),
        meta,
      };
      needThreshold('snapshot', root.roles.snapshot, keys);
      snapshot = this.#seal(signed, signWith(signed, root.roles.snapshot.keyids, keys));
      files.set(fileNameOf(root, 'snapshot', signed.version), snapshot.bytes);
      signedRoles.set('snapshot', signed.version);
    }

    // 4. timestamp, always
    const snap = snapshot as Tuf1Snapshot;
    const tsBase: Tuf1TimestampSigned = this.#timestamp ? clone(this.#timestamp.json) : emptyTimestamp();
    const tsSigned: Tuf1TimestampSigned = {
      ...tsBase,
      version: (this.#timestamp?.json.version ?? 0) + 1,
      expires: formatTuf1Expires(now + expiry.timestamp),
      meta: { 'snapshot.json': metaOf(snap, withHashes) },
    };
    needThreshold('timestamp', root.roles.timestamp, keys);
    const timestamp = this.#seal(tsSigned, signWith(tsSigned, root.roles.timestamp.keyids, keys));
    files.set('timestamp.json', timestamp.bytes);
    signedRoles.set('timestamp', tsSigned.version);

    // all signed: make it the committed state
    this.#roots = roots;
    this.#targets = targets;
    this.#snapshot = snapshot;
    this.#timestamp = timestamp;
    this.#draftRoot = undefined;
    this.#draftTargets.clear();
    this.#removedRoles.clear();
    this.#resignSnapshot = false;
    return { files, signed: signedRoles };
  }

  /**
   * Re-signs timestamp, and every role that expires within its renew window
   * and whose keys are in `signers` (snapshot; targets roles; root only when a
   * root threshold is available). Roles that need renewal but cannot be
   * re-signed are reported in `expiring`.
   */
  refresh(signers: Iterable<Tuf1Signer>, options: Tuf1RefreshOptions): Tuf1RefreshResult {
    const list = [...signers];
    const keys = signerMap(list);
    const within = { ...TUF1_DEFAULT_RENEW_WITHIN_MS, ...options.renewWithin };
    const expiring = new Map<string, string>();
    const soon = (expires: string, window: number) => !(tuf1ExpiresMs(expires) > options.now + window);
    const canSign = (role: Tuf1RoleJson) => role.keyids.filter((id) => keys.has(id)).length >= role.threshold;
    const root = this.root;
    if (soon(root.expires, within.root) && this.#roots.length > 0) {
      if (canSign(root.roles.root)) this.#editRoot();
      else expiring.set('root', root.expires);
    }
    for (const name of this.targetsRoles) {
      const t = this.targetsOf(name);
      if (!soon(t.expires, name === 'targets' ? within.targets : within.delegation)) continue;
      let role: Tuf1RoleJson | undefined;
      try {
        role = name === 'targets' ? this.root.roles.targets : this.#delegationEntry(name);
      } catch {
        role = undefined;
      }
      if (role && canSign(role)) this.#editTargets(name);
      else expiring.set(name, t.expires);
    }
    if (this.#snapshot && soon(this.#snapshot.json.expires, within.snapshot)) this.#resignSnapshot = true;
    const result = this.commit(list, options);
    return { ...result, expiring };
  }

  // ---------------------------------------------------------------------------------------

  #currentRoot(): Tuf1Root {
    const r = this.#roots.at(-1);
    if (!r) throw new LocalError('USAGE', 'the repository has no root yet');
    return r;
  }

  #editRoot(): Tuf1RootSigned {
    if (!this.#draftRoot) this.#draftRoot = clone(this.#currentRoot().json);
    return this.#draftRoot;
  }

  #exists(role: string): boolean {
    return !this.#removedRoles.has(role) && (this.#draftTargets.has(role) || this.#targets.has(role));
  }

  #editTargets(role: string): Tuf1TargetsSigned {
    let d = this.#draftTargets.get(role);
    if (!d) {
      const committed = this.#removedRoles.has(role) ? undefined : this.#targets.get(role);
      if (!committed)
        throw new LocalError('USAGE', `no targets role ${JSON.stringify(role)} in this repository`, { role });
      d = clone(committed.json);
      this.#draftTargets.set(role, d);
    }
    return d;
  }

  #parentOf(name: string): string | undefined {
    for (const parent of this.targetsRoles) {
      const roles = this.targetsOf(parent).delegations?.roles;
      if (Array.isArray(roles) && roles.some((r) => r.name === name)) return parent;
    }
    return undefined;
  }

  #delegationEntry(name: string): Tuf1DelegatedRoleJson {
    const parent = this.#parentOf(name);
    const e =
      parent === undefined
        ? undefined
        : this.targetsOf(parent).delegations?.roles?.find((r) => r.name === name);
    if (!e) throw usage(`role ${name} is not delegated`);
    return e;
  }

  /** Encodes a signed document and holds it as the client's model reads it (same validation as a parse). */
  #seal<T extends Tuf1Signed>(signed: T, signatures: Tuf1SignatureJson[], role: string = signed._type) {
    return tuf1FromJson(signed, signatures, encodeTuf1Envelope(signed, signatures), role);
  }
}

function emptyTargets(): Tuf1TargetsSigned {
  return { _type: 'targets', spec_version: TUF1_SPEC_VERSION, version: 0, expires: '', targets: {} };
}

function emptySnapshot(): Tuf1SnapshotSigned {
  return { _type: 'snapshot', spec_version: TUF1_SPEC_VERSION, version: 0, expires: '', meta: {} };
}

function emptyTimestamp(): Tuf1TimestampSigned {
  return { _type: 'timestamp', spec_version: TUF1_SPEC_VERSION, version: 0, expires: '', meta: {} };
}

/** Names a delegations object delegates to (explicit roles, or TAP 15 hash bins). */
function delegatedNames(d: Tuf1DelegationsJson | undefined): string[] {
  if (!d) return [];
  if (Array.isArray(d.roles)) return d.roles.map((r) => r.name).filter((n) => typeof n === 'string');
  const sr = d.succinct_roles as { bit_length?: unknown; name_prefix?: unknown } | undefined;
  if (sr && Number.isSafeInteger(sr.bit_length) && typeof sr.name_prefix === 'string') {
    const bits = sr.bit_length as number;
    if (bits < 1 || bits > 16)
      throw badRepo(`succinct hash bins with ${bits} bits are not supported by the writer`);
    const width = Math.ceil(bits / 4);
    return Array.from(
      { length: 2 ** bits },
      (_, i) => `${sr.name_prefix}-${i.toString(16).padStart(width, '0')}`,
    );
  }
  return [];
}

/**
 * File name of a snapshot or targets role's version under `root`: versioned with
 * consistent snapshots, else unversioned (root files are always versioned).
 */
function fileNameOf(root: Tuf1RootSigned | undefined, role: string, version: number): string {
  return tuf1MetadataFileName(role, root?.consistent_snapshot === false ? undefined : version);
}

/** Drops delegation keys no role uses any more. */
function pruneKeys(d: Tuf1DelegationsJson): void {
  const used = new Set((d.roles ?? []).flatMap((r) => r.keyids));
  for (const id of Object.keys(d.keys)) if (!used.has(id)) delete d.keys[id];
}
