/**
 * The trust state machine, in the spirit of python-tuf's TrustedMetadataSet:
 * pure and I/O-free. It owns every trust decision; updaters and transports
 * only move bytes. Metadata is accepted only in valid transitions:
 *
 *   root (cached, pinned or TOFU) -> root v+1 ... -> timestamp -> snapshot
 *   -> targets -> delegated targets (parent first)
 *
 * Cached metadata comes in through the same door: the cached timestamp and
 * snapshot are loaded as "trusted local" documents (signatures checked, expiry
 * not) and each new one is checked against them; cached targets roles give the
 * version floor of the role. There is no side channel.
 *
 * Every accepted document is signed by a threshold of distinct keys of its
 * role (distinct public keys, not key ids), has the expected `_type`, is not
 * older than the one already trusted (rollback), is not expired (freeze) and
 * matches the length and hashes its parent lists (mix-and-match). A new
 * snapshot lists every role the trusted snapshot listed (TUF 5.5.5), see
 * `SnapshotRoleRemoval`.
 *
 * Roles, keys, thresholds, file meta and versions are handled in
 * dialect-neutral terms. What differs between the wire formats comes from the
 * `TrustDialect` given to `fromRoot` (dialect.ts): the Notary 0.7 dialect (root keys are
 * certificates with pinning, root-keys.ts; delegations named by path) or the
 * TUF 1.0 specification dialect (plain keys; meta entries carry versions that
 * must match; delegations name their delegator; snapshot roles never vanish;
 * an equal-version timestamp keeps the trusted copy). A role reached through
 * a second delegator is checked against that delegation too (`trustedTargets`).
 */

import { sha256 } from '../crypto/backend.js';
import { knownCertificateBundle } from '../crypto/keys.js';
import { TrustError, VerificationError } from '../errors.js';
import type {
  FileMetaJson,
  Metadata,
  RootMetadata,
  SnapshotMetadata,
  TargetsMetadata,
  TimestampMetadata,
} from '../metadata/model.js';
import type { ParseLimits } from '../metadata/parse.js';
import type { RootCertificateWindow, VerifiedEntry, VerifiedIndex } from '../storage/verified-index.js';
import { NOTARY_DIALECT, type TrustDialect } from './dialect.js';
import type { DigestMemo } from './filemeta.js';
import type { RootKeyFilter, RootKeyPolicy } from './root-keys.js';
import { checkThreshold, keyIdentity, type RoleKeySet, type SignatureCaches } from './signatures.js';

/**
 * Whether a role listed by the trusted snapshot may be missing from a newer one.
 * - `never`: TUF 1.0 (spec 5.5.5), python-tuf.
 * - `with-delegation`: Notary removes a delegation from the snapshot when it deletes the delegation
 *   (tuf.go DeleteDelegation), so a delegated role may vanish, but only together with its
 *   delegation: when the parent that is trusted now still delegates it, the new snapshot is refused
 *   (ROLLBACK). Top-level roles never vanish.
 */
export type SnapshotRoleRemoval = 'never' | 'with-delegation';

/** The root trust policy of one repository: GUN, clock, pins and trust on first use. */
export interface TrustPolicy extends RootKeyPolicy {
  /** Clock (ms since the epoch); injectable for tests. */
  readonly now?: () => number;
  /** Refuse a first-seen root that no pin vouches for (no trust on first use). */
  readonly disableTofu?: boolean;
  /** Default `with-delegation` (Notary); a dialect whose roles never vanish (TUF 1.0) forces `never`. */
  readonly snapshotRoleRemoval?: SnapshotRoleRemoval;
  /** Deepest nesting accepted in a metadata document (default DEFAULT_MAX_NESTING, 32). */
  readonly maxNesting?: number;
  /** Most keys per keys map / key ids per role (default DEFAULT_MAX_KEYS, 1024). */
  readonly maxKeys?: number;
  /** Most signatures per envelope (default DEFAULT_MAX_SIGNATURES, 1024). */
  readonly maxSignatures?: number;
}

function parseLimitsOf(p: TrustPolicy): ParseLimits {
  return { maxDepth: p.maxNesting, maxKeys: p.maxKeys, maxSignatures: p.maxSignatures };
}

/**
 * The context document cache's key for `role` parsed under `p`'s parse limits: a document parsed
 * under looser limits (another call's `limits`, a `derive()`d context sharing the caches) must not
 * be handed to a parse under stricter ones, or the verdict on the same bytes would depend on what
 * the context parsed before. The default limits keep the bare role name.
 */
function documentKey(role: string, p: TrustPolicy): string {
  const { maxNesting: d, maxKeys: k, maxSignatures: s } = p;
  return d === undefined && k === undefined && s === undefined ? role : `${role}\u0000${d},${k},${s}`;
}

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

function topRoleKeys(root: RootMetadata, name: 'targets' | 'snapshot' | 'timestamp'): RoleKeySet {
  const r = root.signed.roles[name]!;
  return { role: name, keyids: r.keyids, threshold: r.threshold, keys: root.keys };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}

/** `version` a file meta entry carries (TUF 1.0), or undefined (Notary lists none). */
function metaVersion(meta: FileMetaJson | undefined): number | undefined {
  const v = meta?.version;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}

/**
 * The signers a verified-index entry records for `md`, as a threshold check would return them, or
 * undefined when they do not make the threshold under `set` now (then the full check runs). Each must
 * be listed for the role, have a signature in the envelope and be a key of `set` (whose lookup applies
 * the root key rules); above a threshold of 1, distinct usable keys are counted as `checkThreshold` does.
 */
function signersByIndex(
  md: Metadata,
  set: RoleKeySet,
  recorded: readonly string[],
  caches: SignatureCaches,
): readonly string[] | undefined {
  if (set.threshold < 1) return undefined;
  // the recorded ids, first occurrence of each, that are listed, present and known; a handful of
  // strings each, so arrays (issue 12: three Sets per document made per warm verify)
  const ok: string[] = [];
  if (recorded.length <= 16 && set.keyids.length <= 16 && md.signatures.length <= 16) {
    for (let i = 0; i < recorded.length; i++) {
      const id = recorded[i]!;
      if (
        recorded.indexOf(id) === i &&
        set.keyids.includes(id) &&
        md.signatures.some((s) => s.keyid === id) &&
        set.keys.get(id)
      ) {
        ok.push(id);
      }
    }
  } else {
    const present = new Set(md.signatures.map((s) => s.keyid));
    const allowed = new Set(set.keyids);
    for (const id of new Set(recorded))
      if (allowed.has(id) && present.has(id) && set.keys.get(id)) ok.push(id);
  }
  if (ok.length < set.threshold) return undefined;
  if (set.threshold === 1) return ok.slice(0, 1);
  const distinct = new Set<string>();
  for (const id of ok) {
    const identity = keyIdentity(set.keys.get(id)!, caches);
    if (!identity.startsWith('unusable:')) distinct.add(identity);
  }
  return distinct.size >= set.threshold && distinct.size === ok.length ? ok : undefined;
}

export class TrustedMetadataSet {
  readonly policy: TrustPolicy;
  readonly #caches: SignatureCaches;
  readonly #d: TrustDialect;
  #root: RootMetadata;
  #timestamp: TimestampMetadata | undefined;
  #snapshot: SnapshotMetadata | undefined;
  /** True while the trusted snapshot is the cached one, not yet confirmed by the timestamp. */
  #snapshotLocal = false;
  #targets = new Map<string, TargetsMetadata>();
  /** The delegator each accepted targets role was verified through. */
  #delegators = new Map<string, string>();
  /** Key ids whose signatures verified, per accepted targets role. */
  #signers = new Map<string, string[]>();
  /** Versions of previously trusted (cached) targets roles: their rollback floor. */
  #localTargets = new Map<string, number>();
  /** Delegated roles the previously trusted snapshot listed and the new one does not. */
  #vanished = new Map<string, number>();
  /** Digests of the files of the last update that succeeded (storage/verified-index.ts). */
  #index: VerifiedIndex | undefined;
  /** Targets roles accepted in this session whose bytes the index vouches for. */
  #indexed = new Set<string>();
  /** sha256 (hex) of the trusted root's bytes, for the index. */
  #rootSha: { root: RootMetadata; hex: string } | undefined;
  /**
   * Root, timestamp and snapshot documents loaded from the cache whose exact bytes the verified index
   * records as verified under the trusted root, with the key ids it records (`vouchedSigners`).
   */
  #vouched = new WeakMap<Metadata, readonly string[]>();
  /** Key ids whose signatures verified on root (its own keys), timestamp and snapshot documents. */
  #signedBy = new WeakMap<Metadata, readonly string[]>();
  /** For a vouched root: its certificates the index records as accepted for this GUN (`RootKeyFilter.accepted`). */
  #acceptedCerts: { root: RootMetadata; certs: Map<string, RootCertificateWindow> } | undefined;

  private constructor(
    root: RootMetadata,
    policy: TrustPolicy,
    caches: SignatureCaches,
    dialect: TrustDialect,
  ) {
    this.#root = root;
    this.policy = policy;
    this.#caches = caches;
    this.#d = dialect;
  }

  /** The dialect of the metadata this set holds. */
  get dialect(): TrustDialect {
    return this.#d;
  }

  /** Parses through the context's document cache, when there is one. */
  private parse<D>(
    role: string,
    bytes: Uint8Array,
    parse: (b: Uint8Array, limits: ParseLimits) => D,
    sha256Base64?: string,
  ): D {
    const docs = this.#caches.documents;
    if (!docs) return parse(bytes, parseLimitsOf(this.policy));
    return docs.get(
      documentKey(role, this.policy),
      bytes,
      () => parse(bytes, parseLimitsOf(this.policy)),
      sha256Base64,
    );
  }

  /** The context's digest memo (by exact bytes), when it has one. */
  private digests(): DigestMemo | undefined {
    const docs = this.#caches.documents;
    return docs?.digest ? (docs as DigestMemo) : undefined;
  }

  private nowMs(): number {
    return this.policy.now ? this.policy.now() : Date.now();
  }

  /**
   * Starts from a root. `source` says how it is trusted:
   * - `cache`: the trust dir's root, trusted before; its own signatures must still verify (its
   *   certificates' validity windows are checked by `checkRootUsable`, after any rotation);
   * - `first-use`: never seen before (TOFU or pinned); must satisfy the pins, if any, and have
   *   certificates valid now.
   */
  static fromRoot(
    bytes: Uint8Array,
    policy: TrustPolicy,
    source: 'cache' | 'first-use',
    caches: SignatureCaches = {},
    /** The wire dialect (codec, key types, layout); default Notary 0.7. */
    dialect: TrustDialect = NOTARY_DIALECT,
    /**
     * The cache's verified index (storage/verified-index.ts), for a cached root: when it records these
     * exact root bytes with their signers, the root's signatures are not verified again (`useVerifiedIndex`).
     */
    index?: VerifiedIndex | null,
  ): TrustedMetadataSet {
    if (source === 'first-use' && policy.disableTofu && !policy.pinnedCertIds && !policy.pinnedCAs) {
      throw new VerificationError(
        'UNTRUSTED_ROOT',
        `no trusted root for ${policy.gun} in the trust dir, no pinned certificate, and trust on first use is disabled`,
        { role: 'root' },
      );
    }
    const root = caches.documents
      ? caches.documents.get(documentKey('root', policy), bytes, () =>
          dialect.parseRoot(bytes, parseLimitsOf(policy)),
        )
      : dialect.parseRoot(bytes, parseLimitsOf(policy));
    const set = new TrustedMetadataSet(root, policy, caches, dialect);
    const now = set.nowMs();
    const firstUse = source === 'first-use';
    if (!firstUse && index) {
      set.useVerifiedIndex(index);
      const entry = set.#index?.files.get('root');
      if (entry?.signers && root.raw?.length === entry.length && entry.sha256 === set.rootSha256()) {
        set.#vouched.set(root, entry.signers);
        const certs = new Map<string, RootCertificateWindow>();
        for (const [id, w] of Object.entries(entry.certificates ?? {}))
          if (w.gun === policy.gun) certs.set(id, w);
        set.#acceptedCerts = { root, certs };
      }
    }
    try {
      set.threshold(
        root,
        dialect.rootKeySet(
          root,
          policy,
          now,
          set.rootFilter(root, { checkExpiry: firstUse, pinned: firstUse }),
        ),
        'root',
      );
    } catch (e) {
      if (e instanceof VerificationError && firstUse && e.code !== 'PINNING') {
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
  /**
   * Uses the verified index of the cache (see storage/verified-index.ts): a targets role whose
   * bytes both the accepted snapshot and the index list, under the same root bytes (and, for a
   * delegation, parent bytes that were themselves taken through the index), is accepted without
   * re-checking its signatures, its targets map parsed lazily. Every other rule still applies.
   */
  useVerifiedIndex(index: VerifiedIndex | null | undefined): void {
    this.#index = index && index.dialect === this.#d.name ? index : undefined;
  }

  /** Targets roles accepted since the last snapshot, in the order they were accepted. */
  acceptedTargetsRoles(): string[] {
    return [...this.#targets.keys()];
  }

  /** The delegator an accepted targets role was verified through (`root` for targets). */
  delegatorOf(role: string): string | undefined {
    return this.#delegators.get(role);
  }

  /** Targets roles accepted in this session through the verified index. */
  get indexedRoles(): ReadonlySet<string> {
    return this.#indexed;
  }

  /**
   * `checkThreshold` for root (its own keys), timestamp and snapshot, remembering the signers for
   * the index. A document the verified index vouches for (`vouch`) takes the index's signers instead
   * of verifying signatures again: each must still be listed for the role, carry a signature in the
   * envelope and be a usable key of `set` now (root keys: certificate checks, validity windows and
   * pins as the key set applies them), and a threshold above 1 counts distinct keys. Otherwise, or
   * when that falls short, the full check runs and gives its precise error.
   */
  private threshold(md: Metadata, set: RoleKeySet, what: string): readonly string[] {
    const vouched = this.#vouched.get(md);
    const fast = vouched && signersByIndex(md, set, vouched, this.#caches);
    const signers = fast || checkThreshold(md, set, what, this.#caches);
    this.#signedBy.set(md, signers);
    return signers;
  }

  /**
   * Marks a cached timestamp or snapshot as vouched for when the verified index records its exact
   * bytes with signers, the trusted root is the one the index was written under, and that root was
   * itself taken through the index in this set (so a root rotation, or a root the index does not
   * know, means the full path for everything).
   */
  private vouch(md: Metadata, role: 'timestamp' | 'snapshot'): void {
    const files = this.#index?.files;
    const rootEntry = files?.get('root');
    const entry = files?.get(role);
    if (!entry?.signers || !rootEntry || !md.raw || entry.length !== md.raw.length) return;
    if (!this.#vouched.has(this.#root) || rootEntry.sha256 !== this.rootSha256()) return;
    // through the context's digest memo (exact bytes): a warm verify sees the same cached files
    if (this.sha256Hex(md.raw) !== entry.sha256) return;
    this.#vouched.set(md, entry.signers);
  }

  /** `filter`, with the certificates the index records as accepted when `root` is the vouched root. */
  private rootFilter(root: RootMetadata, filter: RootKeyFilter): RootKeyFilter {
    const a = this.#acceptedCerts;
    return a && a.root === root && !filter.pinned
      ? { checkExpiry: filter.checkExpiry, pinned: filter.pinned, accepted: a.certs }
      : filter;
  }

  /**
   * For the index (Notary dialect): the trusted root's signers whose certificate was accepted for this
   * GUN and has no intermediates, with the leaf's validity window (see `VerifiedEntry.certificates`).
   */
  rootCertificates(): Record<string, RootCertificateWindow> | undefined {
    const root = this.#root;
    const signers = this.#signedBy.get(root);
    if (this.#d.name !== 'notary' || !signers) return undefined;
    const out: Record<string, RootCertificateWindow> = {};
    const a = this.#acceptedCerts?.root === root ? this.#acceptedCerts.certs : undefined;
    for (const id of signers) {
      const known = a?.get(id);
      if (known) {
        out[id] = known;
        continue;
      }
      const key = root.keys.get(id);
      const certs = key ? knownCertificateBundle(key)?.certs : undefined;
      const leaf = certs?.length === 1 ? certs[0] : undefined;
      if (!leaf) continue;
      const notBefore = leaf.notBefore.getTime();
      const notAfter = leaf.notAfter.getTime();
      if (Number.isSafeInteger(notBefore) && Number.isSafeInteger(notAfter)) {
        out[id] = { gun: this.policy.gun, notBefore, notAfter };
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /**
   * Whether the verified index records `md`'s exact bytes with their signers (a root, timestamp or
   * snapshot loaded from the cache under a root the index records), whatever the check then took.
   */
  indexRecords(md: Metadata | undefined): boolean {
    return md !== undefined && this.#vouched.has(md);
  }

  /** Key ids whose signatures verified on this set's root (own keys), timestamp or snapshot document. */
  signersOfDocument(md: Metadata | undefined): readonly string[] | undefined {
    return md ? this.#signedBy.get(md) : undefined;
  }

  /** sha256 hex of the trusted root's exact bytes ('' when it has none). */
  rootSha256(): string {
    const r = this.#root;
    if (!r.raw) return '';
    if (this.#rootSha?.root !== r) this.#rootSha = { root: r, hex: this.sha256Hex(r.raw) };
    return this.#rootSha.hex;
  }

  /** sha256 hex of `raw`, through the context's digest memo when there is one. */
  private sha256Hex(raw: Uint8Array): string {
    const compute = () => Buffer.from(sha256(raw)).toString('hex');
    const digests = this.digests();
    return digests ? digests.digest(raw, 'sha256/hex', compute) : compute();
  }

  /**
   * The index's view of `bytes` as `role` (after its length and hashes matched the snapshot), or
   * undefined when the index does not vouch for them: the parsed document and the signers.
   */
  private fromIndex(
    bytes: Uint8Array,
    role: string,
    delegator: string | undefined,
    meta: FileMetaJson,
    keySet: RoleKeySet,
  ): { md: TargetsMetadata; signers: string[] } | undefined {
    const index = this.#index;
    const lazy = this.#d.parseTargetsIndexed;
    if (!index || !lazy) return undefined;
    const entry = index.files.get(role);
    const rootEntry = index.files.get('root');
    if (!entry?.signers || !rootEntry || entry.length !== bytes.length) return undefined;
    // signatures were checked against this delegator's delegation, whose bytes are the indexed ones
    const norm = (d: string | undefined) => (d === undefined || d === '' ? 'root' : d);
    const via = norm(delegator ?? this.#d.parentOf(role));
    if (norm(entry.delegator ?? this.#d.parentOf(role)) !== via) return undefined;
    if (via === 'root' ? role !== 'targets' : !this.#indexed.has(via)) return undefined;
    if (rootEntry.sha256 !== this.rootSha256()) return undefined;
    // Only bytes the accepted snapshot pins by hash (checked against them just before): a TUF 1.0
    // snapshot may list a version only, and then nothing but the role's own signatures vouches for
    // the cached bytes, so the full path runs.
    const listed = meta.hashes?.sha256;
    if (typeof listed !== 'string') return undefined;
    const digest = Buffer.from(listed, this.#d.name === 'notary' ? 'base64' : 'hex');
    if (digest.toString('hex') !== entry.sha256) return undefined;
    let md: TargetsMetadata;
    try {
      // its own cache key: this parse leaves the targets map unchecked and knows no signature
      // message, so the full path (updateTargets) must never be handed it for the same bytes
      md = this.parse(
        `${role}#indexed`,
        bytes,
        (b, limits) => lazy(b, role, limits) ?? this.#d.parseTargets(b, role, limits),
      );
    } catch (e) {
      if (e instanceof TrustError) return undefined; // the full path gives the precise error
      throw e;
    }
    // signers the index recorded, still listed for the role and present in the envelope
    const present = new Set(md.signatures.map((s) => s.keyid));
    const allowed = new Set(keySet.keyids);
    const signers = entry.signers.filter((id) => allowed.has(id) && present.has(id));
    // one recorded signer of a threshold-1 role (the common case): nothing to count, and its key is
    // usable (its signature on these very bytes verified), so the key is not prepared (issue 12)
    if (keySet.threshold === 1 && signers.length === 1 && keySet.keys.get(signers[0]!))
      return { md, signers };
    // a threshold counts distinct usable keys, as checkThreshold does (two ids of one key count once)
    const distinct = new Set<string>();
    for (const id of signers) {
      const key = keySet.keys.get(id);
      const identity = key ? keyIdentity(key, this.#caches) : undefined;
      if (identity !== undefined && !identity.startsWith('unusable:')) distinct.add(identity);
    }
    if (distinct.size < Math.max(1, keySet.threshold) || distinct.size !== signers.length) return undefined;
    return { md, signers };
  }

  /** Key ids that validly signed an accepted targets role. */
  signersOf(role: string): readonly string[] {
    return this.#signers.get(role) ?? [];
  }

  /**
   * Root rotation: `bytes` must be version current+1, signed by a threshold of
   * the current root's root keys (whatever their certificates' validity) AND
   * of its own root keys (certificates valid now, pins applied). Allowed only
   * before any timestamp is loaded.
   */
  updateRoot(bytes: Uint8Array): RootMetadata {
    if (this.#timestamp || this.#snapshot) {
      throw new Error('updateRoot after timestamp/snapshot: restart from the new root');
    }
    const next = this.parse('root', bytes, this.#d.parseRoot);
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
    checkThreshold(
      next,
      this.#d.rootKeySet(cur, this.policy, now, { checkExpiry: false, pinned: false }),
      'previous root',
      this.#caches,
    );
    this.threshold(
      next,
      this.#d.rootKeySet(next, this.policy, now, { checkExpiry: true, pinned: true }),
      'new root',
    );
    this.#root = next;
    return next;
  }

  /** Fails with EXPIRED when the trusted root has expired. */
  checkRootFresh(): void {
    const r = this.#root;
    if (r.isExpired(this.nowMs())) throw expired('root', r.version, r.signed.expires);
  }

  /**
   * The trusted root may answer: not expired, and still signed by a threshold of its own keys whose
   * certificates are valid now (EXPIRED, BAD_CERTIFICATE, THRESHOLD otherwise).
   */
  checkRootUsable(): void {
    this.checkRootFresh();
    const r = this.#root;
    this.threshold(
      r,
      this.#d.rootKeySet(
        r,
        this.policy,
        this.nowMs(),
        this.rootFilter(r, { checkExpiry: true, pinned: false }),
      ),
      'root',
    );
  }

  /** True when the trusted root is not usable as it is (expired, or certificates out of their window). */
  rootNeedsRefresh(): boolean {
    try {
      this.checkRootUsable();
      return false;
    } catch (e) {
      if (e instanceof TrustError) return true;
      throw e;
    }
  }

  /**
   * Loads the cached timestamp as the trusted one: signed by the current root's timestamp keys,
   * expiry not checked. A newer timestamp must not be older than it.
   */
  loadLocalTimestamp(bytes: Uint8Array): TimestampMetadata {
    if (this.#timestamp) throw new Error('local timestamp after a timestamp');
    const ts = this.parse('timestamp', bytes, this.#d.parseTimestamp);
    this.vouch(ts, 'timestamp');
    this.threshold(ts, topRoleKeys(this.#root, 'timestamp'), 'timestamp');
    this.#timestamp = ts;
    return ts;
  }

  /** Accepts a new timestamp (not older than the trusted one, unexpired, signed). */
  updateTimestamp(bytes: Uint8Array): TimestampMetadata {
    const prev = this.#timestamp;
    const ts = sameBytes(prev?.raw, bytes) ? prev! : this.parse('timestamp', bytes, this.#d.parseTimestamp);
    if (ts !== prev) this.threshold(ts, topRoleKeys(this.#root, 'timestamp'), 'timestamp');
    if (prev && ts.version < prev.version) throw rollback('timestamp', prev.version, ts.version);
    if (prev && ts !== prev && ts.version === prev.version && this.#d.equalTimestamp === 'keep') {
      // spec 5.4.3.2: same version, the repository is up to date: keep the trusted copy
      if (prev.isExpired(this.nowMs())) throw expired('timestamp', prev.version, prev.signed.expires);
      return prev;
    }
    const sname = this.#d.metaName('snapshot');
    const prevSn = metaVersion(prev?.signed.meta[sname]);
    const newSn = metaVersion(ts.signed.meta[sname]);
    if (prevSn !== undefined && newSn !== undefined && newSn < prevSn) {
      throw rollback('snapshot', prevSn, newSn);
    }
    if (!ts.signed.meta[sname]) {
      throw new VerificationError('BAD_METADATA', `timestamp v${ts.version} does not list snapshot`, {
        role: 'timestamp',
        version: ts.version,
      });
    }
    if (ts.isExpired(this.nowMs())) throw expired('timestamp', ts.version, ts.signed.expires);
    this.#timestamp = ts;
    return ts;
  }

  /** Meta the trusted timestamp lists for the snapshot. */
  snapshotMeta(): FileMetaJson {
    if (!this.#timestamp) throw new Error('snapshot before timestamp');
    return this.#timestamp.signed.meta[this.#d.metaName('snapshot')]!;
  }

  /**
   * Loads the cached snapshot as the trusted one (signed by the current root's snapshot keys;
   * neither its hash against the timestamp nor its expiry is checked). A new snapshot is then
   * checked against it; until one is accepted, no targets role can load.
   */
  loadLocalSnapshot(bytes: Uint8Array): SnapshotMetadata {
    if (this.#snapshot) throw new Error('local snapshot after a snapshot');
    const sn = this.parse('snapshot', bytes, this.#d.parseSnapshot);
    this.vouch(sn, 'snapshot');
    this.threshold(sn, topRoleKeys(this.#root, 'snapshot'), 'snapshot');
    this.#snapshot = sn;
    this.#snapshotLocal = true;
    return sn;
  }

  /**
   * Accepts the snapshot the trusted timestamp lists: matching length and hashes, signed, not older
   * than the trusted snapshot, listing every role it listed (see SnapshotRoleRemoval) at a version
   * not lower (when meta carries versions), unexpired, listing targets.
   */
  updateSnapshot(bytes: Uint8Array): SnapshotMetadata {
    const meta = this.snapshotMeta();
    this.#d.checkFileMeta(bytes, meta, 'snapshot', 'timestamp', this.digests());
    const prev = this.#snapshot;
    const sn = sameBytes(prev?.raw, bytes) ? prev! : this.parse('snapshot', bytes, this.#d.parseSnapshot);
    if (sn !== prev) this.threshold(sn, topRoleKeys(this.#root, 'snapshot'), 'snapshot');
    const listed = metaVersion(meta);
    if (listed !== undefined && sn.version !== listed) {
      throw new VerificationError(
        'BAD_METADATA',
        `snapshot: timestamp lists version ${listed}, got ${sn.version}`,
        { role: 'snapshot', version: sn.version, expected: String(listed) },
      );
    }
    const vanished = new Map<string, number>();
    if (prev && prev !== sn) {
      if (sn.version < prev.version) throw rollback('snapshot', prev.version, sn.version);
      const removal = this.#d.vanishWithDelegation
        ? (this.policy.snapshotRoleRemoval ?? 'with-delegation')
        : 'never';
      for (const [role, old] of Object.entries(prev.signed.meta)) {
        const cur = Object.hasOwn(sn.signed.meta, role) ? sn.signed.meta[role] : undefined;
        if (!cur) {
          if (removal === 'never' || !role.includes('/')) {
            throw new VerificationError(
              'ROLLBACK',
              `snapshot v${sn.version} no longer lists ${role}, which the trusted snapshot v${prev.version} lists`,
              { role: 'snapshot', version: sn.version, expected: `${role} listed`, actual: 'missing' },
            );
          }
          vanished.set(role, prev.version);
          continue;
        }
        const a = metaVersion(old);
        const b = metaVersion(cur);
        if (a !== undefined && b !== undefined && b < a) {
          throw new VerificationError(
            'ROLLBACK',
            `snapshot v${sn.version} lists ${role} v${b}, older than v${a} in the trusted snapshot v${prev.version}`,
            { role, version: b, expected: `>= ${a}`, actual: String(b) },
          );
        }
      }
    }
    if (sn.isExpired(this.nowMs())) throw expired('snapshot', sn.version, sn.signed.expires);
    if (!sn.signed.meta[this.#d.metaName('targets')]) {
      throw new VerificationError('BAD_METADATA', `snapshot v${sn.version} does not list targets`, {
        role: 'snapshot',
        version: sn.version,
      });
    }
    if (prev !== sn) this.#vanished = vanished;
    this.#snapshot = sn;
    this.#snapshotLocal = false;
    this.#targets.clear();
    this.#signers.clear();
    this.#delegators.clear();
    this.#indexed.clear();
    return sn;
  }

  /** Delegated roles the previously trusted snapshot listed and the accepted one does not. */
  vanishedRoles(): readonly string[] {
    return [...this.#vanished.keys()];
  }

  private acceptedSnapshot(): SnapshotMetadata {
    if (!this.#snapshot || this.#snapshotLocal) throw new Error('meta lookup before snapshot');
    return this.#snapshot;
  }

  /**
   * The meta the trusted snapshot lists for a role (`root`, `targets`,
   * `targets/releases`...), or null when it lists none.
   */
  metaFor(role: string): FileMetaJson | null {
    const meta = this.acceptedSnapshot().signed.meta;
    const name = this.#d.metaName(role);
    return Object.hasOwn(meta, name) ? meta[name]! : null;
  }

  /**
   * The one consistency check between the snapshot and the root: the accepted snapshot's `root`
   * entry names the trusted root (true), or another root (false). A snapshot that lists no root is
   * consistent (Notary always lists it; a snapshot dropping it after one listed it is refused).
   */
  snapshotNamesTrustedRoot(): boolean {
    const meta = this.metaFor('root');
    if (!meta || !this.#root.raw) return true;
    try {
      this.#d.checkFileMeta(this.#root.raw, meta, 'root', 'snapshot', this.digests());
      return true;
    } catch {
      return false;
    }
  }

  /** Key set that signs a targets role: root's for `targets`, the parent's delegation otherwise. */
  keySetFor(role: string, delegator?: string): RoleKeySet & { paths?: readonly string[] } {
    if (role === 'targets' && (delegator === undefined || delegator === 'root')) {
      return topRoleKeys(this.#root, 'targets');
    }
    const parentName = delegator ?? this.#d.parentOf(role);
    if (parentName === undefined) throw new Error(`delegation ${role} needs its delegator`);
    const parent = this.#targets.get(parentName);
    if (!parent) throw new Error(`delegation ${role} before its parent ${parentName}`);
    const d = this.#d.delegation(parent, role);
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
    const parentPaths =
      parentName === 'targets' || !this.#d.restrictPathsByPrefix
        ? undefined
        : (this.keySetFor(parentName).paths ?? []);
    const paths =
      parentPaths && d.paths ? d.paths.filter((p) => parentPaths.some((pp) => p.startsWith(pp))) : d.paths;
    if (paths) set.paths = paths;
    return set;
  }

  /**
   * Records a previously trusted (cached) version of a targets role: its signatures must verify
   * under the role's current keys (its parent must be accepted); expiry and hashes are not checked.
   * The role's next accepted version must not be older.
   */
  loadLocalTargets(bytes: Uint8Array, role = 'targets', delegator?: string): TargetsMetadata {
    this.acceptedSnapshot();
    const md = this.parse(role, bytes, (b, l) => this.#d.parseTargets(b, role, l));
    checkThreshold(md, this.keySetFor(role, delegator), role, this.#caches);
    const cur = this.#localTargets.get(role) ?? 0;
    if (md.version > cur) this.#localTargets.set(role, md.version);
    return md;
  }

  /**
   * A targets role accepted earlier in this session, reached again through `delegator`: its
   * signatures must also satisfy that delegator's delegation (a role delegated by two parents does
   * not inherit the authority of the first path). Undefined when not accepted yet.
   */
  trustedTargets(role: string, delegator?: string): TargetsMetadata | undefined {
    const md = this.#targets.get(role);
    if (!md) return undefined;
    const via = this.#delegators.get(role);
    if (delegator !== undefined && via !== delegator) {
      checkThreshold(
        md,
        this.keySetFor(role, delegator),
        `${delegator}'s delegation to ${role}`,
        this.#caches,
      );
    }
    return md;
  }

  /**
   * Accepts `targets` or a delegated targets role whose delegator (`delegator`, or the parent its
   * name gives in the Notary dialect) is already trusted.
   */
  updateTargets(bytes: Uint8Array, role = 'targets', delegator?: string): TargetsMetadata {
    const sn = this.acceptedSnapshot();
    const meta = this.metaFor(role);
    if (!meta) {
      throw new VerificationError('BAD_METADATA', `snapshot v${sn.version} does not list ${role}`, { role });
    }
    this.#d.checkFileMeta(bytes, meta, role, 'snapshot', this.digests());
    const keySet = this.keySetFor(role, delegator);
    const fast = this.fromIndex(bytes, role, delegator, meta, keySet);
    const md = fast?.md ?? this.parse(role, bytes, (b, l) => this.#d.parseTargets(b, role, l));
    const signers = fast?.signers ?? checkThreshold(md, keySet, role, this.#caches);
    const floor = this.#localTargets.get(role) ?? 0;
    if (md.version < floor) throw rollback(role, floor, md.version);
    const listed = metaVersion(meta);
    if (listed !== undefined && md.version !== listed) {
      throw new VerificationError(
        'BAD_METADATA',
        `${role}: snapshot lists version ${listed}, got ${md.version}`,
        {
          role,
          version: md.version,
          expected: String(listed),
        },
      );
    }
    if (md.isExpired(this.nowMs())) throw expired(role, md.version, md.signed.expires);
    for (const name of this.#d.delegatedRoles(md)) {
      if (this.#vanished.has(name)) {
        throw new VerificationError(
          'ROLLBACK',
          `snapshot v${sn.version} no longer lists ${name}, which the trusted snapshot ` +
            `v${this.#vanished.get(name)} lists and ${role} v${md.version} still delegates`,
          { role: name, expected: `${name} listed`, actual: 'missing' },
        );
      }
    }
    this.#targets.set(role, md);
    this.#delegators.set(role, delegator ?? this.#d.parentOf(role) ?? 'root');
    this.#signers.set(role, signers);
    if (fast) this.#indexed.add(role);
    else this.#indexed.delete(role);
    return md;
  }
}

/**
 * Whether `index` (read at the start of an update and given to `set`) already describes the set's
 * trusted state, so that a warm verify of an unchanged repository builds, hashes, encodes and writes
 * no index: no file was written (`wrote`), the index records the exact bytes of the trusted root,
 * timestamp and snapshot with their signers (an index written before it did, or one that lags the
 * cache, is rewritten once), the root's certificate windows when it has some, and every targets role
 * accepted so far was taken through it.
 * - `exact` (an update that loaded every role it will load, the Notary flow's commit): the index
 *   also lists no other targets role, so a role the repository dropped leaves the index;
 * - `covers` (a client that saves after each step, tuf-updater.ts): the index may list roles not
 *   loaded yet. They are the roles of the same verified state (their parents' bytes are the ones
 *   taken through the index now), and the trusted set re-checks each against the snapshot when it
 *   is loaded.
 */
export function indexDescribes(
  index: VerifiedIndex | null | undefined,
  set: TrustedMetadataSet,
  wrote: boolean,
  mode: 'exact' | 'covers' = 'exact',
): boolean {
  const files = index?.files;
  if (wrote || !files) return false;
  if (!set.indexRecords(set.root) || !set.indexRecords(set.timestamp) || !set.indexRecords(set.snapshot)) {
    return false;
  }
  // the root's certificate windows, when it has certificates the index can record (leaf only)
  if (!files.get('root')?.certificates && set.rootCertificates()) return false;
  const accepted = set.acceptedTargetsRoles();
  if (accepted.some((r) => !set.indexedRoles.has(r))) return false;
  if (mode === 'covers') return true;
  let indexedTargets = 0;
  for (const [role, e] of files) if (e.signers !== undefined && !TOP_LEVEL.has(role)) indexedTargets++;
  return indexedTargets === accepted.length;
}

/** The roles whose index entries record signers besides the targets roles. */
const TOP_LEVEL = new Set(['root', 'timestamp', 'snapshot']);

/**
 * The verified index of a set's trusted state (storage/verified-index.ts): root, timestamp, snapshot
 * and every accepted targets role with its signers and delegator. Digests of bytes taken through
 * `previous` are reused; other bytes are hashed (only when the index is written).
 */
export function verifiedIndexOf(set: TrustedMetadataSet, previous?: VerifiedIndex | null): VerifiedIndex {
  const old = previous?.files;
  const files = new Map<string, VerifiedEntry>();
  const add = (role: string, raw: Uint8Array | undefined, targets: boolean, top?: readonly string[]) => {
    if (!raw) return;
    const prev = old?.get(role);
    // targets roles: the sha256 the accepted snapshot lists (checked against these bytes on accept)
    const listed = targets ? set.metaFor(role)?.hashes?.sha256 : undefined;
    const sha =
      prev && set.indexedRoles.has(role) && prev.length === raw.length
        ? prev.sha256
        : typeof listed === 'string'
          ? Buffer.from(listed, set.dialect.name === 'notary' ? 'base64' : 'hex').toString('hex')
          : Buffer.from(sha256(raw)).toString('hex');
    const delegator = set.delegatorOf(role);
    const signers = targets ? set.signersOf(role) : top;
    files.set(role, {
      sha256: sha,
      length: raw.length,
      ...(signers ? { signers: [...signers] } : {}),
      ...(targets && delegator !== undefined ? { delegator } : {}),
    });
  };
  // root (its own keys), timestamp, snapshot: the signers whose signatures verified, so that the next
  // warm load of the same cached bytes under the same root need not verify them again
  add('root', set.root.raw, false, set.signersOfDocument(set.root));
  const certificates = set.rootCertificates();
  const rootEntry = files.get('root');
  if (rootEntry && certificates) files.set('root', { ...rootEntry, certificates });
  add('timestamp', set.timestamp?.raw, false, set.signersOfDocument(set.timestamp));
  add('snapshot', set.snapshot?.raw, false, set.signersOfDocument(set.snapshot));
  for (const role of set.acceptedTargetsRoles()) add(role, set.targets(role)?.raw, true);
  return { dialect: set.dialect.name, files };
}
