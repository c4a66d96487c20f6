/**
 * `docker trust inspect`: every signed tag of a repository with its digest and
 * signers, the delegated signers and their keys, and the administrative keys.
 * JSON shape compatible with docker (cli/command/trust/inspect.go).
 */

import { repositoryContext, type TrustOptions, updateOptionsFor } from '../context/repository.js';
import { pathsAllow, RELEASES_ROLE } from '../metadata/roles.js';
import { type ImageReference, toReference } from '../reference.js';
import { loadAllTargetsRoles, toSignedTarget } from '../trust/lookup.js';
import { Updater } from '../trust/updater.js';
import { probeRegistryTrust, registryServerFor } from './registry-source.js';

/** A signed tag in `docker trust inspect` output (`Digest` is hex without `sha256:`). */
export interface InspectSignedTag {
  SignedTag: string;
  /** Hex sha256 without `sha256:` (docker's format). */
  Digest: string;
  Signers: string[];
}

/** A key in `docker trust inspect` output (`ID` is the key id). */
export interface InspectKey {
  ID: string;
}

/** A signer (delegation) and its keys in `docker trust inspect` output. */
export interface InspectSigner {
  Name: string;
  Keys: InspectKey[];
}

/** One repository in `docker trust inspect --json` shape. */
export interface InspectResult {
  Name: string;
  SignedTags: InspectSignedTag[];
  Signers: InspectSigner[];
  AdministrativeKeys: InspectSigner[];
}

const REPO_ADMIN = 'Repo Admin';

/** docker's notaryRoleToSigner: `targets` and `targets/releases` are the repository admin. */
function signerName(role: string): string {
  return role === 'targets' || role === RELEASES_ROLE ? REPO_ADMIN : role.slice('targets/'.length);
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Inspects one repository (`IMAGE` or `IMAGE:TAG`; a tag limits SignedTags to it). */
export async function inspect(
  reference: string | ImageReference,
  options: TrustOptions = {},
): Promise<InspectResult> {
  const ref = toReference(reference);
  // Registry-hosted trust data (`registry`/`oci://` server, or a GUN first trusted there).
  if (
    options.store === undefined &&
    (await registryServerFor(
      ref,
      options,
      options.offline || options.http ? undefined : (r) => probeRegistryTrust(r, options),
    )) !== undefined
  ) {
    const { inspectRegistry } = await import('./registry-verify.js');
    return inspectRegistry(reference, options);
  }
  const explicitTag = typeof reference === 'string' && /:[\w][\w.-]*$/.test(reference.split('/').pop() ?? '');
  const ctx = repositoryContext(ref, options);
  const updater = new Updater(ctx.store, ctx.cache, ctx.policy, updateOptionsFor(ctx, options));
  const set = await updater.refresh();
  const roles = await loadAllTargetsRoles(updater, ctx.context.limits.maxDelegations);
  await updater.commit();

  // All (tag, digest, role) triples, each delegation limited to its paths.
  const all: { name: string; hex: string; role: string }[] = [];
  for (const md of roles) {
    const paths = md.role === 'targets' ? undefined : set.keySetFor(md.role).paths;
    for (const [name, meta] of Object.entries(md.signed.targets)) {
      if (md.role !== 'targets' && !pathsAllow(paths, name)) continue;
      if (explicitTag && name !== ref.tag) continue;
      const t = toSignedTarget(name, meta, md, []);
      all.push({ name, hex: t.digest.slice('sha256:'.length), role: md.role });
    }
  }
  // docker: released tags are those in targets or targets/releases (releases wins); signers are
  // every role that signed the same tag with the same digest.
  const released = new Map<string, string>();
  for (const t of all) if (t.role === 'targets' && !released.has(t.name)) released.set(t.name, t.hex);
  for (const t of all) if (t.role === RELEASES_ROLE) released.set(t.name, t.hex);
  const signedTags: InspectSignedTag[] = [...released]
    .map(([name, hex]) => ({
      SignedTag: name,
      Digest: hex,
      Signers: [
        ...new Set(all.filter((t) => t.name === name && t.hex === hex).map((t) => signerName(t.role))),
      ].sort(byString),
    }))
    .sort((a, b) => byString(a.SignedTag, b.SignedTag));

  const signers: InspectSigner[] = [];
  for (const md of roles) {
    for (const d of md.signed.delegations.roles) {
      if (d.name === RELEASES_ROLE) continue;
      signers.push({ Name: signerName(d.name), Keys: [...d.keyids].sort(byString).map((ID) => ({ ID })) });
    }
  }
  signers.sort((a, b) => byString(a.Name, b.Name));

  const root = set.root.signed.roles;
  return {
    Name: typeof reference === 'string' ? reference : ref.name,
    SignedTags: signedTags,
    Signers: signers,
    // docker lists them sorted by name: Repository, then Root
    AdministrativeKeys: [
      { Name: 'Repository', Keys: [...root.targets!.keyids].sort(byString).map((ID) => ({ ID })) },
      { Name: 'Root', Keys: [...root.root!.keyids].sort(byString).map((ID) => ({ ID })) },
    ],
  };
}
