/**
 * The trust state machine, in the spirit of python-tuf's TrustedMetadataSet:
 * pure and I/O-free. It owns every trust decision; updaters and transports
 * only move bytes. Metadata is accepted only in valid transitions:
 *
 *   root (cached, pinned or TOFU) -> root v+1 ... -> timestamp -> snapshot
 *   -> targets -> delegated targets (parent first)
 *
 * Every accepted document is signed by a threshold of distinct keys of its
 * role, has the expected `_type`, is not older than the one already trusted
 * (rollback), is not expired (freeze) and matches the length and hashes its
 * parent lists (mix-and-match).
 */

import type { TufPublicKey } from '../crypto/types.js';
import { validateRootCertificate } from '../crypto/x509.js';
import { TrustError, VerificationError } from '../errors.js';
import type {
  FileMetaJson,
  RootMetadata,
  SnapshotMetadata,
  TargetsMetadata,
  TimestampMetadata,
} from '../metadata/model.js';
import { parseRoot, parseSnapshot, parseTargets, parseTimestamp } from '../metadata/parse.js';
import { parentRole } from '../metadata/roles.js';
import { checkFileMeta } from './filemeta.js';
import { chainsToCa, parseCaBundle } from './pinning.js';
import { checkThreshold, type RoleKeySet } from './signatures.js';

/** The root trust policy of one repository: GUN, clock, pins and trust on first use. */
export interface TrustPolicy {
  /** Fully qualified repository name the root certificates must be issued for. */
  readonly gun: string;
  /** Clock (ms since the epoch); injectable for tests. */
  readonly now?: () => number;
  /** Root certificate key ids pinned for this GUN: every new root must be signed by these. */
  readonly pinnedCertIds?: readonly string[];
  /** CA certificates (PEM) pinned for this GUN's prefix: new roots' certificates must chain to one. */
  readonly pinnedCAs?: readonly string[];
  /** Refuse a first-seen root that no pin vouches for (no trust on first use). */
  readonly disableTofu?: boolean;
}

export type UpdateResult = 'updated' | 'unchanged';

function expired(role: string, version: number, expires: string): VerificationError {
  return new VerificationError('EXPIRED', `${role} v${version} expired at ${expires}`, {
    role,
    version,
    expected: `expiry after now`,
    actual: expires,
  });
}

function rollback(role: string, trusted: number, got: number): VerificationError {
  return new VerificationError(
    'ROLLBACK',
    `${role}: got version ${got}, older than trusted version ${trusted}`,
    {
      role,
      version: got,
      expected: `>= ${trusted}`,
      actual: String(got),
    },
  );
}

interface RootKeyFilter {
  /** Check certificate validity windows (Notary skips it for the previously trusted root). */
  checkExpiry: boolean;
  /** Apply the trust pins (for a root that is new to us). */
  pinned: boolean;
}

/** Root-role key set limited to certificates valid for the GUN (and allowed by the pins, when asked). */
function rootKeySet(
  root: RootMetadata,
  policy: TrustPolicy,
  nowMs: number,
  filter: RootKeyFilter,
): RoleKeySet {
  const role = root.signed.roles.root!;
  const keys = new Map<string, TufPublicKey>();
  let firstError: TrustError | undefined;
  const ids = filter.pinned && policy.pinnedCertIds ? policy.pinnedCertIds : undefined;
  const cas =
    filter.pinned && !ids && policy.pinnedCAs
      ? policy.pinnedCAs.flatMap((p) => parseCaBundle(p, 'pinned CA'))
      : undefined;
  let pinnedOut = 0;
  for (const id of role.keyids) {
    const key = root.keys.get(id);
    if (!key) continue;
    try {
      validateRootCertificate(key, policy.gun, new Date(nowMs), { checkExpiry: filter.checkExpiry });
    } catch (e) {
      if (e instanceof TrustError) {
        firstError ??= e;
        continue;
      }
      throw e;
    }
    if ((ids && !ids.includes(id)) || (cas && !chainsToCa(key, cas, nowMs))) {
      pinnedOut++;
      continue;
    }
    keys.set(id, key);
  }
  if (keys.size === 0) {
    if (pinnedOut > 0) {
      const what = ids ? `pinned certificate ids (${ids.join(', ')})` : 'pinned CA';
      throw new VerificationError(
        'PINNING',
        `root v${root.version}: no root certificate matches the ${what} for ${policy.gun}`,
        {
          role: 'root',
          version: root.version,
        },
      );
    }
    throw (
      firstError ??
      new VerificationError('UNTRUSTED_ROOT', `root v${root.version} lists no root key`, {
        role: 'root',
        version: root.version,
      })
    );
  }
  return { role: 'root', keyids: [...keys.keys()], threshold: role.threshold, keys };
}

function topRoleKeys(root: RootMetadata, name: 'targets' | 'snapshot' | 'timestamp'): RoleKeySet {
  const r = root.signed.roles[name]!;
  return { role: name, keyids: r.keyids, threshold: r.threshold, keys: root.keys };
}

export class TrustedMetadataSet {
  readonly policy: TrustPolicy;
  #root: RootMetadata;
  #timestamp: TimestampMetadata | undefined;
  #snapshot: SnapshotMetadata | undefined;
  #targets = new Map<string, TargetsMetadata>();
  /** Key ids whose signatures verified, per accepted targets role. */
  #signers = new Map<string, string[]>();
  /** Versions seen in the local cache: the rollback floor for fresh remote metadata. */
  #floor = new Map<string, number>();

  private constructor(root: RootMetadata, policy: TrustPolicy) {
    this.#root = root;
    this.policy = policy;
  }

  private nowMs(): number {
    return this.policy.now ? this.policy.now() : Date.now();
  }

  /**
   * Starts from a root. `source` says how it is trusted:
   * - `cache`: the trust dir's root, trusted before; its own signatures must still verify;
   * - `first-use`: never seen before (TOFU or pinned); must satisfy the pins, if any.
   */
  static fromRoot(bytes: Uint8Array, policy: TrustPolicy, source: 'cache' | 'first-use'): TrustedMetadataSet {
    if (source === 'first-use' && policy.disableTofu && !policy.pinnedCertIds && !policy.pinnedCAs) {
      throw new VerificationError(
        'UNTRUSTED_ROOT',
        `no trusted root for ${policy.gun} in the trust dir, no pinned certificate, and trust on first use is disabled`,
        { role: 'root' },
      );
    }
    const root = parseRoot(bytes);
    const set = new TrustedMetadataSet(root, policy);
    const now = set.nowMs();
    try {
      checkThreshold(
        root,
        rootKeySet(root, policy, now, { checkExpiry: true, pinned: source === 'first-use' }),
        'root',
      );
    } catch (e) {
      if (e instanceof VerificationError && source === 'first-use' && e.code !== 'PINNING') {
        throw new VerificationError('UNTRUSTED_ROOT', `root for ${policy.gun} is not trusted: ${e.message}`, {
          role: 'root',
          version: root.version,
          cause: e,
        });
      }
      throw e;
    }
    return set;
  }

  get root(): RootMetadata {
    return this.#root;
  }
  get timestamp(): TimestampMetadata | undefined {
    return this.#timestamp;
  }
  get snapshot(): SnapshotMetadata | undefined {
    return this.#snapshot;
  }
  targets(role = 'targets'): TargetsMetadata | undefined {
    return this.#targets.get(role);
  }
  /** Key ids that validly signed an accepted targets role. */
  signersOf(role: string): readonly string[] {
    return this.#signers.get(role) ?? [];
  }

  /** Records the version of a role found in the local cache as the rollback floor. */
  setRollbackFloor(role: string, version: number): void {
    const cur = this.#floor.get(role) ?? 0;
    if (version > cur) this.#floor.set(role, version);
  }

  rollbackFloor(role: string): number {
    return this.#floor.get(role) ?? 0;
  }

  /**
   * Root rotation: `bytes` must be version current+1, signed by a threshold of
   * the current root's root keys AND of its own root keys. Allowed only before
   * the timestamp is loaded.
   */
  updateRoot(bytes: Uint8Array): RootMetadata {
    if (this.#timestamp) throw new Error('updateRoot after timestamp: restart from the new root');
    const next = parseRoot(bytes);
    const cur = this.#root;
    if (next.version !== cur.version + 1) {
      if (next.version <= cur.version) throw rollback('root', cur.version + 1, next.version);
      throw new VerificationError(
        'BAD_METADATA',
        `root: expected version ${cur.version + 1}, got ${next.version} (versions must not be skipped)`,
        { role: 'root', version: next.version, expected: String(cur.version + 1) },
      );
    }
    const now = this.nowMs();
    // Old keys vouch for the new root; the new root must also be signed by its own keys.
    checkThreshold(
      next,
      rootKeySet(cur, this.policy, now, { checkExpiry: false, pinned: false }),
      'previous root',
    );
    checkThreshold(next, rootKeySet(next, this.policy, now, { checkExpiry: true, pinned: true }), 'new root');
    this.#root = next;
    return next;
  }

  /** Fails with EXPIRED when the trusted root has expired. */
  checkRootFresh(): void {
    const r = this.#root;
    if (r.isExpired(this.nowMs())) throw expired('root', r.version, r.signed.expires);
  }

  updateTimestamp(bytes: Uint8Array): UpdateResult {
    const ts = parseTimestamp(bytes);
    checkThreshold(ts, topRoleKeys(this.#root, 'timestamp'));
    const floor = Math.max(this.rollbackFloor('timestamp'), this.#timestamp?.version ?? 0);
    if (ts.version < floor) throw rollback('timestamp', floor, ts.version);
    if (ts.isExpired(this.nowMs())) throw expired('timestamp', ts.version, ts.signed.expires);
    const prev = this.#timestamp;
    this.#timestamp = ts;
    return prev && prev.version === ts.version ? 'unchanged' : 'updated';
  }

  /** Meta the trusted timestamp lists for the snapshot. */
  snapshotMeta(): FileMetaJson {
    if (!this.#timestamp) throw new Error('snapshot before timestamp');
    return this.#timestamp.signed.meta.snapshot!;
  }

  updateSnapshot(bytes: Uint8Array): SnapshotMetadata {
    checkFileMeta(bytes, this.snapshotMeta(), 'snapshot', 'timestamp');
    const sn = parseSnapshot(bytes);
    checkThreshold(sn, topRoleKeys(this.#root, 'snapshot'));
    const floor = Math.max(this.rollbackFloor('snapshot'), this.#snapshot?.version ?? 0);
    if (sn.version < floor) throw rollback('snapshot', floor, sn.version);
    if (sn.isExpired(this.nowMs())) throw expired('snapshot', sn.version, sn.signed.expires);
    if (!sn.signed.meta.targets) {
      throw new VerificationError('BAD_METADATA', `snapshot v${sn.version} does not list targets`, {
        role: 'snapshot',
        version: sn.version,
      });
    }
    this.#snapshot = sn;
    this.#targets.clear();
    this.#signers.clear();
    return sn;
  }

  /**
   * The meta the trusted snapshot lists for a role (`root`, `targets`,
   * `targets/releases`...), or null when it lists none.
   */
  metaFor(role: string): FileMetaJson | null {
    if (!this.#snapshot) throw new Error('meta lookup before snapshot');
    return this.#snapshot.signed.meta[role] ?? null;
  }

  /** True when the snapshot's `root` entry names a root other than the trusted one. */
  rootChanged(): boolean {
    const meta = this.metaFor('root');
    if (!meta || !this.#root.raw) return false;
    try {
      checkFileMeta(this.#root.raw, meta, 'root', 'snapshot');
      return false;
    } catch {
      return true;
    }
  }

  /** Key set that signs a targets role: root's for `targets`, the parent's delegation otherwise. */
  keySetFor(role: string): RoleKeySet & { paths?: readonly string[] } {
    if (role === 'targets') return topRoleKeys(this.#root, 'targets');
    const parentName = parentRole(role);
    const parent = this.#targets.get(parentName);
    if (!parent) throw new Error(`delegation ${role} before its parent ${parentName}`);
    const d = parent.signed.delegations.roles.find((r) => r.name === role);
    if (!d) {
      throw new VerificationError('NOT_SIGNED', `${parentName} does not delegate to ${role}`, { role });
    }
    const set: RoleKeySet & { paths?: readonly string[] } = {
      role,
      keyids: d.keyids,
      threshold: d.threshold,
      keys: parent.keys,
    };
    // Notary (data.DelegationRole.Restrict): a nested delegation keeps only the paths that one of
    // its parent's (already restricted) paths is a prefix of; direct children of targets keep theirs.
    const parentPaths = parentName === 'targets' ? undefined : (this.keySetFor(parentName).paths ?? []);
    const paths =
      parentPaths && d.paths ? d.paths.filter((p) => parentPaths.some((pp) => p.startsWith(pp))) : d.paths;
    if (paths) set.paths = paths;
    return set;
  }

  /** Accepts `targets` or a delegated targets role whose parent is already trusted. */
  updateTargets(bytes: Uint8Array, role = 'targets'): TargetsMetadata {
    const meta = this.metaFor(role);
    if (!meta) {
      throw new VerificationError(
        'BAD_METADATA',
        `snapshot v${this.#snapshot!.version} does not list ${role}`,
        {
          role,
        },
      );
    }
    checkFileMeta(bytes, meta, role, 'snapshot');
    const keySet = this.keySetFor(role);
    const md = parseTargets(bytes, role);
    const signers = checkThreshold(md, keySet);
    const floor = this.rollbackFloor(role);
    if (md.version < floor) throw rollback(role, floor, md.version);
    if (md.isExpired(this.nowMs())) throw expired(role, md.version, md.signed.expires);
    this.#targets.set(role, md);
    this.#signers.set(role, signers);
    return md;
  }
}
