/** Lab repositories for the CLI tests; the CLI itself is run by test/support/cli.ts. */

import { expect } from 'vitest';
import { freshGun, type LabInfo, type PushedImage, pushImage, runNotary, tempDir } from '../harness/lab.js';

export { CLI, type CliResult, trust } from '../support/cli.js';

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
