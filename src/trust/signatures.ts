/** Threshold signature checks over canonical bytes, with distinct key ids. */

import type { TufPublicKey } from '../crypto/types.js';
import { verifySignature } from '../crypto/verify.js';
import { VerificationError } from '../errors.js';
import type { Metadata } from '../metadata/model.js';

export interface RoleKeySet {
  /** Role name for messages. */
  readonly role: string;
  readonly keyids: readonly string[];
  readonly threshold: number;
  /** Where the role's keys are looked up (root.keys or a parent's delegations.keys). */
  readonly keys: ReadonlyMap<string, TufPublicKey>;
}

/** Ids of the role's keys whose signature on `md` verifies (each key counted once). */
export function validSignerIds(md: Metadata, set: RoleKeySet): { valid: string[]; badListed: string[] } {
  const allowed = new Set(set.keyids);
  const valid: string[] = [];
  const badListed: string[] = [];
  const seen = new Set<string>();
  let message: Uint8Array | undefined;
  for (const s of md.signatures) {
    if (!allowed.has(s.keyid) || seen.has(s.keyid)) continue;
    const key = set.keys.get(s.keyid);
    if (!key) continue;
    message ??= md.canonicalBytes();
    if (verifySignature(key, s.method, Buffer.from(s.sig, 'base64'), message)) {
      seen.add(s.keyid);
      valid.push(s.keyid);
    } else if (!badListed.includes(s.keyid)) {
      badListed.push(s.keyid);
    }
  }
  return { valid, badListed };
}

/** Throws BAD_SIGNATURE / THRESHOLD unless `threshold` distinct listed keys signed `md`. */
export function checkThreshold(md: Metadata, set: RoleKeySet, what = set.role): string[] {
  const { valid, badListed } = validSignerIds(md, set);
  if (valid.length >= set.threshold && set.threshold >= 1) return valid;
  const details = {
    role: md.role,
    version: md.version,
    expected: `${set.threshold} signature(s) from keys [${set.keyids.join(', ')}]`,
    actual: `${valid.length} valid`,
  };
  if (badListed.length > 0 && valid.length === 0) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${md.role} v${md.version}: invalid signature from ${what} key ${badListed[0]}`,
      details,
    );
  }
  throw new VerificationError(
    'THRESHOLD',
    `${md.role} v${md.version}: ${valid.length} valid signature(s) from ${what} keys, threshold is ${set.threshold}`,
    details,
  );
}
