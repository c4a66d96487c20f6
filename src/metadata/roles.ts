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
