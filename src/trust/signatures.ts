/**
 * Threshold signature checks over canonical bytes. A threshold counts distinct keys, not key
 * ids: the same public key listed twice (as `ecdsa` and as an `ecdsa-x509` certificate, or under
 * two certificates) is one key and its signatures count once.
 */

import { preparedKey } from '../crypto/keys.js';
import type { TufPublicKey } from '../crypto/types.js';
import { verifySignature } from '../crypto/verify.js';
import { type TrustError, VerificationError } from '../errors.js';
import type { Metadata } from '../metadata/model.js';
import type { DigestMemo } from './filemeta.js';

export interface RoleKeySet {
  /** Role name for messages. */
  readonly role: string;
  readonly keyids: readonly string[];
  readonly threshold: number;
  /** Where the role's keys are looked up (root.keys or a parent's delegations.keys). */
  readonly keys: ReadonlyMap<string, TufPublicKey>;
  /**
   * Why no key the check looked at could count, if so (root-keys.ts: certificates checked lazily);
   * a failed check with no valid signature throws it.
   */
  readonly unusable?: () => TrustError | undefined;
}

/** Caches a signature check may use (the operation's context provides them). */
export interface SignatureCaches {
  /** Verdict memo (see context/context.ts VerdictMemo). */
  readonly verdicts?: {
    verdict(
      key: TufPublicKey,
      method: string,
      sig: string,
      messageHash: string,
      check: () => boolean,
    ): boolean;
  };
  /** Canonical key identities by key type and public bytes. */
  readonly keyIdentities?: Map<string, string>;
  /**
   * Parsed documents by role and exact bytes, and digests of those bytes (see context/context.ts
   * DocumentCache).
   */
  readonly documents?: {
    get<D>(role: string, bytes: Uint8Array, parse: () => D, sha256Base64?: string): D;
    digest?: DigestMemo['digest'];
  };
  /** The operation's deadline, checked between signature checks (TIMEOUT). */
  readonly deadline?: { check(what: string): void };
}

/**
 * Identities attached to key objects (a WeakMap by identity, as crypto/keys.ts prepares keys: it
 * lives and dies with the object; a key object's fields never change). The context's
 * `keyIdentities` shares identities between documents; this spares a warm verify rebuilding and
 * hashing a certificate-long lookup key for the same key objects on every check.
 */
const identityOf = new WeakMap<TufPublicKey, string>();

/**
 * Prepares keys for verifying (their key objects and identities) ahead of the signatures that will
 * need them, e.g. while a request is in flight (issue 12); unusable keys are left to the checks.
 */
export function prepareKeys(keys: Iterable<TufPublicKey | undefined>, caches: SignatureCaches = {}): void {
  for (const key of keys) if (key) keyIdentity(key, caches);
}

/** Identity prefix of a key whose preparation failed. */
const UNUSABLE = 'unusable:';

/**
 * The canonical identity of a key: its algorithm and the public key re-encoded (SPKI DER as
 * OpenSSL writes it, or the raw ed25519 point). A certificate and the bare key it holds, or two
 * certificates for the same key, have the same identity. Unusable keys get their own id (they never
 * verify anyway).
 */
export function keyIdentity(key: TufPublicKey, caches: SignatureCaches = {}): string {
  const known = identityOf.get(key);
  if (known !== undefined) return known;
  const k = `${key.keytype}\u0000${key.publicB64}`;
  const hit = caches.keyIdentities?.get(k);
  if (hit !== undefined) {
    identityOf.set(key, hit);
    return hit;
  }
  let id: string;
  try {
    const p = preparedKey(key);
    if (p.kind === 'ed25519') id = `ed25519:${Buffer.from(p.raw).toString('base64')}`;
    else id = `${p.kind}:${p.node.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  } catch {
    id = `${UNUSABLE}${key.id}`;
  }
  if (caches.keyIdentities) {
    if (caches.keyIdentities.size >= 4096) caches.keyIdentities.clear();
    caches.keyIdentities.set(k, id);
  }
  identityOf.set(key, id);
  return id;
}

/**
 * Ids of the role's keys whose signature on `md` verifies, at most one per distinct key (the
 * first listed signature that verifies names it), and ids of listed keys whose signature failed.
 * Only keys that are both listed for the role and carry a signature are prepared (parsed), and
 * checking stops once `set.threshold` distinct keys verified: a valid document costs `threshold`
 * verifications, whatever else its envelope or key map holds.
 */
export function validSignerIds(
  md: Metadata,
  set: RoleKeySet,
  caches: SignatureCaches = {},
): { valid: string[]; badListed: string[] } {
  const allowed = new Set(set.keyids);
  const valid: string[] = [];
  const badListed: string[] = [];
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  let message: Uint8Array | undefined;
  let messageHash = '';
  for (const s of md.signatures) {
    if (set.threshold >= 1 && valid.length >= set.threshold) break;
    if (!allowed.has(s.keyid) || seenIds.has(s.keyid)) continue;
    caches.deadline?.check(`checking the signatures of ${md.role}`);
    const key = set.keys.get(s.keyid);
    if (!key) continue;
    const identity = keyIdentity(key, caches);
    // an unusable key (its deferred preparation failed) is as good as unlisted: it never counts
    if (seenKeys.has(identity) || identity.startsWith(UNUSABLE)) continue;
    if (!message) {
      ({ bytes: message, sha256Base64: messageHash } = md.signedMessage());
    }
    const msg = message;
    const check = () => verifySignature(key, s.method, Buffer.from(s.sig, 'base64'), msg);
    const ok = caches.verdicts ? caches.verdicts.verdict(key, s.method, s.sig, messageHash, check) : check();
    if (ok) {
      seenIds.add(s.keyid);
      seenKeys.add(identity);
      valid.push(s.keyid);
    } else if (!badListed.includes(s.keyid)) {
      badListed.push(s.keyid);
    }
  }
  return { valid, badListed };
}

/** Most listed keys whose identities a failed check compares for its message (each may be parsed). */
const DISTINCT_NOTE_MAX = 16;

/**
 * Distinct keys among a role's listed key ids (for threshold sanity messages), or undefined for
 * a role listing more than DISTINCT_NOTE_MAX keys (the note would parse every listed key).
 */
function distinctListed(set: RoleKeySet, caches: SignatureCaches): number | undefined {
  if (set.keyids.length > DISTINCT_NOTE_MAX) return undefined;
  const ids = new Set<string>();
  for (const id of set.keyids) {
    const key = set.keys.get(id);
    if (key) ids.add(keyIdentity(key, caches));
  }
  return ids.size;
}

/** Throws BAD_SIGNATURE / THRESHOLD unless `threshold` distinct listed keys signed `md`. */
export function checkThreshold(
  md: Metadata,
  set: RoleKeySet,
  what = set.role,
  caches: SignatureCaches = {},
): string[] {
  const { valid, badListed } = validSignerIds(md, set, caches);
  if (valid.length >= set.threshold && set.threshold >= 1) return valid;
  if (valid.length === 0) {
    const why = set.unusable?.();
    if (why) throw why;
  }
  const distinct = distinctListed(set, caches);
  const details = {
    role: md.role,
    version: md.version,
    expected: `${set.threshold} signature(s) from distinct keys [${set.keyids.join(', ')}]`,
    actual: `${valid.length} valid`,
  };
  if (badListed.length > 0 && valid.length === 0) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${md.role} v${md.version}: invalid signature from ${what} key ${badListed[0]}`,
      details,
    );
  }
  const note =
    distinct !== undefined && distinct < set.keyids.length
      ? ` (the ${set.keyids.length} listed key ids hold ${distinct} distinct key(s))`
      : '';
  throw new VerificationError(
    'THRESHOLD',
    `${md.role} v${md.version}: ${valid.length} valid signature(s) from distinct ${what} keys, threshold is ${set.threshold}${note}`,
    details,
  );
}
