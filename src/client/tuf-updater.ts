/**
 * The TUF 1.0 client API (in the shape of python-tuf's ngclient Updater and
 * tuf-js's Updater): `refresh()`, `getTargetInfo(path)`, `downloadTarget(info)`.
 *
 * The four small load steps only move bytes: cached file -> trusted set,
 * remote file -> trusted set, persist what the set accepted. Every trust
 * decision is in the one trust state machine (src/trust/trusted-set.ts) with
 * the TUF 1.0 dialect (src/trust/dialect.ts). Cached metadata goes through
 * the same door as fetched metadata.
 *
 * The metadata directory holds the trusted metadata byte for byte as served,
 * under unversioned names (`root.json`, `timestamp.json`, `snapshot.json`,
 * `targets.json`, `<percent-encoded role>.json`), each written atomically, and
 * a `.dialect` file saying it is a TUF 1.0 cache: a Notary cache is never read
 * as TUF 1.0 metadata or the other way round.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_LIMITS, type Limits, type TrustContext } from '../context/context.js';
import { LocalError, NetworkError, TrustError, VerificationError } from '../errors.js';
import type { TargetsMetadata } from '../metadata/model.js';
import { rolesForTarget, type Tuf1Targets, tuf1MetadataFileName, tuf1Quote } from '../metadata/tuf1.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { readRegularFile } from '../storage/trust-dir.js';
import {
  encodeVerifiedIndex,
  readVerifiedIndex,
  VERIFIED_INDEX_FILE,
  type VerifiedIndex,
  writeVerifiedIndex,
} from '../storage/verified-index.js';
import { createHttpClient, displayUrl, type HttpClient } from '../transport/http.js';
import { fileFetcher, httpFetcher, type TufFetcher } from '../transport/tuf-repository.js';
import { TUF1_DIALECT } from '../trust/dialect.js';
import { checkTuf1FileMeta } from '../trust/filemeta.js';
import {
  indexDescribes,
  TrustedMetadataSet,
  type TrustPolicy,
  verifiedIndexOf,
} from '../trust/trusted-set.js';

/**
 * Every limit of the TUF 1.0 client: the library's `Limits` (the same names and meaning as on the
 * Notary path) plus the caps python-tuf's UpdaterConfig has for files whose parent gives no length.
 */
export interface TufLimits extends Limits {
  /** Cap for snapshot.json when the timestamp lists no length. */
  readonly maxSnapshotBytes: number;
  /** Cap for a targets role when the snapshot lists no length. */
  readonly maxTargetsBytes: number;
}

/** python-tuf 5.1's defaults (root 512 kB, timestamp 16 KiB, 32 delegations...), deadline as on the Notary path. */
export const DEFAULT_TUF_LIMITS: Readonly<TufLimits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxRootBytes: 512_000,
  maxTimestampBytes: 16_384,
  maxDelegations: 32,
  maxSnapshotBytes: 2_000_000,
  maxTargetsBytes: 5_000_000,
});

function resolveTufLimits(given: Partial<TufLimits> = {}): Readonly<TufLimits> {
  const out: Record<string, number> = { ...DEFAULT_TUF_LIMITS };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_TUF_LIMITS)) throw new LocalError('USAGE', `unknown limit ${JSON.stringify(k)}`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new LocalError('USAGE', `limit ${k} must be a positive integer, got ${String(v)}`);
    }
    out[k] = v;
  }
  return Object.freeze(out as unknown as TufLimits);
}

/** Where a TufUpdater reads and keeps metadata and targets, and its limits, clock and transport. */
export interface TufUpdaterOptions {
  /** Local directory of trusted metadata (must already hold root.json: see `TufUpdater.init`). */
  readonly metadataDir: string;
  /** Base URL of the repository's metadata (`http(s)://` or `file://`). */
  readonly metadataBaseUrl: string;
  /** Base URL of target files (needed to download). */
  readonly targetBaseUrl?: string;
  /** Where downloaded targets are stored (needed to download without an explicit path). */
  readonly targetDir?: string;
  readonly limits?: Partial<TufLimits>;
  /** Caches shared across calls (signature verdicts, key identities, parsed documents). */
  readonly context?: TrustContext;
  /** HTTP client (default: the library's node:http client with no retries beyond 5xx). */
  readonly http?: HttpClient;
  /** Byte mover (default: HTTP(S) through `http`, or `file://`). */
  readonly fetcher?: TufFetcher;
  /** Clock, ms since the epoch (default Date.now: the system's, faketime included). */
  readonly now?: () => number;
  /**
   * Extra check of each new root of the root walk (`N.root.json` bytes, and the trusted root's bytes
   * before it), after its signatures verified and before it is trusted: throw to refuse it. Registry-hosted
   * trust binds roots to their GUN with it (trust/tuf1-pins.ts `checkTuf1RootGun`).
   */
  readonly checkRoot?: (bytes: Uint8Array, previous: Uint8Array | undefined) => void;
}

/** What `getTargetInfo` returns: the target path and its trusted length and hashes. */
export interface TufTargetInfo {
  readonly path: string;
  readonly length: number;
  /** Algorithm -> lowercase hex digest (every one is checked on download). */
  readonly hashes: Readonly<Record<string, string>>;
  /** The target's `custom` field as signed, when present. */
  readonly custom?: unknown;
}

/** The typed TUF 1.0 view of a targets document the TUF 1.0 dialect parsed. */
function tuf1Targets(md: TargetsMetadata): Tuf1Targets {
  return md as unknown as Tuf1Targets;
}

const DIALECT_FILE = '.dialect';
const DIALECT = 'tuf-1.0';

/** URL path of a target: each segment percent-encoded where a URL needs it, `/` kept. */
function targetUrlPath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (m) => decodeURIComponent(m)))
    .join('/');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function checkDialect(dir: string): void {
  let d: string;
  try {
    d = readFileSync(join(dir, DIALECT_FILE), 'utf8').trim();
  } catch {
    return; // a directory initialised by hand (root.json copied in): its root must still parse as TUF 1.0
  }
  if (d !== DIALECT) {
    throw new LocalError(
      'CONFIG',
      `${dir} holds ${JSON.stringify(d.slice(0, 40))} metadata, not TUF 1.0: refusing to switch dialect`,
    );
  }
}

/**
 * A client of one TUF 1.0 repository (the specification's format, as python-tuf and tuf-js serve
 * it): `refresh()` (spec 5.3-5.6), `getTargetInfo(path)` (5.7), `findCachedTarget` /
 * `downloadTarget`. Every failure is a TrustError with the library's codes.
 */
export class TufUpdater {
  readonly #dir: string;
  readonly #metaUrl: string;
  readonly #targetUrl: string | undefined;
  readonly #targetDir: string | undefined;
  readonly limits: Readonly<TufLimits>;
  readonly #context: TrustContext | undefined;
  readonly #fetcher: TufFetcher;
  readonly #now: () => number;
  readonly #policy: TrustPolicy;
  readonly #checkRoot: TufUpdaterOptions['checkRoot'];
  #set: TrustedMetadataSet | undefined;
  #http: HttpClient | undefined;
  /** The cache's verified index as last read or written (storage/verified-index.ts). */
  #index: VerifiedIndex | null = null;
  /** A metadata file was written since the index was read or written (it no longer describes the cache). */
  #wrote = false;

  /**
   * Initialises `metadataDir` with a trusted root (bytes from an out-of-band
   * source). The root must parse and be signed by its own root keys (it may be
   * expired: a refresh walks from it to the current root). Nothing is fetched.
   */
  static init(metadataDir: string, rootBytes: Uint8Array): void {
    // parse + self-signature (throws TrustError); expiry is checked on refresh
    TrustedMetadataSet.fromRoot(rootBytes, { gun: metadataDir }, 'cache', {}, TUF1_DIALECT);
    mkdirSync(metadataDir, { recursive: true });
    checkDialect(metadataDir);
    writeFileSync(join(metadataDir, DIALECT_FILE), `${DIALECT}\n`);
    writeFileSync(join(metadataDir, 'root.json'), rootBytes);
  }

  constructor(options: TufUpdaterOptions) {
    this.#dir = options.metadataDir;
    this.#metaUrl = withSlash(options.metadataBaseUrl);
    this.#targetUrl = options.targetBaseUrl === undefined ? undefined : withSlash(options.targetBaseUrl);
    this.#targetDir = options.targetDir;
    this.limits = resolveTufLimits(options.limits);
    this.#context = options.context;
    this.#now = options.now ?? options.context?.now ?? Date.now;
    this.#checkRoot = options.checkRoot;
    this.#policy = { gun: displayUrl(this.#metaUrl) };
    if (options.http) this.#http = options.http;
    this.#fetcher = options.fetcher ?? this.defaultFetcher();
  }

  private defaultFetcher(): TufFetcher {
    const file = fileFetcher();
    let http: TufFetcher | undefined;
    return {
      fetch: (url, maxBytes, deadlineAt) => {
        const scheme = new URL(url).protocol;
        if (scheme === 'file:') return file.fetch(url, maxBytes, deadlineAt);
        if (scheme !== 'http:' && scheme !== 'https:') {
          throw new LocalError('CONFIG', `unsupported repository URL scheme ${scheme} (http, https or file)`);
        }
        this.#http ??= createHttpClient({ deadlineMs: this.limits.deadlineMs });
        http ??= httpFetcher(this.#http);
        return http.fetch(url, maxBytes, deadlineAt);
      },
    };
  }

  /** Releases idle connections of the default HTTP client. */
  async close(): Promise<void> {
    await this.#http?.close?.();
  }

  /** Versions of the trusted top-level roles after the last refresh (root always; others once loaded). */
  trustedVersions(): { root?: number; timestamp?: number; snapshot?: number; targets?: number } {
    const set = this.#set;
    if (!set) return {};
    const out: { root?: number; timestamp?: number; snapshot?: number; targets?: number } = {
      root: set.root.version,
    };
    if (set.timestamp) out.timestamp = set.timestamp.version;
    if (set.snapshot) out.snapshot = set.snapshot.version;
    const t = set.targets();
    if (t) out.targets = t.version;
    return out;
  }

  // -------------------------------------------------------------------------
  // byte moving

  /**
   * Cached bytes of a role, or null: read synchronously (small local files; a promise-based read is
   * four thread-pool round trips), regular files only (a FIFO is an error, never a hang), and through
   * the context's file cache when there is one (unchanged files are not read again: file-cache.ts).
   */
  private async loadLocal(role: string): Promise<Uint8Array | null> {
    const path = join(this.#dir, tuf1MetadataFileName(role));
    try {
      const files = this.#context?.files;
      return files ? files.read(path) : readRegularFile(path);
    } catch (e) {
      throw new LocalError('IO', `cannot read cached ${role} metadata`, { cause: e });
    }
  }

  private async persist(role: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.#dir, tuf1MetadataFileName(role));
    this.#context?.files.forget(path);
    this.#wrote = true;
    await writeFileAtomic(path, bytes);
  }

  private async download(role: string, maxBytes: number, version: number | undefined, deadlineAt: number) {
    const url = `${this.#metaUrl}${tuf1MetadataFileName(role, version)}`;
    return this.#fetcher.fetch(url, maxBytes, deadlineAt);
  }

  private async mustDownload(
    role: string,
    maxBytes: number,
    version: number | undefined,
    deadlineAt: number,
  ) {
    const bytes = await this.download(role, maxBytes, version, deadlineAt);
    if (bytes === null) {
      // A server fault, not "no trust data" (the Notary path's answer to a 404 for a GUN it never
      // saw): a trusted root says this repository exists; python-tuf raises DownloadHTTPError here.
      throw new NetworkError(
        'SERVER_ERROR',
        `the repository has no ${version === undefined ? '' : `version ${version} of `}${role} metadata`,
        {
          role,
        },
      );
    }
    return bytes;
  }

  // -------------------------------------------------------------------------
  // the workflow (spec 5.3-5.7)

  /**
   * Refreshes the top-level metadata: root walk, timestamp, snapshot, targets.
   * Throws TrustError (the shared codes: EXPIRED, ROLLBACK, THRESHOLD, ...).
   */
  async refresh(): Promise<void> {
    const deadlineAt = Date.now() + this.limits.deadlineMs;
    checkDialect(this.#dir);
    const rootBytes = await this.loadLocal('root');
    if (!rootBytes) throw new LocalError('CONFIG', `no trusted root.json in ${this.#dir}: initialise first`);
    const now = this.#now(); // spec 5.1: one reference time per refresh
    // the index first: a cached root it records with its signers is not verified again, nor, under
    // that root, the cached timestamp and snapshot it records (the trusted set decides: useVerifiedIndex)
    const index = readVerifiedIndex(
      join(this.#dir, VERIFIED_INDEX_FILE),
      DIALECT,
      this.#context?.documents,
      this.#context?.files,
    );
    this.#set = undefined;
    this.#wrote = false;
    const set = TrustedMetadataSet.fromRoot(
      rootBytes,
      { ...this.#policy, now: () => now },
      'cache',
      this.#context,
      TUF1_DIALECT,
      index,
    );
    this.#set = set;
    this.#index = index;
    await this.loadRoot(set, deadlineAt);
    await this.loadTimestamp(set, deadlineAt);
    await this.loadSnapshot(set, deadlineAt);
    await this.loadTargets(set, 'targets', 'root', deadlineAt);
    await this.saveIndex(set);
  }

  /**
   * Records the trusted state in the verified index (after every file it lists was persisted), so
   * that the next refresh of an unchanged repository takes cached targets without re-checking them.
   */
  private async saveIndex(set: TrustedMetadataSet): Promise<void> {
    if (set !== this.#set) return;
    // a warm refresh of an unchanged repository: the index read at the start still describes what
    // was taken so far (nothing built, hashed or encoded); it may list roles not loaded yet
    if (indexDescribes(this.#index, set, this.#wrote, 'covers')) return;
    const index = verifiedIndexOf(set, this.#index);
    if (this.#index && encodeVerifiedIndex(this.#index) === encodeVerifiedIndex(index)) return;
    const indexPath = join(this.#dir, VERIFIED_INDEX_FILE);
    this.#context?.files.forget(indexPath);
    await writeVerifiedIndex(indexPath, index);
    this.#index = index;
    this.#wrote = false;
  }

  /** 5.3: walk N+1.root.json until the repository has no newer root (bounded). */
  private async loadRoot(set: TrustedMetadataSet, deadlineAt: number): Promise<void> {
    const first = set.root.version + 1;
    for (let v = first; v < first + this.limits.maxRootRotations; v++) {
      const bytes = await this.download('root', this.limits.maxRootBytes, v, deadlineAt);
      if (bytes === null) return;
      const previous = set.root.raw;
      set.updateRoot(bytes);
      this.#checkRoot?.(bytes, previous);
      await this.persist('root', bytes);
    }
  }

  /** 5.4: cached timestamp first (rollback floor), then the remote one. */
  private async loadTimestamp(set: TrustedMetadataSet, deadlineAt: number): Promise<void> {
    set.checkRootFresh(); // 5.3.10: the final root
    const local = await this.loadLocal('timestamp');
    if (local) {
      try {
        set.loadLocalTimestamp(local); // the rollback floor, expired or not
      } catch (e) {
        if (!(e instanceof TrustError)) throw e; // keys rotated away: no floor (fast-forward recovery)
      }
    }
    const bytes = await this.mustDownload('timestamp', this.limits.maxTimestampBytes, undefined, deadlineAt);
    const prev = set.timestamp;
    if (set.updateTimestamp(bytes) !== prev) await this.persist('timestamp', bytes);
  }

  /** 5.5: our cached snapshot when still valid as final, else the remote one. */
  private async loadSnapshot(set: TrustedMetadataSet, deadlineAt: number): Promise<void> {
    const local = await this.loadLocal('snapshot');
    if (local) {
      try {
        set.loadLocalSnapshot(local); // the rollback floor...
        set.updateSnapshot(local); // ...and still the current one when the timestamp lists it
        return;
      } catch (e) {
        if (!(e instanceof TrustError)) throw e;
      }
    }
    const meta = set.snapshotMeta() as unknown as { version: number; length?: number };
    const version = this.consistent(set) ? meta.version : undefined;
    const bytes = await this.mustDownload(
      'snapshot',
      this.cap(meta.length, this.limits.maxSnapshotBytes),
      version,
      deadlineAt,
    );
    set.updateSnapshot(bytes);
    await this.persist('snapshot', bytes);
  }

  /** 5.6 / 5.7.x: a targets role, cached copy first (checked like a download), else remote. */
  private async loadTargets(
    set: TrustedMetadataSet,
    role: string,
    delegator: string,
    deadlineAt: number,
  ): Promise<Tuf1Targets> {
    const known = set.trustedTargets(role, delegator);
    if (known) return tuf1Targets(known);
    const meta = set.metaFor(role) as unknown as { version: number; length?: number } | null;
    if (!meta) {
      throw new VerificationError('BAD_METADATA', `${role} is delegated but the snapshot does not list it`, {
        role,
      });
    }
    const local = await this.loadLocal(role);
    if (local) {
      // Checked exactly like a download (the snapshot's version and hashes). It is no rollback
      // floor of its own: in TUF 1.0 the snapshot vouches for targets versions, which is what lets
      // a snapshot key rotation recover from a fast-forward attack on targets (spec 5.6.6 note).
      try {
        return tuf1Targets(set.updateTargets(local, role, delegator));
      } catch (e) {
        if (!(e instanceof TrustError)) throw e;
      }
    }
    const version = this.consistent(set) ? meta.version : undefined;
    const bytes = await this.mustDownload(
      role,
      this.cap(meta.length, this.limits.maxTargetsBytes),
      version,
      deadlineAt,
    );
    const md = set.updateTargets(bytes, role, delegator);
    await this.persist(role, bytes);
    return tuf1Targets(md);
  }

  /** The parent's length, never above `maxMetadataBytes`; the dialect's default cap when none is listed. */
  private cap(listed: number | undefined, otherwise: number): number {
    return Math.min(listed ?? otherwise, this.limits.maxMetadataBytes);
  }

  private consistent(set: TrustedMetadataSet): boolean {
    return set.root.signed.consistent_snapshot === true;
  }

  /**
   * 5.7: the trusted info of a target, by preorder depth-first search of the
   * delegation graph (bounded by `maxDelegations` visited roles; `terminating`
   * stops backtracking). Refreshes first when `refresh()` was not called.
   * Returns undefined when no trusted role lists the target.
   */
  async getTargetInfo(targetPath: string): Promise<TufTargetInfo | undefined> {
    if (!this.#set?.snapshot) await this.refresh();
    const set = this.#set!;
    const deadlineAt = Date.now() + this.limits.deadlineMs;
    const stack: [string, string][] = [['targets', 'root']];
    const visited = new Set<string>();
    while (stack.length > 0 && visited.size < this.limits.maxDelegations) {
      const [role, delegator] = stack.pop()!;
      if (visited.has(role)) continue;
      const md = await this.loadTargets(set, role, delegator, deadlineAt);
      const hit = md.body.targets.get(targetPath);
      if (hit) {
        await this.saveIndex(set);
        return { path: targetPath, ...hit };
      }
      visited.add(role);
      const d = md.body.delegations;
      if (!d) continue;
      const children: [string, string][] = [];
      for (const [child, terminating] of rolesForTarget(d, targetPath)) {
        children.push([child, role]);
        if (terminating) {
          stack.length = 0;
          break;
        }
      }
      stack.push(...children.reverse());
    }
    await this.saveIndex(set);
    return undefined;
  }

  /**
   * The trusted info of a target in one targets role reached from `delegator` (loaded and checked
   * like in a search), or undefined when that role does not list it. For lookups with a fixed role
   * order, e.g. docker's rule that `targets/releases` wins over `targets`.
   */
  async getTargetInfoIn(
    targetPath: string,
    role: string,
    delegator: string,
  ): Promise<TufTargetInfo | undefined> {
    if (!this.#set?.snapshot) await this.refresh();
    const md = await this.loadTargets(this.#set!, role, delegator, Date.now() + this.limits.deadlineMs);
    await this.saveIndex(this.#set!);
    const hit = md.body.targets.get(targetPath);
    return hit ? { path: targetPath, ...hit } : undefined;
  }

  /**
   * A targets role as trusted after `refresh`/`getTargetInfoIn` loaded it: its targets and the roles
   * it delegates to (name and key ids); undefined when not loaded. For listings such as inspect.
   */
  trustedRole(role = 'targets'):
    | {
        targets: ReadonlyMap<string, { length: number; hashes: Readonly<Record<string, string>> }>;
        delegations: ReadonlyArray<{ name: string; keyids: readonly string[] }>;
      }
    | undefined {
    const md = this.#set?.targets(role);
    if (!md) return undefined;
    const body = tuf1Targets(md).body;
    return {
      targets: body.targets,
      delegations: (body.delegations?.roles ?? []).map((r) => ({ name: r.name, keyids: [...r.keyids] })),
    };
  }

  /**
   * Key ids whose signatures on a trusted targets role verified (counted towards its threshold),
   * once `refresh`/`getTargetInfoIn` loaded the role; empty otherwise.
   */
  signersOf(role = 'targets'): string[] {
    return [...(this.#set?.signersOf(role) ?? [])];
  }

  /** Key ids of a top-level role in the trusted root (after `refresh`). */
  rootRoleKeyIds(role: 'root' | 'targets' | 'snapshot' | 'timestamp'): string[] {
    const roles = this.#set?.root.signed.roles as Record<string, { keyids?: string[] }> | undefined;
    return [...(roles?.[role]?.keyids ?? [])];
  }

  /** Where `downloadTarget` stores a target by default: its path percent-encoded as python-tuf does, in `targetDir`. */
  targetFilePath(info: TufTargetInfo): string {
    if (!this.#targetDir) throw new LocalError('USAGE', 'no target directory: pass targetDir or a file path');
    return join(this.#targetDir, tuf1Quote(info.path));
  }

  /** The local copy of a target when it exists and matches the trusted length and hashes. */
  async findCachedTarget(
    info: TufTargetInfo,
    filePath = this.targetFilePath(info),
  ): Promise<string | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(filePath);
    } catch {
      return undefined;
    }
    try {
      checkTuf1FileMeta(bytes, info, info.path, 'targets');
      return filePath;
    } catch {
      return undefined;
    }
  }

  /**
   * Downloads a target (`<hash>.<name>` when the root says consistent_snapshot),
   * checks its length and every listed hash, then writes it atomically.
   * Returns the local path.
   */
  async downloadTarget(info: TufTargetInfo, filePath = this.targetFilePath(info)): Promise<string> {
    if (!this.#targetUrl) throw new LocalError('USAGE', 'no target base URL');
    const set = this.#set;
    if (!set) throw new LocalError('USAGE', 'downloadTarget before refresh/getTargetInfo');
    let path = info.path;
    if (this.consistent(set)) {
      const hash = Object.values(info.hashes)[0]!;
      const slash = path.lastIndexOf('/');
      path = `${path.slice(0, slash + 1)}${hash}.${path.slice(slash + 1)}`;
    }
    const url = `${this.#targetUrl}${targetUrlPath(path)}`;
    const bytes = await this.#fetcher.fetch(url, info.length, Date.now() + this.limits.deadlineMs);
    if (bytes === null) {
      throw new NetworkError(
        'SERVER_ERROR',
        `target ${JSON.stringify(info.path)} is missing at ${displayUrl(url)}`,
      );
    }
    checkTuf1FileMeta(bytes, info, info.path, 'targets');
    await mkdir(dirname(filePath), { recursive: true });
    await writeFileAtomic(filePath, bytes);
    return filePath;
  }
}
