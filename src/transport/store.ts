/**
 * The transport seam for trust metadata. Dialect-neutral: the Notary v1 server (notary-server.ts), a
 * directory laid out like it (file-store.ts), and later a TUF 1.0 / OCI-registry-hosted store all
 * implement this. A store moves bytes; it never decides trust.
 */

/** Options of one `MetadataStore.getMeta` call. */
export interface GetMetaOptions {
  /** Most ms this request may take (what is left of the operation's deadline). */
  readonly deadlineMs?: number;
}

/** Where trust metadata comes from and goes to (a Notary server, a directory, ...): bytes only, never trust. */
export interface MetadataStore {
  /**
   * Fetch `<name>.json` (e.g. 'timestamp', 'root', '2.root', 'snapshot.<sha256hex>',
   * 'targets/releases.<hex>'). Returns null when it does not exist (404). Never returns more than
   * maxBytes (VerificationError TOO_LARGE instead). `options.deadlineMs` is what is left of the
   * operation's overall deadline (a store that talks to a peer bounds the request by it).
   */
  getMeta(name: string, maxBytes: number, options?: GetMetaOptions): Promise<Uint8Array | null>;
  /** Atomically publish role files (role name without .json → exact bytes). */
  publish(files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): Promise<void>;
  /** Server-managed key for 'timestamp' | 'snapshot' (GET .../<role>.key); null if the store has no server keys. */
  getServerKey(role: 'timestamp' | 'snapshot'): Promise<unknown | null>;
  /** Asks the server for a new 'timestamp' | 'snapshot' key; returns its public key. */
  rotateServerKey(role: 'timestamp' | 'snapshot'): Promise<unknown>;
  /** Deletes all trust data of the repository. */
  deleteRepository(): Promise<void>;
  /** For error messages, e.g. 'https://notary.example/v2/<gun>'. */
  readonly description: string;
}

/** Metadata names a store accepts: role names (`targets/releases`), optionally `<version>.` or `.<hex>`. */
const META_NAME =
  /^(?:[0-9]+\.)?[a-z0-9_-]+(?:\/[a-z0-9_-]+)*(?:\.[a-f0-9]{64}|\.[a-f0-9]{96}|\.[a-f0-9]{128})?$/;

/**
 * Whether `name` is a plain role name (`timestamp`, `targets/releases`): `[a-z0-9_-]+` components
 * joined by single slashes, which META_NAME accepts. Checked first by a loop: the expression is
 * compiled by irregexp in every process, and a warm `trust verify` asks only for `timestamp`.
 */
function plainRoleName(name: string): boolean {
  let componentStart = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f) {
      if (componentStart) return false;
      componentStart = true;
    } else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d) {
      componentStart = false;
    } else {
      return false;
    }
  }
  return !componentStart;
}

/** Whether `name` is a metadata file name a store may be asked for (no traversal, no odd characters). */
export function isValidMetaName(name: string): boolean {
  return name.length > 0 && name.length <= 512 && (plainRoleName(name) || META_NAME.test(name));
}

/** Role names that may be published (`root`, `targets`, `targets/releases`, ...). */
export function isValidRoleName(role: string): boolean {
  return role.length > 0 && role.length < 256 && /^[a-z0-9_-]+(?:\/[a-z0-9_-]+)*$/.test(role);
}
