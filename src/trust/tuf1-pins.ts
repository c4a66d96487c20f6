/**
 * Trust pinning for TUF 1.0 roots (registry-hosted trust): a pin for a GUN is a set of TUF 1.0 root
 * key ids, and a root is the client's starting point only when a threshold of its root role's
 * signatures verify with pinned keys. Two things the pin must survive:
 *
 * - key ids are only labels in TUF 1.0 metadata: a root can list a pinned id next to any key
 *   material. A pinned id counts only when the key object it labels hashes to it (the spec's key id,
 *   sha256 of the canonical `{keytype, scheme, keyval}`, or of the whole key object as older
 *   securesystemslib computed it), so the pin binds key material, not a name;
 * - a root that merely lists a pinned key is not signed by it: the signatures are checked, and only
 *   pinned keys count towards the threshold (as Notary's trustpinning does with certificate ids).
 *
 * Rotations away from the pinned keys are then followed through the spec's chain (each new root
 * signed by a threshold of the previous root's keys and of its own): the pin anchors the start.
 */

import { sha256 } from '../crypto/backend.js';
import { tuf1KeyId } from '../crypto/tuf1.js';
import { toHex } from '../crypto/util.js';
import { olpcCanonicalBytes } from '../encoding/olpc.js';
import { TrustError, VerificationError } from '../errors.js';
import { TUF1_DIALECT } from './dialect.js';
import { checkThreshold } from './signatures.js';

/** Whether the key object `raw` hashes to `id` (spec key id, or the hash of the whole object). */
function bindsKeyId(raw: unknown, id: string): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const k = raw as { keytype?: unknown; scheme?: unknown; keyval?: unknown };
  if (typeof k.keytype !== 'string' || typeof k.scheme !== 'string') return false;
  if (typeof k.keyval !== 'object' || k.keyval === null) return false;
  try {
    if (
      tuf1KeyId(
        { keytype: k.keytype, scheme: k.scheme, keyval: k.keyval as Record<string, unknown> },
        olpcCanonicalBytes,
      ) === id
    ) {
      return true;
    }
    return toHex(sha256(olpcCanonicalBytes(raw))) === id;
  } catch {
    return false;
  }
}

/**
 * Checks that TUF 1.0 root `bytes` is signed by a threshold of its root keys counting pinned keys
 * only (see the header). Throws PINNING when no pinned key is listed (with matching material), and
 * the threshold errors (THRESHOLD, BAD_SIGNATURE) when the pinned keys did not sign enough; format
 * errors as the parser reports them.
 */
export function checkTuf1RootPinned(bytes: Uint8Array, pins: readonly string[], gun: string): void {
  const root = TUF1_DIALECT.parseRoot(bytes);
  const role = root.signed.roles.root!;
  let rawKeys: Record<string, unknown> = {};
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { signed?: { keys?: unknown } };
    if (typeof doc.signed?.keys === 'object' && doc.signed.keys !== null) {
      rawKeys = doc.signed.keys as Record<string, unknown>;
    }
  } catch {
    // the strict parser accepted it; nothing binds then
  }
  const listed = new Set(role.keyids);
  const pinned = pins.filter(
    (id) => listed.has(id) && root.keys.has(id) && Object.hasOwn(rawKeys, id) && bindsKeyId(rawKeys[id], id),
  );
  if (pinned.length === 0) {
    throw new VerificationError(
      'PINNING',
      `root v${root.version} of ${gun} lists none of the pinned root key ids (${pins.join(', ')})`,
      { role: 'root', version: root.version, expected: pins.join(', ') },
    );
  }
  try {
    checkThreshold(
      root,
      { role: 'root', keyids: pinned, threshold: role.threshold, keys: root.keys },
      'pinned root',
    );
  } catch (e) {
    if (e instanceof TrustError) {
      throw new VerificationError(
        'PINNING',
        `root v${root.version} of ${gun} is not signed by a threshold of pinned root keys: ${e.message}`,
        { role: 'root', version: root.version, expected: pins.join(', '), cause: e },
      );
    }
    throw e;
  }
}

/**
 * The field of a TUF 1.0 root (in `signed`) naming the GUN it is about: registry-hosted repositories
 * written by this library carry it (publish/tuf1/writer.ts `gun`). It is an unrecognized field to the
 * spec's other clients, so it stays covered by the root's signatures and they ignore it.
 */
export const TUF1_ROOT_GUN_FIELD = 'x-content-trust-gun';

function rootGunOf(bytes: Uint8Array): { present: boolean; value: unknown } {
  let signed: unknown;
  try {
    signed = (JSON.parse(new TextDecoder().decode(bytes)) as { signed?: unknown }).signed;
  } catch {
    return { present: false, value: undefined }; // the strict parser refuses it with its own error
  }
  if (typeof signed !== 'object' || signed === null || !Object.hasOwn(signed, TUF1_ROOT_GUN_FIELD)) {
    return { present: false, value: undefined };
  }
  return { present: true, value: (signed as Record<string, unknown>)[TUF1_ROOT_GUN_FIELD] };
}

/**
 * Binds a TUF 1.0 root to the repository `gun` (registry-hosted trust): a root naming a GUN must name
 * this one, and once the trusted root (`previous`) names it, every later root must too. Without the
 * binding, two repositories signed with one root key (docker's trust dir reuses one root key for
 * every repository; `trust migrate` keeps it) would accept each other's rotated roots, and so each
 * other's tags. Roots that name no GUN (python-tuf's, Docker's, older ones) stay accepted while the
 * trusted root names none. UNTRUSTED_ROOT otherwise.
 */
export function checkTuf1RootGun(bytes: Uint8Array, gun: string, previous?: Uint8Array): void {
  const mine = rootGunOf(bytes);
  const before = previous ? rootGunOf(previous) : { present: false, value: undefined };
  if (mine.present ? mine.value !== gun : before.present) {
    const named = mine.present
      ? typeof mine.value === 'string'
        ? `is the root of ${JSON.stringify(mine.value.slice(0, 200))}`
        : `has an invalid ${TUF1_ROOT_GUN_FIELD}`
      : `names no repository (the trusted root names ${gun})`;
    throw new VerificationError(
      'UNTRUSTED_ROOT',
      `a root served for ${gun} ${named}: refusing another repository's trust data`,
      { role: 'root', expected: gun },
    );
  }
}
