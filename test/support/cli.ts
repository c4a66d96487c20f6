/**
 * The one way tests run the built CLI (`dist/cli.cjs`, the package's bin) or another program as a
 * user would: a child process with a scrubbed environment (no
 * DOCKER_CONTENT_TRUST_*, NOTARY_* or CONTENT_TRUST_* variables leak in from the
 * shell running the tests), cheap key derivation, no V8 code cache in the
 * user's cache dir (test/cli/code-cache.test.ts runs the CLI with one), and
 * the caller's additions.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.cjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Variables a developer's shell may set that would change what the CLI does. */
const SCRUBBED = /^(?:DOCKER_CONTENT_TRUST|NOTARY_|CONTENT_TRUST_)/;

/**
 * The child environment: `process.env` without the scrubbed variables, plus
 * CONTENT_TRUST_KDF_ITERATIONS=1000 and CONTENT_TRUST_CODE_CACHE=0, plus `env` (an `undefined` value
 * removes a variable).
 */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED.test(k)) out[k] = v;
  out.CONTENT_TRUST_KDF_ITERATIONS = '1000';
  out.CONTENT_TRUST_CODE_CACHE = '0';
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Runs `command ...args` (e.g. `node script.mjs`, `bash hook.sh`) with childEnv(env). */
export function run(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd?: string,
): CliResult {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(env),
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `node dist/cli.cjs ...args` as `run` does. */
export function trust(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd?: string,
): CliResult {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run 'npm run build' (or 'npx tsup') first; 'npm test' does`);
  }
  return run(process.execPath, [CLI, ...args], env, cwd);
}
