/** Role names and delegation rules as Notary 0.7 enforces them (tuf/data/roles.go). */

const DELEGATION_NAME = /^[-a-z0-9_/]+$/;

/** POSIX `path.Clean` equality without allocating when already clean. */
function isCleanPath(p: string): boolean {
  if (p === '' || p.endsWith('/') || p.startsWith('/')) return false;
  for (const part of p.split('/')) {
    if (part === '' || part === '.' || part === '..') return false;
  }
  return true;
}

/** `targets/<...>` with Notary's character set, length and clean-path rules. */
export function isDelegationName(name: string): boolean {
  return name.startsWith('targets/') && name.length < 256 && DELEGATION_NAME.test(name) && isCleanPath(name);
}

/** Parent role of a delegation (`targets/a/b` -> `targets/a`). */
export function parentRole(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

/**
 * Notary delegation paths are plain prefixes; `""` matches everything.
 * A target is in scope when any path is a prefix of its name.
 */
export function pathsAllow(paths: readonly string[] | undefined, target: string): boolean {
  if (!paths) return false;
  for (const p of paths) if (target.startsWith(p)) return true;
  return false;
}

/** The docker rule: `targets/releases` is where signed tags live for pullers. */
export const RELEASES_ROLE = 'targets/releases';

/**
 * For messages: who holds each of `keyids`, as the signer names whose own
 * `targets/NAME` delegation lists the key (never `releases`, which every
 * signer shares), else `key <short id>`.
 */
export function keyOwnerNames(
  roles: readonly { readonly name: string; readonly keyids: readonly string[] }[],
  keyids: readonly string[],
): string[] {
  return keyids.map((id) => {
    const names = roles
      .filter((d) => d.name !== RELEASES_ROLE && d.name.split('/').length === 2 && d.keyids.includes(id))
      .map((d) => d.name.slice('targets/'.length));
    return names.length > 0 ? names.join('/') : `key ${id.slice(0, 7)}`;
  });
}
