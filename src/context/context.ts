/**
 * The explicit context an operation runs in: limits, clock, environment, and the caches that may
 * outlive one call (signature verdicts, key identities, transport clients). It lives below both
 * `client/` and `publish/` so that both share it without importing each other.
 *
 * Nothing in the trust layer keeps module-level state: a caller that wants caches to survive from
 * one `verify()` to the next (a deploy tool, an admission hook) passes the same context
 * (`TrustOptions.context`); a call without one gets a fresh context, so two callers never share a
 * cache by accident.
 */

import { getCryptoBackend } from '../crypto/backend.js';
import type { TufPublicKey } from '../crypto/types.js';
import { LocalError, NetworkError } from '../errors.js';
import { DEFAULT_MAX_KEYS, DEFAULT_MAX_NESTING, DEFAULT_MAX_SIGNATURES } from '../metadata/model.js';
import { FileCache } from '../storage/file-cache.js';
import { MetadataCache } from '../storage/trust-dir.js';
import { TransportPool } from '../transport/pool.js';

/** Bounds on what a server can make one operation do. Every field is settable per call. */
export interface Limits {
  /** Most root versions walked in one update (default 256). */
  readonly maxRootRotations: number;
  /** Cap on `root.json` / `<v>.root.json`, whose length no parent gives (default 2 MiB). */
  readonly maxRootBytes: number;
  /** Cap on `timestamp.json` (default 1 MiB, Notary's). */
  readonly maxTimestampBytes: number;
  /**
   * Cap on snapshot, targets and delegation files (default 100 MiB, Notary's), applied besides the
   * length their parent lists: a timestamp claiming a 20 GB snapshot gets 100 MiB at most.
   */
  readonly maxMetadataBytes: number;
  /** Most delegated roles loaded by one inspect (default 1000). */
  readonly maxDelegations: number;
  /**
   * Overall deadline of one operation (verify, inspect: every request and every check), ms
   * (default 30 s). Also the per-request deadline of the default HTTP client.
   */
  readonly deadlineMs: number;
  /**
   * Deepest nesting of objects and arrays in a metadata document, checked on the bytes before
   * JSON.parse (default 32: Notary's own structure is at most 6 deep).
   */
  readonly maxNesting: number;
  /**
   * Most keys in one keys map (root `keys`, `delegations.keys`) and most key ids listed for one
   * role (default 1024; real repositories list a handful). TOO_LARGE beyond, before any key is parsed.
   */
  readonly maxKeys: number;
  /** Most signatures in one metadata envelope (default 1024). TOO_LARGE beyond, before any check. */
  readonly maxSignatures: number;
}

/** The default limits of a `TrustContext`. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRootRotations: 256,
  maxRootBytes: 2 << 20,
  maxTimestampBytes: 1 << 20,
  maxMetadataBytes: 100 << 20,
  maxDelegations: 1000,
  deadlineMs: 30_000,
  maxNesting: DEFAULT_MAX_NESTING,
  maxKeys: DEFAULT_MAX_KEYS,
  maxSignatures: DEFAULT_MAX_SIGNATURES,
});

/** Validates and completes user-given limits (positive safe integers). */
export function resolveLimits(given: Partial<Limits> = {}): Readonly<Limits> {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LIMITS)) throw new LocalError('USAGE', `unknown limit ${JSON.stringify(k)}`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new LocalError('USAGE', `limit ${k} must be a positive integer, got ${String(v)}`);
    }
    out[k] = v;
  }
  return Object.freeze(out as unknown as Limits);
}

/**
 * Memo of signature verdicts. Keyed by the crypto backend, the key's type and exact public bytes
 * (never the declared key id, which a document may get wrong), the method, the signature and a
 * hash of the message; bounded.
 */
export class VerdictMemo {
  /** By key type and public bytes, then by backend, method, signature and message hash. */
  readonly #byKey = new Map<string, Map<string, boolean>>();
  /** The first-level key of a key object (its fields are immutable): built, and hashed, once. */
  readonly #keyText = new WeakMap<TufPublicKey, string>();
  #size = 0;
  constructor(readonly max = 4096) {}

  /** The verdict, computing (and remembering) it with `check` when unknown. */
  verdict(
    key: TufPublicKey,
    method: string,
    sig: string,
    messageHash: string,
    check: () => boolean,
  ): boolean {
    let kt = this.#keyText.get(key);
    if (kt === undefined) {
      kt = `${key.keytype}\u0000${key.publicB64}`;
      this.#keyText.set(key, kt);
    }
    const inner = `${getCryptoBackend()}\u0000${method}\u0000${sig}\u0000${messageHash}`;
    let verdicts = this.#byKey.get(kt);
    let ok = verdicts?.get(inner);
    if (ok === undefined) {
      ok = check();
      if (this.#size >= this.max) {
        this.#byKey.clear();
        this.#size = 0;
        verdicts = undefined;
      }
      if (!verdicts) {
        verdicts = new Map();
        this.#byKey.set(kt, verdicts);
      }
      verdicts.set(inner, ok);
      this.#size++;
    }
    return ok;
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * Parsed metadata documents by role and exact bytes, bounded. Documents are immutable, so a warm
 * verify that sees the same cached root, timestamp, snapshot and targets again reuses their parse,
 * prepared keys and canonical bytes. A hit is a byte-for-byte comparison with a private copy of the
 * bytes the document was parsed from (issue 12: cheaper than hashing every document on every
 * lookup, and exact).
 */
export class DocumentCache<T = unknown> {
  readonly #entries: {
    readonly role: string;
    readonly bytes: Buffer;
    readonly doc: T;
    /** Digests of `bytes` by label (see `digest`). */
    digests?: Map<string, string>;
  }[] = [];
  constructor(readonly max = 64) {}

  /**
   * The digest `alg` (a label naming algorithm and encoding) of `bytes`: remembered when a document
   * was parsed from exactly these bytes (any role; compared byte for byte with the private copy),
   * else computed by `compute` and not remembered. A warm verify checks the same cached snapshot
   * and targets against the same meta again: a comparison instead of hashing them.
   */
  digest(bytes: Uint8Array, alg: string, compute: () => string): string {
    // Buffer#equals takes the Uint8Array as it is: no view made per lookup (issue 12: ten per warm verify)
    for (const e of this.#entries) {
      if (e.bytes.length !== bytes.length || !e.bytes.equals(bytes)) continue;
      e.digests ??= new Map();
      let d = e.digests.get(alg);
      if (d === undefined) {
        d = compute();
        e.digests.set(alg, d);
      }
      return d;
    }
    return compute();
  }

  /**
   * The document parsed from `bytes`, parsing (and remembering) it with `parse` when unknown.
   * `_sha256Base64` is accepted for compatibility and no longer needed.
   */
  get<D extends T>(role: string, bytes: Uint8Array, parse: () => D, _sha256Base64?: string): D {
    for (const e of this.#entries) {
      if (e.role === role && e.bytes.length === bytes.length && e.bytes.equals(bytes)) return e.doc as D;
    }
    const doc = parse();
    if (this.#entries.length >= this.max) this.#entries.shift();
    // a private copy of the bytes parsed
    this.#entries.push({ role, bytes: Buffer.from(bytes), doc });
    return doc;
  }
}

/** Options of a `TrustContext`: limits (partial, over DEFAULT_LIMITS), clock, environment. */
export interface TrustContextOptions {
  limits?: Partial<Limits>;
  /** Clock, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Environment (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The caches of a context (shared by the contexts `derive()` makes). */
export interface SharedCaches {
  readonly verdicts: VerdictMemo;
  readonly keyIdentities: Map<string, string>;
  readonly documents: DocumentCache;
  readonly transport: TransportPool;
  /** Optional: a context made from caches without one starts its own. */
  readonly files?: FileCache;
}

/** Explicit client state: limits, clock, environment and the caches shared by operations that use it. */
export class TrustContext {
  readonly limits: Readonly<Limits>;
  readonly now: () => number;
  readonly env: NodeJS.ProcessEnv;
  /** Signature verdicts (keyed by backend and key bytes, never by key id). */
  readonly verdicts: VerdictMemo;
  /** Canonical identity (algorithm + re-encoded public key) by key type and public bytes. */
  readonly keyIdentities: Map<string, string>;
  /** Parsed documents by role and exact bytes. */
  readonly documents: DocumentCache;
  /** Authenticating HTTP clients, tokens and credential lookups (owned by transport/pool.ts). */
  readonly transport: TransportPool;
  /**
   * The trust cache's files as last read, revalidated by stat on every read
   * (storage/file-cache.ts: what a long-lived context notices, and when).
   */
  readonly files: FileCache;
  /** Metadata caches by trust dir and GUN (see `metadataCache`). */
  readonly #metadataCaches = new Map<string, MetadataCache>();

  constructor(options: TrustContextOptions = {}, shared?: SharedCaches) {
    this.limits = resolveLimits(options.limits);
    this.now = options.now ?? Date.now;
    this.env = options.env ?? process.env;
    this.verdicts = shared?.verdicts ?? new VerdictMemo();
    this.keyIdentities = shared?.keyIdentities ?? new Map();
    this.documents = shared?.documents ?? new DocumentCache();
    this.transport = shared?.transport ?? new TransportPool();
    this.files = shared?.files ?? new FileCache();
  }

  /**
   * The `MetadataCache` of `gun` in `trustDir` over this context's `files`, made once per context:
   * it holds no state but its paths, and a warm verify through a long-lived context does not check
   * the GUN and build the paths again (issue 12). An invalid GUN throws as the constructor does.
   */
  metadataCache(trustDir: string, gun: string): MetadataCache {
    const key = `${trustDir}\u0000${gun}`;
    let cache = this.#metadataCaches.get(key);
    if (cache === undefined) {
      cache = new MetadataCache(trustDir, gun, this.files);
      if (this.#metadataCaches.size >= 256) this.#metadataCaches.clear();
      this.#metadataCaches.set(key, cache);
    }
    return cache;
  }

  /** A context with other limits/clock/env that shares this one's caches. */
  derive(options: TrustContextOptions): TrustContext {
    return new TrustContext(
      {
        // Object.assign: V8 builds a second spread into one literal on a slow path (issue 12)
        limits: Object.assign({}, this.limits, options.limits),
        now: options.now ?? this.now,
        env: options.env ?? this.env,
      },
      this,
    );
  }
}

function ignore(): void {}

/** A point in time by which one operation must be done. */
export class Deadline {
  readonly at: number;
  constructor(
    readonly ms: number,
    readonly now: () => number = Date.now,
  ) {
    this.at = now() + ms;
  }

  /** Remaining ms (at least 1 while not expired). */
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }

  /** Throws TIMEOUT when the deadline has passed. */
  check(what: string): void {
    if (this.now() >= this.at) {
      throw new NetworkError('TIMEOUT', `${what} did not complete within the deadline of ${this.ms} ms`);
    }
  }

  /**
   * Races `p` against the deadline (the loser keeps running, but its result is ignored). One promise
   * and one timer, no async frame or Promise.race (issue 12: two microtask steps fewer per request).
   */
  race<T>(p: Promise<T>, what: string): Promise<T> {
    const left = this.remaining();
    if (left <= 0) {
      try {
        this.check(what);
      } catch (e) {
        // the loser still settles later (a request started with the last millisecond fails with its own
        // TIMEOUT): handled here, or it is an unhandled rejection, which ends a Node process by default
        p.then(undefined, ignore);
        return Promise.reject(e);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new NetworkError('TIMEOUT', `${what} did not complete within the deadline of ${this.ms} ms`));
      }, left);
      timer.unref?.();
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}
