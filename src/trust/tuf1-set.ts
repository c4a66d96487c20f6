/**
 * The trust state machine for the TUF 1.0 dialect (spec 5.3-5.7, in the shape
 * of python-tuf's TrustedMetadataSet). Pure and I/O-free: the updater moves
 * bytes, this decides. Load order:
 *
 *   trusted root -> root v+1 ... (each signed by a threshold of the previous
 *   AND of its own root keys; an expired intermediate root may only be used
 *   to load the next one) -> timestamp -> snapshot -> targets -> delegated
 *   targets (delegator first)
 *
 * Cached metadata goes through exactly the same door as fetched metadata: the
 * updater feeds the cached timestamp, then the remote one, so a version going
 * down or a role disappearing is caught by one code path whatever the source.
 *
 * Rules enforced (error codes of the shared TrustError table):
 * - signatures: a threshold of DISTINCT keys (key material, not key ids) the
 *   delegator lists for the role (THRESHOLD / BAD_SIGNATURE);
 * - `_type`, `spec_version` 1.x and the whole schema (WRONG_TYPE, BAD_METADATA);
 * - root: version exactly trusted+1; the final root must not be expired;
 * - timestamp: version >= trusted (equal: unchanged), its snapshot version
 *   >= trusted one (ROLLBACK); not expired (EXPIRED);
 * - snapshot: length/hashes from timestamp (unless it is our own cached copy),
 *   no role the trusted snapshot listed may disappear or go down (ROLLBACK),
 *   version == timestamp's snapshot version, not expired;
 * - targets and delegated targets: listed in snapshot, length/hashes when
 *   listed, version == snapshot's, not expired, signed per the delegator's
 *   delegation (which is re-checked when another delegator reaches the role).
 *
 * "Intermediate" metadata (python-tuf's term): an expired timestamp or a
 * snapshot whose version does not match is still recorded (for rollback
 * protection against the next one) but the update throws, so it is never
 * persisted and nothing is loaded on top of it.
 */

import { type Tuf1Key, verifyTuf1Signature } from '../crypto/tuf1.js';
import { TrustError, VerificationError } from '../errors.js';
import {
  delegationFor,
  parseTuf1,
  type Tuf1Metadata,
  type Tuf1MetaFile,
  type Tuf1RoleKeys,
  type Tuf1Root,
  type Tuf1Snapshot,
  type Tuf1Targets,
  type Tuf1Timestamp,
} from '../metadata/tuf1.js';
import { checkTuf1FileMeta } from './filemeta.js';

function expired(role: string, version: number, expires: string): VerificationError {
  return new VerificationError('EXPIRED', `${role} v${version} expired at ${expires}`, {
    role,
    version,
    expected: 'expiry after now',
    actual: expires,
  });
}

function rollback(role: string, expected: string, got: number, what = 'version'): VerificationError {
  return new VerificationError('ROLLBACK', `${role}: ${what} ${got}, expected ${expected}`, {
    role,
    version: got,
    expected,
    actual: String(got),
  });
}

function versionMismatch(role: string, expected: number, got: number, parent: string): VerificationError {
  return new VerificationError(
    'BAD_METADATA',
    `${role}: got version ${got}, but ${parent} lists version ${expected}`,
    { role, version: got, expected: String(expected), actual: String(got) },
  );
}

/**
 * Throws unless a threshold of distinct keys of `role` signed `md`. Key ids
 * that are listed but absent, unusable or whose signature fails do not count;
 * one key material listed under several ids counts once.
 */
export function checkTuf1Threshold(
  md: Tuf1Metadata,
  role: Tuf1RoleKeys,
  keys: ReadonlyMap<string, Tuf1Key>,
  what: string,
): void {
  const sigs = new Map(md.signatures.map((s) => [s.keyid, s.sig]));
  const counted = new Set<string>();
  let bad = 0;
  let message: Uint8Array | undefined;
  for (const id of role.keyids) {
    const key = keys.get(id);
    const sig = sigs.get(id);
    if (!key || !sig || counted.has(key.identity)) continue;
    message ??= md.canonicalBytes();
    if (verifyTuf1Signature(key, sig, message)) counted.add(key.identity);
    else bad++;
  }
  if (counted.size >= role.threshold) return;
  const details = {
    role: md.role,
    version: md.version,
    expected: `${role.threshold} signature(s) from distinct keys of ${what}`,
    actual: `${counted.size} valid`,
  };
  if (bad > 0 && counted.size === 0) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${md.role} v${md.version}: invalid signature(s) from ${what} keys`,
      details,
    );
  }
  throw new VerificationError(
    'THRESHOLD',
    `${md.role} v${md.version}: ${counted.size} valid signature(s) from distinct ${what} keys, threshold is ${role.threshold}`,
    details,
  );
}

export type Tuf1UpdateResult = 'updated' | 'unchanged';

export class Tuf1TrustedSet {
  readonly #now: () => number;
  /** Reference time of this refresh (spec 5.1: fixed at the start). */
  readonly referenceTime: number;
  #root: Tuf1Root;
  #timestamp: Tuf1Timestamp | undefined;
  #snapshot: Tuf1Snapshot | undefined;
  #targets = new Map<string, { md: Tuf1Targets; delegator: string }>();

  /** Starts from a trusted root (cached or given at init): it must be signed by its own root keys. */
  constructor(rootBytes: Uint8Array, now: () => number = Date.now) {
    this.#now = now;
    this.referenceTime = now();
    const root = parseTuf1(rootBytes, 'root');
    checkTuf1Threshold(root, root.body.roles.root, root.body.keys, 'root');
    this.#root = root;
  }

  get root(): Tuf1Root {
    return this.#root;
  }
  get timestamp(): Tuf1Timestamp | undefined {
    return this.#timestamp;
  }
  get snapshot(): Tuf1Snapshot | undefined {
    return this.#snapshot;
  }
  /** An accepted targets role (`targets` or delegated). */
  targets(role = 'targets'): Tuf1Targets | undefined {
    return this.#targets.get(role)?.md;
  }

  /** 5.3.4-5.3.9: root rotation to exactly version trusted+1. */
  updateRoot(bytes: Uint8Array): Tuf1Root {
    if (this.#timestamp) throw new Error('updateRoot after timestamp: start a new trusted set');
    const cur = this.#root;
    const next = parseTuf1(bytes, 'root');
    // signed by a threshold of the trusted root's root keys...
    checkTuf1Threshold(next, cur.body.roles.root, cur.body.keys, 'trusted root');
    if (next.version !== cur.version + 1) {
      if (next.version <= cur.version) throw rollback('root', String(cur.version + 1), next.version);
      throw versionMismatch('root', cur.version + 1, next.version, 'the root walk');
    }
    // ...and by a threshold of its own.
    checkTuf1Threshold(next, next.body.roles.root, next.body.keys, 'new root');
    this.#root = next;
    return next;
  }

  /** 5.3.10: the final root must not be expired. */
  checkRootFresh(): void {
    const r = this.#root;
    if (r.isExpired(this.referenceTime)) throw expired('root', r.version, r.body.expires);
  }

  /** 5.4: timestamp. `unchanged` when the version equals the trusted one (the new copy is discarded). */
  updateTimestamp(bytes: Uint8Array): Tuf1UpdateResult {
    if (this.#snapshot) throw new Error('updateTimestamp after snapshot');
    this.checkRootFresh();
    const ts = parseTuf1(bytes, 'timestamp');
    checkTuf1Threshold(ts, this.#root.body.roles.timestamp, this.#root.body.keys, 'timestamp');
    const prev = this.#timestamp;
    if (prev) {
      if (ts.version < prev.version) throw rollback('timestamp', `>= ${prev.version}`, ts.version);
      if (ts.version === prev.version) {
        this.checkTimestampFresh();
        return 'unchanged';
      }
      const was = prev.body.snapshotMeta.version;
      if (ts.body.snapshotMeta.version < was) {
        throw rollback('timestamp', `>= ${was}`, ts.body.snapshotMeta.version, 'snapshot version');
      }
    }
    this.#timestamp = ts; // kept even if expired: the rollback floor for the next one
    this.checkTimestampFresh();
    return 'updated';
  }

  private checkTimestampFresh(): void {
    const ts = this.#timestamp!;
    if (ts.isExpired(this.referenceTime)) throw expired('timestamp', ts.version, ts.body.expires);
  }

  /**
   * 5.5: snapshot. `cached` means these are bytes this set accepted before
   * (our own copy): the timestamp's length/hashes are not applied to them, so
   * an older cached snapshot can still serve as the rollback floor.
   */
  updateSnapshot(bytes: Uint8Array, cached = false): Tuf1Snapshot {
    if (!this.#timestamp) throw new Error('updateSnapshot before timestamp');
    if (this.#targets.size > 0) throw new Error('updateSnapshot after targets');
    this.checkTimestampFresh();
    const meta = this.#timestamp.body.snapshotMeta;
    if (!cached) checkTuf1FileMeta(bytes, meta, 'snapshot', 'timestamp');
    const sn = parseTuf1(bytes, 'snapshot');
    checkTuf1Threshold(sn, this.#root.body.roles.snapshot, this.#root.body.keys, 'snapshot');
    const prev = this.#snapshot;
    if (prev) {
      for (const [name, old] of prev.body.meta) {
        const now = sn.body.meta.get(name);
        if (!now) {
          throw new VerificationError(
            'ROLLBACK',
            `snapshot v${sn.version} drops ${name}, which v${prev.version} listed`,
            {
              role: 'snapshot',
              version: sn.version,
            },
          );
        }
        if (now.version < old.version) throw rollback(name, `>= ${old.version}`, now.version);
      }
    }
    this.#snapshot = sn;
    this.checkSnapshotFinal();
    return sn;
  }

  private checkSnapshotFinal(): void {
    const sn = this.#snapshot!;
    if (sn.isExpired(this.referenceTime)) throw expired('snapshot', sn.version, sn.body.expires);
    const want = this.#timestamp!.body.snapshotMeta.version;
    if (sn.version !== want) throw versionMismatch('snapshot', want, sn.version, 'timestamp');
  }

  /** The snapshot's meta entry for a targets role (`<role>.json`), or undefined. */
  metaFor(role: string): Tuf1MetaFile | undefined {
    if (!this.#snapshot) throw new Error('metaFor before snapshot');
    return this.#snapshot.body.meta.get(`${role}.json`);
  }

  /** Key set `delegator` gives `role`: root's for `targets`, the delegator's delegation otherwise. */
  private delegation(
    role: string,
    delegator: string,
  ): { set: Tuf1RoleKeys; keys: ReadonlyMap<string, Tuf1Key> } {
    if (delegator === 'root') {
      if (role !== 'targets') throw new Error(`root does not delegate ${role}`);
      return { set: this.#root.body.roles.targets, keys: this.#root.body.keys };
    }
    const parent = this.targets(delegator);
    if (!parent) throw new Error(`${role} loaded before its delegator ${delegator}`);
    const d = parent.body.delegations;
    const set = delegationFor(d, role);
    if (!d || !set) {
      throw new VerificationError('NOT_SIGNED', `${delegator} does not delegate to ${role}`, { role });
    }
    return { set, keys: d.keys };
  }

  /**
   * An already accepted role reached again, possibly through another delegator:
   * its signatures must satisfy THIS delegator's delegation too.
   */
  trustedTargets(role: string, delegator: string): Tuf1Targets | undefined {
    const hit = this.#targets.get(role);
    if (!hit) return undefined;
    if (hit.delegator !== delegator) {
      const { set, keys } = this.delegation(role, delegator);
      checkTuf1Threshold(hit.md, set, keys, `${delegator}'s delegation to ${role}`);
    }
    return hit.md;
  }

  /** 5.6 / 5.7: top-level (`delegator` = `root`) or delegated targets. */
  updateTargets(bytes: Uint8Array, role = 'targets', delegator = 'root'): Tuf1Targets {
    if (!this.#snapshot) throw new Error('updateTargets before snapshot');
    this.checkSnapshotFinal();
    const { set, keys } = this.delegation(role, delegator);
    const meta = this.metaFor(role);
    if (!meta) {
      throw new VerificationError(
        'BAD_METADATA',
        `snapshot v${this.#snapshot.version} does not list ${role}`,
        { role },
      );
    }
    checkTuf1FileMeta(bytes, meta, role, 'snapshot');
    const md = parseTuf1(bytes, 'targets', role);
    checkTuf1Threshold(
      md,
      set,
      keys,
      role === 'targets' ? 'targets' : `${delegator}'s delegation to ${role}`,
    );
    if (md.version !== meta.version) throw versionMismatch(role, meta.version, md.version, 'snapshot');
    if (md.isExpired(this.referenceTime)) throw expired(role, md.version, md.body.expires);
    this.#targets.set(role, { md, delegator });
    return md;
  }
}

/** True for errors that mean "this metadata is not acceptable" (as opposed to programming errors). */
export function isTrustFailure(e: unknown): e is TrustError {
  return e instanceof TrustError;
}
