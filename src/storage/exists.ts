import { lstat } from 'node:fs/promises';
import { LocalError } from '../errors.js';

/**
 * True when something already occupies `path`: a file, a directory, or a symlink
 * (even a dangling one: symlinks are not followed). This is the check before
 * writing a file that must never replace an existing one. False only when
 * nothing is there (ENOENT, or ENOTDIR for a parent that is a file); any other
 * failure (e.g. EACCES) is a LocalError IO rather than a guess.
 */
export async function pathOccupied(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new LocalError('IO', `cannot check ${path}${code ? ` (${code})` : ''}`, { cause: e });
  }
}
