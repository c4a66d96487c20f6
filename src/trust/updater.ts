/**
 * The client workflow (Notary's tufclient order): timestamp by plain name,
 * then snapshot and targets by checksum name (`<role>.<sha256 hex>`), then
 * delegations, reusing cached files whose hash the parent still lists. A warm
 * update whose timestamp is unchanged fetches nothing else.
 *
 * The cache holds only verified bytes: a file is staged only after the trust
 * state machine accepted it, staging starts empty on every attempt, and the
 * cache is written only by `commit()` after the whole update succeeded.
 *
 * One flow, on every path: root (cached or first use) -> walk `<v+1>.root`
 * until 404 when the root needs it -> cached timestamp and snapshot loaded
 * through the trusted set -> remote timestamp -> snapshot -> one consistency
 * check that the snapshot names the trusted root. The walk is needed when the
 * root is expired or its certificates are out of their window, and is tried
 * once more (a second attempt from scratch) when the timestamp or snapshot no
 * longer verifies under the trusted root or the snapshot names another root
 * (Notary's Update() retry).
 *
 * An online update sends the timestamp request as soon as it has the root bytes, so that the
 * connection, TLS handshake and server time overlap verifying the root and the cached state
 * (issue 12); the response is still used only in its place above, after the cached timestamp loaded.
 */

import { DEFAULT_LIMITS, type Deadline, type Limits, type TrustContext } from '../context/context.js';
import { LocalError, NotSignedError, TrustError, VerificationError } from '../errors.js';
import type { FileMetaJson } from '../metadata/model.js';
import { parentRole } from '../metadata/roles.js';
import type { MetadataCache } from '../storage/trust-dir.js';
import { encodeVerifiedIndex, type VerifiedIndex } from '../storage/verified-index.js';
import type { MetadataStore } from '../transport/store.js';
import { NOTARY_DIALECT } from './dialect.js';
import { checkFileMeta, type DigestMemo, listedSha256Hex } from './filemeta.js';
import { indexDescribes, TrustedMetadataSet, type TrustPolicy, verifiedIndexOf } from './trusted-set.js';

export interface UpdateOptions
  extends Partial<
    Pick<Limits, 'maxRootRotations' | 'maxRootBytes' | 'maxTimestampBytes' | 'maxMetadataBytes'>
  > {
  /** Answer from the local cache only; never touch the network. */
  readonly offline?: boolean;
  /** Context: caches, limits (the fields above override its limits). */
  readonly context?: TrustContext;
  /** Deadline of the whole operation (default: none beyond each request's own). */
  readonly deadline?: Deadline;
  /**
   * Bytes of roles this client has just uploaded (the read-back after a publish): a snapshot or
   * targets role whose accepted parent lists exactly these bytes is taken from here instead of
   * downloaded again, checked as downloaded bytes are (hash, length, signatures, versions) and cached.
   */
  readonly published?: ReadonlyMap<string, Uint8Array>;
}

function matches(
  bytes: Uint8Array | null,
  meta: FileMetaJson,
  role: string,
  digests: DigestMemo | undefined,
): bytes is Uint8Array {
  if (!bytes || bytes.length !== meta.length) return false;
  try {
    checkFileMeta(bytes, meta, role, 'cache', digests);
    return true;
  } catch {
    return false;
  }
}

/** Failures of timestamp/snapshot that a newer root may explain. */
const ROOT_RETRY_CODES = new Set(['BAD_SIGNATURE', 'THRESHOLD', 'BAD_KEY']);

/** The snapshot names a root other than the trusted one (internal signal for the retry). */
class RootMismatch extends VerificationError {
  constructor(rotations: number) {
    super(
      'HASH_MISMATCH',
      rotations === 0
        ? 'snapshot lists a root that the server does not serve'
        : 'snapshot lists a root other than the newest one the server serves',
      { role: 'root' },
    );
  }
}

/** Resolves after one turn of the event loop (pending socket events run). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once the callbacks already queued with process.nextTick have run: node:http writes a
 * request on a free kept-alive socket in such a callback, so the request made just before is on
 * the wire. Unlike `nextTurn`, this never waits for the event loop, which can hold a setImmediate
 * until the response has arrived and so serialise the work meant to overlap it (issue 12).
 */
function queuedTicks(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

export class Updater {
  readonly #store: MetadataStore;
  readonly #cache: MetadataCache;
  readonly #policy: TrustPolicy;
  readonly #opts: UpdateOptions;
  readonly #limits: Readonly<
    Pick<Limits, 'maxRootRotations' | 'maxRootBytes' | 'maxTimestampBytes' | 'maxMetadataBytes'>
  >;
  /** Verified bytes to write to the cache when the update completes (accepted ones only). */
  #staged = new Map<string, Uint8Array>();
  #cached = new Map<string, Uint8Array | null>();
  #set: TrustedMetadataSet | undefined;
  /** The cache's verified index as read (undefined: not read yet). */
  #index: VerifiedIndex | null | undefined;
  /** The timestamp request started before the cached state is verified (see `refresh`). */
  #early: Promise<Uint8Array | null> | undefined;
  /** Whether that request may still need a turn of the event loop to get on the wire (see `refresh`). */
  #earlyConnects = false;

  constructor(store: MetadataStore, cache: MetadataCache, policy: TrustPolicy, opts: UpdateOptions = {}) {
    this.#store = store;
    this.#cache = cache;
    this.#opts = opts;
    const base = opts.context?.limits ?? DEFAULT_LIMITS;
    // a copy with the limits set: Object.assign, not `{ ...policy, maxNesting, ... }` (V8 builds the
    // latter on a slow path, ~9 us per update: issue 12)
    const p: { -readonly [K in keyof TrustPolicy]: TrustPolicy[K] } = Object.assign({}, policy);
    p.maxNesting = policy.maxNesting ?? base.maxNesting;
    p.maxKeys = policy.maxKeys ?? base.maxKeys;
    p.maxSignatures = policy.maxSignatures ?? base.maxSignatures;
    this.#policy = p;
    this.#limits = {
      maxRootRotations: opts.maxRootRotations ?? base.maxRootRotations,
      maxRootBytes: opts.maxRootBytes ?? base.maxRootBytes,
      maxTimestampBytes: opts.maxTimestampBytes ?? base.maxTimestampBytes,
      maxMetadataBytes: opts.maxMetadataBytes ?? base.maxMetadataBytes,
    };
  }

  get trusted(): TrustedMetadataSet {
    if (!this.#set) throw new Error('refresh() first');
    return this.#set;
  }

  /** Files this update will write on commit (accepted bytes only). */
  get staged(): ReadonlyMap<string, Uint8Array> {
    return this.#staged;
  }

  /** The cache's bytes of `role` as this update first read them (read synchronously: issue 12). */
  private cached(role: string): Uint8Array | null {
    let bytes = this.#cached.get(role);
    if (bytes === undefined) {
      bytes = this.#cache.readSync(role);
      this.#cached.set(role, bytes);
    }
    return bytes;
  }

  private checkDeadline(what: string): void {
    this.#opts.deadline?.check(`${what} for ${this.#policy.gun}`);
  }

  /**
   * The store's answer for `name`, under the deadline. Not an async function: it hands on the store's
   * (or the race's) promise as it is, one resolution step sooner (issue 12); a failure, thrown
   * or not, is a rejected promise all the same.
   */
  private fetch(name: string, maxBytes: number, role: string): Promise<Uint8Array | null> {
    try {
      if (this.#opts.offline) {
        // Nothing unreachable was asked for: the trust dir lacks the data (as on the registry path).
        throw new NotSignedError(
          'NO_TRUST_DATA',
          `offline: ${role} is not in the local cache for ${this.#policy.gun}`,
          { role },
        );
      }
      const deadline = this.#opts.deadline;
      if (!deadline) return this.#store.getMeta(name, maxBytes);
      const what = `fetching ${name}.json from ${this.#store.description}`;
      deadline.check(what);
      return deadline.race(this.#store.getMeta(name, maxBytes, { deadlineMs: deadline.remaining() }), what);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private newSet(bytes: Uint8Array, source: 'cache' | 'first-use'): TrustedMetadataSet {
    const ctx = this.#opts.context;
    const deadline = this.#opts.deadline;
    const caches = deadline
      ? { verdicts: ctx?.verdicts, keyIdentities: ctx?.keyIdentities, documents: ctx?.documents, deadline }
      : (ctx ?? {});
    // the index first: a cached root it records (with its signers) is not verified again
    if (this.#index === undefined) this.#index = this.#cache.readIndex(NOTARY_DIALECT.name, ctx?.documents);
    let set: TrustedMetadataSet;
    try {
      set = TrustedMetadataSet.fromRoot(bytes, this.#policy, source, caches, NOTARY_DIALECT, this.#index);
    } catch (e) {
      if (source === 'cache') this.refuseOtherDialect();
      throw e;
    }
    set.useVerifiedIndex(this.#index);
    return set;
  }

  /**
   * A cached root that does not load as Notary metadata in a cache marked as another dialect (a TUF
   * 1.0 cache: registry-hosted trust, e.g. a trust dir that ran `trust migrate`, read with a Notary
   * server): a configuration error that says so, not the parse error of the other format. A cache
   * never switches dialect (as TufUpdater's checkDialect).
   */
  private refuseOtherDialect(): void {
    let marker: string | null;
    try {
      marker = this.#cache.dialectMarker();
    } catch {
      return; // unreadable marker: the root's own error stands
    }
    if (marker === null || marker === NOTARY_DIALECT.name) return;
    throw new LocalError(
      'CONFIG',
      `the trust dir's cache of ${this.#policy.gun} (${this.#cache.dir}) holds ${JSON.stringify(marker)} ` +
        `metadata (registry-hosted trust, e.g. after trust migrate), not Notary's: read it as registry-hosted ` +
        `trust (--server registry or its oci:// location) or use another trust dir`,
    );
  }

  /** Bytes of the trusted root from the server, on first use (no cached root). */
  private async loadRoot(): Promise<{ bytes: Uint8Array; source: 'cache' | 'first-use' }> {
    const bytes = await this.fetch('root', this.#limits.maxRootBytes, 'root');
    if (!bytes) {
      throw new NotSignedError(
        'NO_TRUST_DATA',
        `no trust data for ${this.#policy.gun} on ${this.#store.description}`,
        { role: 'root' },
      );
    }
    return { bytes, source: 'first-use' };
  }

  /** Walks `<v+1>.root` until 404, staging each accepted root; returns the number accepted. */
  private async walkRoots(set: TrustedMetadataSet, staged: Map<string, Uint8Array>): Promise<number> {
    const max = this.#limits.maxRootRotations;
    let n = 0;
    for (; n < max; n++) {
      const bytes = await this.fetch(`${set.root.version + 1}.root`, this.#limits.maxRootBytes, 'root');
      if (!bytes) return n;
      set.updateRoot(bytes);
      staged.set('root', bytes);
      this.checkDeadline('root rotation');
    }
    const probe = await this.fetch(`${set.root.version + 1}.root`, this.#limits.maxRootBytes, 'root');
    if (probe) {
      throw new VerificationError('BAD_METADATA', `root: more than ${max} root rotations in one update`, {
        role: 'root',
      });
    }
    return n;
  }

  /** Cached timestamp and snapshot, remote timestamp, new snapshot; stages what is new. */
  private async updateTopLevel(set: TrustedMetadataSet, staged: Map<string, Uint8Array>): Promise<void> {
    const offline = this.#opts.offline === true;
    // the early request's handshake and GET go out while the cached timestamp and snapshot verify
    if (this.#early && this.#earlyConnects) await nextTurn();
    const cachedTs = this.cached('timestamp');
    if (cachedTs) {
      try {
        set.loadLocalTimestamp(cachedTs);
      } catch (e) {
        // A cached timestamp that no longer verifies (the timestamp key rotated, or a damaged cache)
        // is no floor: TUF 5.3.11 drops it on key rotation so that a rollback can be recovered from.
        if (!(e instanceof TrustError)) throw e;
      }
    }
    // The cached snapshot is loaded (a floor, signed by the root's snapshot keys; no hash or expiry
    // check) and the cached targets read before the remote timestamp is awaited: neither depends on
    // it, and a warm update does this while its request is in flight (issue 12).
    const cachedSn = this.cached('snapshot');
    if (cachedSn) {
      try {
        set.loadLocalSnapshot(cachedSn);
      } catch (e) {
        if (!(e instanceof TrustError)) throw e;
      }
    }
    if (this.#early) this.cached('targets');
    const early = this.#early;
    this.#early = undefined;
    const tsBytes = offline
      ? cachedTs
      : await (early ?? this.fetch('timestamp', this.#limits.maxTimestampBytes, 'timestamp'));
    if (!tsBytes) {
      const what = offline ? 'the local cache' : this.#store.description;
      throw new NotSignedError('NO_TRUST_DATA', `no timestamp for ${this.#policy.gun} on ${what}`, {
        role: 'timestamp',
      });
    }
    set.updateTimestamp(tsBytes);
    if (!cachedTs || Buffer.compare(cachedTs, tsBytes) !== 0) staged.set('timestamp', tsBytes);
    this.checkDeadline('timestamp');

    const meta = set.snapshotMeta();
    const digests = this.#opts.context?.documents;
    const uploaded = this.#opts.published?.get('snapshot') ?? null;
    const fresh = !matches(cachedSn, meta, 'snapshot', digests);
    let snBytes: Uint8Array | null = !fresh
      ? cachedSn
      : matches(uploaded, meta, 'snapshot', undefined)
        ? uploaded
        : null;
    if (!snBytes) snBytes = await this.fetchByChecksum('snapshot', meta);
    set.updateSnapshot(snBytes);
    if (fresh) staged.set('snapshot', snBytes);
    this.checkDeadline('snapshot');
  }

  private async fetchByChecksum(role: string, meta: FileMetaJson): Promise<Uint8Array> {
    const cap = this.#limits.maxMetadataBytes;
    if (meta.length > cap) {
      throw new VerificationError(
        'TOO_LARGE',
        `${role}: its parent lists ${meta.length} bytes, above the limit of ${cap} bytes`,
        { role, expected: `<= ${cap} bytes`, actual: `${meta.length} bytes` },
      );
    }
    const hex = listedSha256Hex(meta);
    const name = hex ? `${role}.${hex}` : role;
    const bytes = await this.fetch(name, meta.length, role);
    if (!bytes) {
      throw new VerificationError(
        'BAD_METADATA',
        `${role} listed by its parent is missing on ${this.#store.description}`,
        { role },
      );
    }
    return bytes;
  }

  /**
   * One attempt of the whole flow; returns the set and what it staged. `rootUsable`: the set's root
   * has just passed `checkRootUsable` (rootNeedsRefresh), so without a walk it is not checked twice.
   */
  private async attempt(
    root: { bytes: Uint8Array; source: 'cache' | 'first-use' },
    set: TrustedMetadataSet,
    walk: boolean,
    rootUsable = false,
  ): Promise<{ set: TrustedMetadataSet; staged: Map<string, Uint8Array> }> {
    const staged = new Map<string, Uint8Array>();
    if (root.source === 'first-use') staged.set('root', root.bytes);
    const rotations = walk ? await this.walkRoots(set, staged) : 0;
    if (walk || !rootUsable) set.checkRootUsable();
    await this.updateTopLevel(set, staged);
    if (!set.snapshotNamesTrustedRoot()) throw new RootMismatch(rotations);
    return { set, staged };
  }

  /**
   * Brings timestamp, snapshot and top-level targets up to date (handling root
   * rotation), then returns the trusted set. Delegations load on demand with
   * `loadTargets`.
   */
  async refresh(): Promise<TrustedMetadataSet> {
    this.#set = undefined;
    this.#staged = new Map();
    this.#early = undefined;
    // the cached root without a promise (a warm update's request goes out sooner); else the server's
    const cachedRoot = this.cached('root');
    const root = cachedRoot ? { bytes: cachedRoot, source: 'cache' as const } : await this.loadRoot();
    const offline = this.#opts.offline === true;
    if (!offline) {
      // Issue 12: the timestamp request (the next request of every update) starts now, and its
      // connection and TLS handshake (or, on first use, its round trip on the connection that
      // fetched the root) proceed while the root, and a cached timestamp and snapshot, verify;
      // its bytes are used exactly where they were fetched before (updateTopLevel), through the
      // trusted set, under the same deadline. Unused (a failure before that), it is dropped.
      // a Notary server store that has answered before (a long-lived context's) most likely sends it on a
      // kept-alive connection, written by the time queued ticks have run: no turn of the loop to
      // wait for (issue 12: ~0.04 ms of a warm in-process verify); else one, for the handshake
      this.#earlyConnects = (this.#store as { answered?: unknown }).answered !== true;
      this.#early = this.fetch('timestamp', this.#limits.maxTimestampBytes, 'timestamp');
      this.#early.catch(() => {}); // its failure is reported where it is awaited, if it is
      // on a kept-alive connection the request is written now; a new connection has started
      // connecting, and its handshake proceeds at the turn of the loop in updateTopLevel
      await queuedTicks();
    }
    const first = this.newSet(root.bytes, root.source);
    let walk = !offline && first.rootNeedsRefresh();
    let result: { set: TrustedMetadataSet; staged: Map<string, Uint8Array> };
    try {
      result = await this.attempt(root, first, walk, !offline && !walk);
    } catch (e) {
      const retry =
        !walk &&
        !offline &&
        (e instanceof RootMismatch ||
          (e instanceof TrustError && ROOT_RETRY_CODES.has(e.code) && e.role !== 'root'));
      if (!retry) throw e;
      // Keys may have rotated or the snapshot names a newer root: walk newer roots, then retry once
      // from scratch (Notary's Update()). Without a newer root the first error stands.
      walk = true;
      this.#early = undefined;
      try {
        result = await this.attempt(root, this.newSet(root.bytes, root.source), walk);
      } catch (e2) {
        if (
          !(e instanceof RootMismatch) &&
          e2 instanceof TrustError &&
          e2.code === e.code &&
          e2.role === e.role
        ) {
          throw e;
        }
        throw e2;
      }
    }
    this.#set = result.set;
    this.#staged = result.staged;
    try {
      await this.loadTargets('targets');
      // A delegated role that vanished from the snapshot must have lost its delegation too: load the
      // parents of such roles now, so that the check runs before the new snapshot is committed.
      for (const role of result.set.vanishedRoles()) await this.loadChain(parentRole(role));
    } catch (e) {
      this.#set = undefined;
      this.#staged = new Map();
      throw e;
    }
    return result.set;
  }

  /** Loads a targets role and its ancestors; false when any of them has no metadata. */
  async loadChain(role: string): Promise<boolean> {
    const parts = role.split('/');
    for (let i = 2; i <= parts.length; i++) {
      const name = parts.slice(0, i).join('/');
      const parent = this.trusted.targets(parts.slice(0, i - 1).join('/'));
      if (!parent?.signed.delegations.roles.some((r) => r.name === name)) return false;
      if (!(await this.loadTargets(name))) return false;
    }
    return true;
  }

  /**
   * Loads a targets role (its parent must be loaded). Returns false when the
   * role has no metadata (absent from the snapshot): an empty role.
   */
  async loadTargets(role: string): Promise<boolean> {
    const set = this.trusted;
    if (set.targets(role)) return true;
    const meta = set.metaFor(role);
    if (!meta) {
      if (role === 'targets') {
        throw new VerificationError('BAD_METADATA', 'snapshot does not list targets', { role });
      }
      return false;
    }
    // bytes we uploaded (a publish's read-back) when they are what the parent lists; else someone
    // published after us: downloaded below
    const uploaded = this.#opts.published?.get(role);
    if (uploaded && uploaded.length === meta.length && this.takeListed(uploaded, role)) {
      this.#staged.set(role, uploaded);
      return true;
    }
    const cachedBytes = this.cached(role);
    // Cached bytes of the listed length go straight to the set, which checks their hashes once
    // (a 2 MB targets is not hashed twice); other bytes, or a hash mismatch, mean a download.
    if (cachedBytes && cachedBytes.length === meta.length && this.takeListed(cachedBytes, role)) return true;
    if (cachedBytes) {
      try {
        set.loadLocalTargets(cachedBytes, role);
      } catch (e) {
        // Cached bytes that no longer verify under the role's current keys give no floor.
        if (!(e instanceof TrustError)) throw e;
      }
    }
    const bytes = await this.fetchByChecksum(role, meta);
    set.updateTargets(bytes, role);
    this.#staged.set(role, bytes);
    this.checkDeadline(role);
    return true;
  }

  /**
   * Gives `bytes` to the trusted set as `role`: true when accepted, false when they are not the
   * bytes the parent lists (hash or length); any other refusal is thrown.
   */
  private takeListed(bytes: Uint8Array, role: string): boolean {
    try {
      this.trusted.updateTargets(bytes, role);
    } catch (e) {
      if (e instanceof VerificationError && (e.code === 'HASH_MISMATCH' || e.code === 'LENGTH_MISMATCH')) {
        return false;
      }
      throw e;
    }
    this.checkDeadline(role);
    return true;
  }

  /**
   * Persists every verified file accepted in this update (atomic per file), then the verified index
   * of the trusted state (storage/verified-index.ts) when it changed.
   */
  async commit(): Promise<void> {
    if (this.#opts.offline) return;
    const wrote = this.#staged.size > 0;
    const set = this.#set;
    let index: VerifiedIndex | undefined;
    if (set && !indexDescribes(this.#index, set, wrote)) {
      index = this.indexOf(set);
      const old = this.#index;
      if (old && encodeVerifiedIndex(old) === encodeVerifiedIndex(index)) index = undefined;
    }
    if (wrote) {
      // the index goes last in the same batch as the files it lists (one directory sync for all)
      await this.#cache.writeAll(this.#staged, index);
      for (const [role, bytes] of this.#staged) this.#cached.set(role, bytes);
      this.#staged.clear();
    } else if (index) {
      await this.#cache.writeIndex(index);
    }
    if (index) this.#index = index;
  }

  /** The verified index of the trusted state: root, timestamp, snapshot and the accepted targets roles. */
  private indexOf(set: TrustedMetadataSet): VerifiedIndex {
    return verifiedIndexOf(set, this.#index);
  }
}
