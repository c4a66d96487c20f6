/** The verify-before-pull API: `image:tag` -> trusted `image@sha256:...`. */

import { repositoryContextOf, type TrustOptions, updateOptionsFor } from '../context/repository.js';
import { LocalError, NotSignedError } from '../errors.js';
import { isDelegationName } from '../metadata/roles.js';
import { type ImageReference, toReference } from '../reference.js';
import { isRegistryServer } from '../transport/oci/location.js';
import { lookupTag, type SignedTarget } from '../trust/lookup.js';
import { Updater } from '../trust/updater.js';
import { probeRegistryTrust, registryServerFor } from './registry-source.js';

/** Options of `verify`: `TrustOptions` plus the delegations to consult. */
export interface VerifyOptions extends TrustOptions {
  /** Delegations consulted after `targets/releases` and `targets` (e.g. `targets/alice`). */
  roles?: string[];
  /** Registry-hosted trust: an offline bundle (`trust export`), path or bytes, instead of the network. */
  bundle?: string | Uint8Array;
}

/** A trusted tag: the pullable `NAME@sha256:...` reference, digest, size and the role that signed it. */
export interface VerifyResult {
  /** `NAME@sha256:HEX`, NAME as written by the caller (no tag). */
  reference: string;
  /** Fully qualified repository (the GUN), e.g. `docker.io/library/alpine`. */
  repository: string;
  tag: string;
  /** `sha256:<hex>` of the manifest. */
  digest: string;
  /** Manifest size in bytes. */
  size: number;
  /** Role that signed the tag (`targets/releases` or `targets`, ...). */
  role: string;
  /** Key ids whose signatures on that role verified. */
  signers: string[];
}

/**
 * Verifies that `reference` (`IMAGE[:TAG]`) is signed in the repository's
 * trust data and returns the trusted digest. Throws a TrustError otherwise
 * (`NOT_SIGNED`, `NO_TRUST_DATA`, `EXPIRED`, `ROLLBACK`, ..., `NETWORK`).
 */
export async function verify(
  reference: string | ImageReference,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const ref = toReference(reference);
  const tag = ref.tag;
  if (tag === undefined) {
    throw new LocalError(
      'BAD_REFERENCE',
      `${ref.name}@${ref.digest}: give a tag to verify; a digest alone needs no trust lookup`,
    );
  }
  for (const role of options.roles ?? []) {
    if (!isDelegationName(role)) {
      throw new LocalError(
        'USAGE',
        `roles: ${JSON.stringify(role)} is not a delegation name (targets/<name>)`,
      );
    }
  }
  // Registry-hosted trust data (bundle, `registry`/`oci://` server, or a GUN first trusted there).
  // A given server decides at once (registryServerFor's first rule), with no turn of the microtask
  // queue before the request is written (issue 12).
  if (
    options.bundle !== undefined ||
    (options.store === undefined &&
      (options.server !== undefined
        ? isRegistryServer(options.server)
        : (await registryServerFor(
            ref,
            options,
            options.offline || options.http ? undefined : (r) => probeRegistryTrust(r, options),
          )) !== undefined))
  ) {
    const { verifyRegistry } = await import('./registry-verify.js');
    return verifyRegistry(ref, options);
  }
  const ctx = repositoryContextOf(ref, options);
  const updater = new Updater(ctx.store, ctx.cache, ctx.policy, updateOptionsFor(ctx, options));
  await updater.refresh();
  const found = await lookupTag(updater, tag, options.roles);
  await updater.commit();
  if (!found) {
    throw new NotSignedError('NOT_SIGNED', `no trusted signature for ${ref.name}:${tag} in ${ref.gun}`, {
      expected: `a signed tag ${tag}`,
    });
  }
  if (ref.digest !== undefined && ref.digest !== found.digest) {
    throw new NotSignedError(
      'NOT_SIGNED',
      `${ref.name}:${tag} is signed with ${found.digest}, not the requested ${ref.digest}`,
      { expected: ref.digest, actual: found.digest },
    );
  }
  return resultOf(ref, found);
}

function resultOf(ref: ImageReference, t: SignedTarget): VerifyResult {
  return {
    reference: `${ref.name}@${t.digest}`,
    repository: ref.gun,
    tag: t.name,
    digest: t.digest,
    size: t.size,
    role: t.role,
    signers: [...t.signers],
  };
}
