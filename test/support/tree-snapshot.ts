/** Byte-exact snapshots of a directory tree, to prove a failed update left the trust dir as it was. */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Relative path -> sha256 of the file (`dir` for directories); {} when `root` does not exist. */
export function treeSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  const walk = (dir: string, depth: number) => {
    if (depth > 32) throw new Error(`tree too deep under ${root}`);
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(root, p);
      if (statSync(p).isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(p, depth + 1);
      } else {
        out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
      }
    }
  };
  walk(root, 0);
  return out;
}
