/** Finding signed tags in trusted targets metadata, with docker's role precedence. */

import { FormatError, VerificationError } from '../errors.js';
import type { FileMetaJson, TargetsMetadata } from '../metadata/model.js';
import { pathsAllow, RELEASES_ROLE } from '../metadata/roles.js';
import type { Updater } from './updater.js';

export interface SignedTarget {
  /** Target (tag) name. */
  readonly name: string;
  /** `sha256:<hex>` of the manifest. */
  readonly digest: string;
  /** Manifest length in bytes. */
  readonly size: number;
  /** Role whose metadata signed it (`targets/releases`, `targets`, `targets/<signer>`). */
  readonly role: string;
  /** Key ids whose signatures on that role's metadata verified (checking stops at the threshold). */
  readonly signers: readonly string[];
  /** Target `custom` data, when present. */
  readonly custom?: unknown;
}

export function toSignedTarget(
  name: string,
  meta: FileMetaJson,
  md: TargetsMetadata,
  signers: string[],
): SignedTarget {
  const b64 = meta.hashes.sha256;
  if (b64 === undefined) {
    throw new FormatError('BAD_METADATA', `${md.role}: target ${JSON.stringify(name)} has no sha256 hash`, {
      role: md.role,
      version: md.version,
    });
  }
  const hex = Buffer.from(b64, 'base64').toString('hex');
  if (hex.length !== 64) {
    throw new FormatError(
      'BAD_METADATA',
      `${md.role}: target ${JSON.stringify(name)} sha256 is not 32 bytes`,
      {
        role: md.role,
        version: md.version,
      },
    );
  }
  const t: { -readonly [K in keyof SignedTarget]: SignedTarget[K] } = {
    name,
    digest: `sha256:${hex}`,
    size: meta.length,
    role: md.role,
    signers,
  };
  if (meta.custom !== undefined) t.custom = meta.custom;
  return t;
}

function delegatedRoles(md: TargetsMetadata): { name: string; paths?: readonly string[] }[] {
  return md.signed.delegations.roles;
}

/**
 * Looks a tag up the way docker does: `targets/releases` first, then
 * `targets`; `extraRoles` (e.g. `targets/alice`) are consulted after those.
 * Returns null when no trusted role signs the tag.
 */
export async function lookupTag(
  updater: Updater,
  tag: string,
  extraRoles: readonly string[] = [],
): Promise<SignedTarget | null> {
  const set = updater.trusted;
  const top = set.targets('targets')!;
  const order: string[] = [];
  const releases = delegatedRoles(top).find((r) => r.name === RELEASES_ROLE);
  if (releases && pathsAllow(releases.paths, tag)) order.push(RELEASES_ROLE);
  order.push('targets');
  for (const r of extraRoles) if (!order.includes(r)) order.push(r);
  for (const role of order) {
    if (role !== 'targets') {
      const loaded = await updater.loadChain(role);
      if (!loaded) continue;
      const keySet = set.keySetFor(role);
      if (!pathsAllow(keySet.paths, tag)) continue;
    }
    const md = set.targets(role)!;
    const meta = md.signed.targets[tag];
    if (meta && Object.hasOwn(md.signed.targets, tag)) {
      return toSignedTarget(tag, meta, md, [...set.signersOf(role)]);
    }
  }
  return null;
}

/**
 * Every targets role reachable from `targets` (breadth-first), loaded. More than `maxRoles` roles
 * (`targets` included) is TOO_LARGE: a partial list would silently drop signed tags.
 */
export async function loadAllTargetsRoles(updater: Updater, maxRoles = 1000): Promise<TargetsMetadata[]> {
  const set = updater.trusted;
  const out: TargetsMetadata[] = [set.targets('targets')!];
  const queue = delegatedRoles(out[0]!).map((r) => r.name);
  while (queue.length > 0) {
    if (out.length >= maxRoles) {
      throw new VerificationError(
        'TOO_LARGE',
        `${updater.trusted.policy.gun} has more than ${maxRoles} targets roles (limit maxDelegations)`,
        { expected: `<= ${maxRoles} roles` },
      );
    }
    const name = queue.shift()!;
    if (!(await updater.loadTargets(name))) continue;
    const md = set.targets(name)!;
    out.push(md);
    for (const r of delegatedRoles(md)) queue.push(r.name);
  }
  return out;
}
