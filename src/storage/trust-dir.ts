/**
 * The docker trust dir: `$DOCKER_CONFIG/trust` or `~/.docker/trust`, with
 * `tuf/<gun>/metadata/<role>.json` (the metadata cache) and `private/` (keys).
 */

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/** Resolves the trust dir: explicit option, else `$DOCKER_CONFIG/trust`, else `~/.docker/trust`. */
export function resolveTrustDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'trust');
  return join(homedir(), '.docker', 'trust');
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Refuses GUNs that could escape the trust dir (`..`, empty or odd segments). */
export function checkGunPath(gun: string): void {
  const parts = gun.split('/');
  if (gun.length > 255 || parts.some((p) => !SEGMENT.test(p) || p === '.' || p === '..')) {
    throw new LocalError(
      'BAD_REFERENCE',
      `invalid repository name for the trust dir: ${JSON.stringify(gun)}`,
    );
  }
}

function checkRolePath(role: string): void {
  if (!/^[a-z0-9._-]+(\/[-a-z0-9_]+)*$/.test(role) || role.split('/').includes('..')) {
    throw new LocalError('IO', `invalid metadata file name ${JSON.stringify(role)}`);
  }
}

/** The local metadata cache of one repository (GUN). Files are the exact bytes that passed verification. */
export class MetadataCache {
  readonly dir: string;

  constructor(
    trustDir: string,
    readonly gun: string,
  ) {
    checkGunPath(gun);
    this.dir = join(trustDir, 'tuf', ...gun.split('/'), 'metadata');
  }

  pathOf(role: string): string {
    checkRolePath(role);
    return join(this.dir, `${role}.json`);
  }

  /**
   * Cached bytes of a role, or null when absent. Read synchronously: the files
   * are local and small or read once, and four promise-based reads cost ~0.7 ms
   * of a ~2 ms warm verify against ~0.03 ms for these.
   */
  async read(role: string): Promise<Uint8Array | null> {
    try {
      return readFileSync(this.pathOf(role));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LocalError('IO', `cannot read cached ${role} for ${this.gun}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Writes one role atomically (temp file + rename). */
  async write(role: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(role);
    const i = role.lastIndexOf('/');
    await mkdir(i < 0 ? this.dir : join(this.dir, role.slice(0, i)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, bytes, { mode: 0o644 });
  }

  /**
   * Writes several roles; each file is atomic. Order matters for crash safety:
   * root first, timestamp last, so a torn update never makes the cache claim
   * a timestamp whose snapshot it lacks.
   */
  async writeAll(files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const rank = (r: string) => (r === 'root' ? 0 : r === 'timestamp' ? 3 : r === 'snapshot' ? 2 : 1);
    const roles = [...files.keys()].sort((a, b) => rank(a) - rank(b));
    for (const role of roles) await this.write(role, files.get(role)!);
  }
}
