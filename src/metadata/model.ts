/**
 * The Notary v1 metadata model. Signed bodies are kept as plain JSON objects
 * (validated on parse, unknown fields preserved) so that canonical encoding of
 * what we parsed reproduces the signed bytes exactly.
 */

import { sha256 } from '../crypto/backend.js';
import type { TufPublicKey } from '../crypto/types.js';
import { canonicalJson, utf8 } from '../encoding/canonical.js';
import { type WireSignature, wireBytes } from '../encoding/wire.js';

export type TopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export type MetadataType = 'Root' | 'Targets' | 'Snapshot' | 'Timestamp';

export const TYPE_OF_ROLE: Record<TopLevelRole, MetadataType> = {
  root: 'Root',
  targets: 'Targets',
  snapshot: 'Snapshot',
  timestamp: 'Timestamp',
};

export interface KeyJson {
  keytype: string;
  keyval: { public: string; private: string | null };
  [extra: string]: unknown;
}

export interface RoleKeysJson {
  keyids: string[];
  threshold: number;
  [extra: string]: unknown;
}

export interface DelegationRoleJson extends RoleKeysJson {
  name: string;
  /** Prefixes; `""` matches every target. Go omits the field when empty. */
  paths?: string[];
}

export interface FileMetaJson {
  length: number;
  /** Algorithm (`sha256`, `sha512`) -> standard base64 digest. */
  hashes: Record<string, string>;
  /** Raw JSON, kept as parsed; omitted when absent (Go `omitempty`). */
  custom?: unknown;
  [extra: string]: unknown;
}

interface CommonBody {
  _type: MetadataType;
  /** Go RFC3339Nano text, kept as written. */
  expires: string;
  version: number;
  [extra: string]: unknown;
}

export interface RootBody extends CommonBody {
  _type: 'Root';
  consistent_snapshot: boolean;
  keys: Record<string, KeyJson>;
  roles: Record<string, RoleKeysJson>;
}

export interface TargetsBody extends CommonBody {
  _type: 'Targets';
  targets: Record<string, FileMetaJson>;
  delegations: { keys: Record<string, KeyJson>; roles: DelegationRoleJson[]; [extra: string]: unknown };
}

export interface SnapshotBody extends CommonBody {
  _type: 'Snapshot';
  meta: Record<string, FileMetaJson>;
}

export interface TimestampBody extends CommonBody {
  _type: 'Timestamp';
  meta: Record<string, FileMetaJson>;
}

export type SignedBody = RootBody | TargetsBody | SnapshotBody | TimestampBody;

export type Signature = WireSignature;

/**
 * One signed metadata document of a role. Immutable: signing or editing
 * produces a new instance.
 */
export class Metadata<T extends SignedBody = SignedBody> {
  #canonical: string | undefined;
  #wire: Uint8Array | undefined;
  #message: { readonly bytes: Uint8Array; readonly sha256Base64: string } | undefined;

  constructor(
    /** Role name, e.g. `targets/releases`. */
    readonly role: string,
    readonly signed: T,
    readonly signatures: readonly Signature[],
    /** Parsed public keys of this document (root keys, or delegation keys), by id. */
    readonly keys: ReadonlyMap<string, TufPublicKey> = new Map(),
    /** Exact bytes this document was parsed from, when it came from the wire. */
    readonly raw?: Uint8Array,
    /** Expiry in ms since the epoch (parsed from `signed.expires`). */
    readonly expiresMs: number = Number.NaN,
    /**
     * The served bytes of `signed` when the parser proved them canonical (metadata/parse.ts):
     * signatures are then checked over them instead of a re-encoding.
     */
    readonly canonicalSigned?: Uint8Array,
    /**
     * The served `signed` as decoded before the parser normalised it (`"custom": null` dropped,
     * absent delegations filled in, null paths removed), when it did: signatures are checked over
     * its canonical encoding, as Notary's VerifySignatures does (tuf/signed/verify.go), not over the
     * normalised body's.
     */
    readonly signedAsServed?: unknown,
  ) {}

  get version(): number {
    return this.signed.version;
  }

  get type(): MetadataType {
    return this.signed._type;
  }

  /**
   * This document (unsigned, as just built) with `signatures` added: the same `signed`, so its
   * canonical text, encoded once to make the signatures, is not encoded again for the upload.
   */
  withSignatures(
    signatures: readonly Signature[],
    keys: ReadonlyMap<string, TufPublicKey>,
    expiresMs: number,
  ): Metadata<T> {
    const out = new Metadata(this.role, this.signed, signatures, keys, undefined, expiresMs);
    out.#canonical = this.#canonical;
    return out;
  }

  /** Canonical JSON text of `signed`: what signatures cover. */
  canonicalText(): string {
    this.#canonical ??= canonicalJson(this.signed);
    return this.#canonical;
  }

  canonicalBytes(): Uint8Array {
    return utf8(this.canonicalText());
  }

  /**
   * The canonical bytes and their sha256 (base64), computed once per document: what a signature
   * check verifies and the key of its verdict memo (a warm verify checks the same documents again).
   */
  signedMessage(): { readonly bytes: Uint8Array; readonly sha256Base64: string } {
    this.#message ??= (() => {
      const bytes =
        this.canonicalSigned ??
        (this.signedAsServed !== undefined
          ? utf8(canonicalJson(this.signedAsServed))
          : this.canonicalBytes());
      return { bytes, sha256Base64: Buffer.from(sha256(bytes)).toString('base64') };
    })();
    return this.#message;
  }

  /**
   * Bytes as Notary writes them: the original bytes when parsed from the wire,
   * else Go's `json.Marshal` of the envelope.
   */
  wireBytes(): Uint8Array {
    this.#wire ??= this.raw ?? wireBytes(this.canonicalText(), this.signatures);
    return this.#wire;
  }

  isExpired(nowMs: number): boolean {
    return !(this.expiresMs > nowMs);
  }
}

export type RootMetadata = Metadata<RootBody>;
export type TargetsMetadata = Metadata<TargetsBody>;
export type SnapshotMetadata = Metadata<SnapshotBody>;
export type TimestampMetadata = Metadata<TimestampBody>;

/** Default expiry durations (Notary const.go / tuf/data/types.go). */
export const DEFAULT_EXPIRY_MS: Record<TopLevelRole | 'delegation', number> = {
  root: 10 * 365 * 24 * 3600_000,
  targets: 3 * 365 * 24 * 3600_000,
  delegation: 3 * 365 * 24 * 3600_000,
  snapshot: 3 * 365 * 24 * 3600_000,
  timestamp: 14 * 24 * 3600_000,
};

/** Size caps applied before a body is read (Notary const.go). */
export const DEFAULT_SIZE_LIMITS = {
  timestamp: 1 << 20,
  /** root.json (Notary sets no limit; a root with dozens of certificates is still a few hundred KiB). */
  root: 2 << 20,
  /** Anything else whose length is not given by a parent. */
  other: 100 << 20,
} as const;

/**
 * Deepest nesting of objects and arrays accepted in a metadata document (the
 * document object is level 1), checked on the bytes before JSON.parse. Notary's
 * own structure is at most 6 deep (`signed.delegations.roles[i].paths`), a
 * target's `custom` data starts at level 5: 32 leaves custom data 27 levels and
 * refuses in one pass what would otherwise cost recursion (Go's decoder has no
 * limit before Go 1.15, 10,000 after).
 */
export const DEFAULT_MAX_NESTING = 32;

/**
 * Most keys in one keys map (root `keys`, `delegations.keys`) and most key ids listed for one role
 * (TOO_LARGE beyond). Real repositories list a handful; the cap bounds what a hostile map costs.
 */
export const DEFAULT_MAX_KEYS = 1024;

/** Most signatures in one envelope (TOO_LARGE beyond). */
export const DEFAULT_MAX_SIGNATURES = 1024;
