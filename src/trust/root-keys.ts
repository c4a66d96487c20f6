/**
 * Notary's rules for the keys of the root role (trustpinning/certs.go): root keys are x509
 * certificates for the GUN, optionally pinned by certificate id or CA. This is the one
 * Notary-specific piece of the trust state machine; another dialect supplies its own rule.
 *
 * Certificate validity windows (the rule, and how it differs from Notary):
 * - a root that is new to us (first use or the target of a rotation) counts only certificates
 *   valid now (Notary: validRootLeafCerts(checkExpiry=true));
 * - a root we already trust (the cached root, or the previous root vouching for its successor)
 *   keeps all its keys whatever their certificates' windows: the keys were trusted when the root
 *   was accepted, and an expired certificate must not stop the repository from rotating away from
 *   it. Notary applies this to the previous root during a rotation (checkExpiry=false) but loads
 *   the cached root with checkExpiry=true, so a warm Notary client whose cached root certificate
 *   expired cannot rotate at all and users fall back to trust on first use;
 * - the root the update ends on must have a certificate valid now (`checkRootUsable`): a
 *   repository whose root certificates all expired and that offers no newer root is refused
 *   (BAD_CERTIFICATE), warm or cold.
 */

import type { TufPublicKey } from '../crypto/types.js';
import { validateRootCertificate } from '../crypto/x509.js';
import { TrustError, VerificationError } from '../errors.js';
import type { RootMetadata } from '../metadata/model.js';
import { chainsToCa, parseCaBundle } from './pinning.js';
import type { RoleKeySet } from './signatures.js';

/** Who anchors the root keys of a repository (Notary's trust_pinning for one GUN). */
export interface RootKeyPolicy {
  /** Fully qualified repository name the root certificates must be issued for. */
  readonly gun: string;
  /** Root certificate key ids pinned for this GUN: every new root must be signed by these. */
  readonly pinnedCertIds?: readonly string[];
  /** CA certificates (PEM) pinned for this GUN's prefix: new roots' certificates must chain to one. */
  readonly pinnedCAs?: readonly string[];
}

export interface RootKeyFilter {
  /** Check certificate validity windows (true for a root new to us; see the header). */
  checkExpiry: boolean;
  /** Apply the trust pins (for a root that is new to us). */
  pinned: boolean;
  /**
   * Certificates of this very root already accepted for `policy.gun` (the verified index, for the
   * cached root bytes it records; never with `pinned`): key id -> the leaf's validity window (ms).
   * Only the window is checked for these (when `checkExpiry`); a window that fails, or any other
   * key, goes through `validateRootCertificate`, which gives the precise error.
   */
  accepted?: ReadonlyMap<string, { readonly notBefore: number; readonly notAfter: number }>;
}

/** Notary's leeway for a root certificate's notBefore (crypto/x509.ts validateRootCertificate). */
const NOT_BEFORE_LEEWAY_MS = 24 * 60 * 60 * 1000;

/**
 * Keys whose certificate is checked on first lookup (`get`): a threshold check looks up only the
 * listed keys that carry a signature, and stops at the threshold, so a hostile root listing
 * thousands of certificates costs the few it actually uses. Iterating it lists the keys found
 * usable so far.
 */
class CheckedKeys extends Map<string, TufPublicKey> {
  readonly #seen = new Set<string>();
  constructor(readonly check: (id: string) => TufPublicKey | undefined) {
    super();
  }
  override get(id: string): TufPublicKey | undefined {
    if (!this.#seen.has(id)) {
      this.#seen.add(id);
      const key = this.check(id);
      if (key) this.set(id, key);
    }
    return super.get(id);
  }
  override has(id: string): boolean {
    return this.get(id) !== undefined;
  }
}

/**
 * Root-role key set limited to certificates valid for the GUN (and allowed by the pins, when asked).
 * Certificates are checked lazily (CheckedKeys); when no key a check looked at is usable, the
 * check fails with the reason (`unusable`: PINNING, the certificate problem), as when a root lists
 * no usable key at all.
 */
export function rootKeySet(
  root: RootMetadata,
  policy: RootKeyPolicy,
  nowMs: number,
  filter: RootKeyFilter,
): RoleKeySet {
  const role = root.signed.roles.root!;
  let firstError: TrustError | undefined;
  const ids = filter.pinned && policy.pinnedCertIds ? policy.pinnedCertIds : undefined;
  const cas =
    filter.pinned && !ids && policy.pinnedCAs
      ? policy.pinnedCAs.flatMap((p) => parseCaBundle(p, 'pinned CA'))
      : undefined;
  let pinnedOut = 0;
  const listed = role.keyids.filter((id) => root.keys.has(id));
  if (listed.length === 0) {
    throw new VerificationError('UNTRUSTED_ROOT', `root v${root.version} lists no root key`, {
      role: 'root',
      version: root.version,
    });
  }
  const listedSet = new Set(listed);
  const keys = new CheckedKeys((id) => {
    const key = root.keys.get(id);
    if (!key || !listedSet.has(id)) return undefined;
    const known = filter.pinned ? undefined : filter.accepted?.get(id);
    if (
      known &&
      (!filter.checkExpiry || (nowMs + NOT_BEFORE_LEEWAY_MS >= known.notBefore && nowMs <= known.notAfter))
    ) {
      return key;
    }
    try {
      validateRootCertificate(key, policy.gun, new Date(nowMs), { checkExpiry: filter.checkExpiry });
    } catch (e) {
      if (e instanceof TrustError) {
        firstError ??= e;
        return undefined;
      }
      throw e;
    }
    if ((ids && !ids.includes(id)) || (cas && !chainsToCa(key, cas, nowMs))) {
      pinnedOut++;
      return undefined;
    }
    return key;
  });
  const unusable = (): TrustError | undefined => {
    if (keys.size > 0) return undefined;
    if (pinnedOut > 0) {
      const what = ids ? `pinned certificate ids (${ids.join(', ')})` : 'pinned CA';
      return new VerificationError(
        'PINNING',
        `root v${root.version}: no root certificate matches the ${what} for ${policy.gun}`,
        { role: 'root', version: root.version },
      );
    }
    return firstError;
  };
  return { role: 'root', keyids: listed, threshold: role.threshold, keys, unusable };
}
