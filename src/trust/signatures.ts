/** Threshold signature checks over canonical bytes, with distinct key ids. */

import { sha256 } from '../crypto/backend.js';
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

/**
 * Verdicts of signature checks already made in this process, keyed by key id,
 * method, signature and a hash of the message: a long-running verifier (deploy
 * tool, admission hook) re-checks the same cached metadata on every call.
 */
const verdicts = new Map<string, boolean>();

function verifyMemo(
  key: TufPublicKey,
  method: string,
  sig: string,
  message: Uint8Array,
  messageHash: string,
): boolean {
  const k = `${key.id}|${method}|${sig}|${messageHash}`;
  let ok = verdicts.get(k);
  if (ok === undefined) {
    ok = verifySignature(key, method, Buffer.from(sig, 'base64'), message);
    if (verdicts.size >= 4096) verdicts.clear();
    verdicts.set(k, ok);
  }
  return ok;
}

/** Ids of the role's keys whose signature on `md` verifies (each key counted once). */
export function validSignerIds(md: Metadata, set: RoleKeySet): { valid: string[]; badListed: string[] } {
  const allowed = new Set(set.keyids);
  const valid: string[] = [];
  const badListed: string[] = [];
  const seen = new Set<string>();
  let message: Uint8Array | undefined;
  let messageHash = '';
  for (const s of md.signatures) {
    if (!allowed.has(s.keyid) || seen.has(s.keyid)) continue;
    const key = set.keys.get(s.keyid);
    if (!key) continue;
    if (!message) {
      message = md.canonicalBytes();
      messageHash = Buffer.from(sha256(message)).toString('base64');
    }
    if (verifyMemo(key, s.method, s.sig, message, messageHash)) {
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
