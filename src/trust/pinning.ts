/**
 * Notary's trust pinning (trustpinning/trustpin.go): which root certificates
 * may anchor a repository. Certificate-id pins for the GUN win; else a CA
 * pinned for the longest matching GUN prefix; else trust on first use (which
 * may be disabled). Applied to every new root: the first one and each
 * rotation.
 */

import type { X509Certificate } from 'node:crypto';
import { parseCertificateBundle } from '../crypto/certificate.js';
import { certificateChainOf } from '../crypto/keys.js';
import type { TufPublicKey } from '../crypto/types.js';
import { LocalError } from '../errors.js';

/**
 * Parses a local PEM bundle of CA certificates (the one PEM codec and certificate parser; CONFIG
 * errors naming `what`). Text around the blocks (comments, `openssl x509 -text`) is skipped, as Notary does.
 */
export function parseCaBundle(pem: string, what: string): X509Certificate[] {
  try {
    return parseCertificateBundle(pem, 'CONFIG', { textOutsideBlocks: 'skip' }).map((c) => c.x509);
  } catch (e) {
    throw new LocalError('CONFIG', `${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** True when the root key's leaf certificate chains (through its bundled intermediates) to one of `cas`. */
export function chainsToCa(key: TufPublicKey, cas: readonly X509Certificate[], nowMs: number): boolean {
  let chain: X509Certificate[];
  try {
    chain = certificateChainOf(key, { role: 'root' }).map((c) => c.x509);
  } catch {
    return false;
  }
  const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= nowMs && nowMs <= Date.parse(c.validTo);
  // Walk leaf -> intermediates -> pinned CA, each link issued and signed by the next.
  let current = chain[0];
  const intermediates = chain.slice(1);
  for (let depth = 0; current && depth <= intermediates.length; depth++) {
    for (const ca of cas) {
      if (current.checkIssued(ca) && current.verify(ca.publicKey) && valid(ca)) return true;
    }
    const next = intermediates.find(
      (i) => current!.checkIssued(i) && current!.verify(i.publicKey) && valid(i),
    );
    if (!next) return false;
    current = next;
  }
  return false;
}

/** Longest GUN-prefix match in a prefix -> value map (Notary's `ca` pinning). */
export function longestPrefixMatch<T>(
  map: Readonly<Record<string, T>> | undefined,
  gun: string,
): T | undefined {
  if (!map) return undefined;
  let best: string | undefined;
  for (const prefix of Object.keys(map)) {
    if (gun.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : map[best];
}
