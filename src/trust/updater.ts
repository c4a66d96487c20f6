/**
 * The client workflow (Notary's tufclient order): timestamp by plain name,
 * then snapshot and targets by checksum name (`<role>.<sha256 hex>`), then
 * delegations, reusing cached files whose hash the parent still lists. A warm
 * update whose timestamp is unchanged fetches nothing else. The cache is only
 * written after the whole update succeeded, with bytes that passed
 * verification.
 *
 * Root rotation is discovered as Notary does it: when the timestamp or
 * snapshot no longer verifies under the trusted root, or the snapshot lists
 * another root, `<v+1>.root.json` is fetched until 404 and each new root must
 * be signed by the previous root's keys and its own.
 */

import { NetworkError, NotSignedError, TrustError, VerificationError } from '../errors.js';
import { DEFAULT_SIZE_LIMITS, type FileMetaJson } from '../metadata/model.js';
import type { MetadataCache } from '../storage/trust-dir.js';
import type { MetadataStore } from '../transport/store.js';
import { checkFileMeta, listedSha256Hex } from './filemeta.js';
import { TrustedMetadataSet, type TrustPolicy } from './trusted-set.js';

export interface UpdateOptions {
  /** Answer from the local cache only; never touch the network. */
  readonly offline?: boolean;
  /** Most root versions walked in one update. */
  readonly maxRootRotations?: number;
  /** Cap on bytes for metadata whose length no parent gives (root). */
  readonly maxRootBytes?: number;
  /** Cap for timestamp.json. */
  readonly maxTimestampBytes?: number;
}

/** Roles fetched by name: `root`, `timestamp`, `<v>.root`; the rest by checksum. */
function peekVersion(bytes: Uint8Array): number {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { version?: unknown } }).signed
      ?.version;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : 0;
  } catch {
    return 0;
  }
}

function matches(bytes: Uint8Array | null, meta: FileMetaJson, role: string): bytes is Uint8Array {
  if (!bytes || bytes.length !== meta.length) return false;
  try {
    checkFileMeta(bytes, meta, role, 'cache');
    return true;
  } catch {
    return false;
  }
}

function staleRootInSnapshot(): VerificationError {
  return new VerificationError(
    'HASH_MISMATCH',
    'snapshot lists a root other than the newest one the server serves',
    {
      role: 'root',
    },
  );
}

const ROOT_RETRY_CODES = new Set(['BAD_SIGNATURE', 'THRESHOLD', 'BAD_KEY']);

export class Updater {
  readonly #store: MetadataStore;
  readonly #cache: MetadataCache;
  readonly #policy: TrustPolicy;
  readonly #opts: UpdateOptions;
  /** Verified bytes to write to the cache when the update completes. */
  readonly #staged = new Map<string, Uint8Array>();
  #cached = new Map<string, Uint8Array | null>();
  #set: TrustedMetadataSet | undefined;

  constructor(store: MetadataStore, cache: MetadataCache, policy: TrustPolicy, opts: UpdateOptions = {}) {
    this.#store = store;
    this.#cache = cache;
    this.#policy = policy;
    this.#opts = opts;
  }

  get trusted(): TrustedMetadataSet {
    if (!this.#set) throw new Error('refresh() first');
    return this.#set;
  }

  private async cached(role: string): Promise<Uint8Array | null> {
    if (!this.#cached.has(role)) this.#cached.set(role, await this.#cache.read(role));
    return this.#cached.get(role) ?? null;
  }

  private async fetch(name: string, maxBytes: number, role: string): Promise<Uint8Array | null> {
    if (this.#opts.offline) {
      throw new NetworkError(
        'NETWORK',
        `offline: ${role} is not in the local cache for ${this.#policy.gun}`,
        { role },
      );
    }
    return this.#store.getMeta(name, maxBytes);
  }

  /** Bytes of the trusted root: the cached one, else the server's on first use. */
  private async loadRoot(): Promise<{ bytes: Uint8Array; source: 'cache' | 'first-use' }> {
    const cachedRoot = await this.cached('root');
    if (cachedRoot) return { bytes: cachedRoot, source: 'cache' };
    const bytes = await this.fetch('root', this.#opts.maxRootBytes ?? DEFAULT_SIZE_LIMITS.root, 'root');
    if (!bytes) {
      throw new NotSignedError(
        'NO_TRUST_DATA',
        `no trust data for ${this.#policy.gun} on ${this.#store.description}`,
        {
          role: 'root',
        },
      );
    }
    this.#staged.set('root', bytes);
    return { bytes, source: 'first-use' };
  }

  /** Walks `<v+1>.root` until 404; returns the number of versions accepted. */
  private async rotateRoot(set: TrustedMetadataSet): Promise<number> {
    const max = this.#opts.maxRootRotations ?? 256;
    let n = 0;
    for (; n < max; n++) {
      const next = set.root.version + 1;
      const bytes = await this.fetch(
        `${next}.root`,
        this.#opts.maxRootBytes ?? DEFAULT_SIZE_LIMITS.root,
        'root',
      );
      if (!bytes) break;
      set.updateRoot(bytes);
      this.#staged.set('root', bytes);
    }
    if (n === max) {
      const probe = await this.fetch(`${set.root.version + 1}.root`, 1 << 20, 'root');
      if (probe) {
        throw new VerificationError('BAD_METADATA', `root: more than ${max} root rotations in one update`, {
          role: 'root',
        });
      }
    }
    return n;
  }

  /** Fresh trusted set from the current trusted root with the cache's versions as rollback floors. */
  private async freshSet(rootBytes: Uint8Array, source: 'cache' | 'first-use'): Promise<TrustedMetadataSet> {
    const set = TrustedMetadataSet.fromRoot(rootBytes, this.#policy, source);
    for (const role of ['timestamp', 'snapshot']) {
      const b = await this.cached(role);
      if (b) set.setRollbackFloor(role, peekVersion(b));
    }
    return set;
  }

  /** Timestamp -> snapshot; returns false if the snapshot names a root other than the trusted one. */
  private async updateTopLevel(set: TrustedMetadataSet): Promise<boolean> {
    const tsBytes = this.#opts.offline
      ? await this.cached('timestamp')
      : await this.fetch(
          'timestamp',
          this.#opts.maxTimestampBytes ?? DEFAULT_SIZE_LIMITS.timestamp,
          'timestamp',
        );
    if (!tsBytes) {
      const what = this.#opts.offline ? 'the local cache' : this.#store.description;
      throw new NotSignedError('NO_TRUST_DATA', `no timestamp for ${this.#policy.gun} on ${what}`, {
        role: 'timestamp',
      });
    }
    set.updateTimestamp(tsBytes);
    const cachedTs = await this.cached('timestamp');
    if (!cachedTs || Buffer.compare(cachedTs, tsBytes) !== 0) this.#staged.set('timestamp', tsBytes);

    const meta = set.snapshotMeta();
    const cachedSn = await this.cached('snapshot');
    let snBytes: Uint8Array | null = matches(cachedSn, meta, 'snapshot') ? cachedSn : null;
    if (!snBytes) {
      snBytes = await this.fetchByChecksum('snapshot', meta);
      this.#staged.set('snapshot', snBytes);
    }
    set.updateSnapshot(snBytes);
    return !set.rootChanged();
  }

  private async fetchByChecksum(role: string, meta: FileMetaJson): Promise<Uint8Array> {
    const hex = listedSha256Hex(meta);
    const name = hex ? `${role}.${hex}` : role;
    const bytes = await this.fetch(name, meta.length, role);
    if (!bytes) {
      throw new VerificationError(
        'BAD_METADATA',
        `${role} listed by its parent is missing on ${this.#store.description}`,
        {
          role,
        },
      );
    }
    return bytes;
  }

  /**
   * Brings timestamp, snapshot and top-level targets up to date (handling root
   * rotation), then returns the trusted set. Delegations load on demand with
   * `loadTargets`.
   */
  async refresh(): Promise<TrustedMetadataSet> {
    const initial = await this.loadRoot();
    let set = await this.freshSet(initial.bytes, initial.source);
    const rootBytes = () => set.root.raw!;
    let rotated = false;
    if (set.root.isExpired(this.#policy.now?.() ?? Date.now()) && !this.#opts.offline) {
      await this.rotateRoot(set);
      rotated = true;
    }
    set.checkRootFresh();
    try {
      const rootOk = await this.updateTopLevel(set);
      if (!rootOk && !rotated) {
        set = await this.freshSet(rootBytes(), 'cache');
        const n = await this.rotateRoot(set);
        if (n === 0) {
          throw new VerificationError(
            'HASH_MISMATCH',
            'snapshot lists a root that the server does not serve',
            {
              role: 'root',
            },
          );
        }
        set.checkRootFresh();
        if (!(await this.updateTopLevel(set))) throw staleRootInSnapshot();
      }
    } catch (e) {
      if (rotated || this.#opts.offline || !(e instanceof TrustError) || !ROOT_RETRY_CODES.has(e.code))
        throw e;
      // Keys may have rotated: walk newer roots, then retry once (Notary's Update()).
      set = await this.freshSet(rootBytes(), 'cache');
      if ((await this.rotateRoot(set)) === 0) throw e;
      set.checkRootFresh();
      if (!(await this.updateTopLevel(set))) throw staleRootInSnapshot();
    }
    this.#set = set;
    await this.loadTargets('targets');
    return set;
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
    const cachedBytes = await this.cached(role);
    if (cachedBytes) set.setRollbackFloor(role, peekVersion(cachedBytes));
    let bytes: Uint8Array | null = matches(cachedBytes, meta, role) ? cachedBytes : null;
    if (!bytes) {
      bytes = await this.fetchByChecksum(role, meta);
      this.#staged.set(role, bytes);
    }
    set.updateTargets(bytes, role);
    return true;
  }

  /** Persists every verified file fetched in this update (atomic per file). */
  async commit(): Promise<void> {
    if (this.#staged.size === 0 || this.#opts.offline) return;
    await this.#cache.writeAll(this.#staged);
    for (const [role, bytes] of this.#staged) this.#cached.set(role, bytes);
    this.#staged.clear();
  }
}
