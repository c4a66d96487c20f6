/** Spawning the built CLI (`dist/cli.js`) as a user or a pre-pull hook would, and lab repositories for it. */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freshGun, type LabInfo, type PushedImage, pushImage, runNotary, tempDir } from '../harness/lab.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ...args` with the test's environment plus `env`. */
export function trust(args: string[], env: Record<string, string> = {}, cwd?: string): CliResult {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run 'npm run build' (or 'npx tsup') first; 'npm test' does`);
  }
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CONTENT_TRUST_KDF_ITERATIONS: '1000', CONTENT_TRUST_DEBUG: '', ...env },
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const serverFlags = (lab: LabInfo, trustDir: string) => [
  '--server',
  lab.notaryUrl,
  '--tlscacert',
  lab.caCert,
  '--trust-dir',
  trustDir,
];

/** A repository made and signed by the real notary CLI (init, server-managed snapshot, addhash v1). */
export async function notaryRepo(
  lab: LabInfo,
  env: Record<string, string> = {},
): Promise<{ gun: string; img: PushedImage; dir: string }> {
  const gun = freshGun(lab, 'cli');
  const img = await pushImage(lab, gun.slice(gun.indexOf('/') + 1), 'v1');
  const dir = tempDir();
  for (const args of [
    ['init', gun, '-p'],
    ['key', 'rotate', gun, 'snapshot', '-r'],
    ['addhash', gun, 'v1', String(img.size), '--sha256', img.digest.slice(7), '-p'],
  ]) {
    const r = runNotary(lab, args, { trustDir: dir, env });
    expect(r.status, r.stderr).toBe(0);
  }
  return { gun, img, dir };
}
