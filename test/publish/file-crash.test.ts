/**
 * `file://` repositories survive SIGKILL (issue 8 item 20): the real CLI publishes to a local
 * repository and is killed just before the k-th file-system operation on the repository directory
 * (test/support/kill-at.cjs counts them; the code runs unmodified), for k spread over the whole
 * publish. After every kill the repository serves one whole state (the old one or the new one: a
 * fresh and a warm consumer verify, nothing is torn), and the next run publishes at once (the
 * killed holder's lock is broken, left-overs are cleaned).
 *
 * 0.1.0 failed here: the lock of a killed publisher blocked every publish for 10 minutes, and a kill
 * between moving the current-version pointers (targets v6 with timestamp v5) broke every later publish.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/client/verify.js';
import { tempDir } from '../harness/lab.js';
import { CLI, childEnv } from '../support/cli.js';

const KILL_AT = join(import.meta.dirname, '..', 'support', 'kill-at.cjs');
const GUN = 'registry.example.com/crash/app';
const PASS = 'crash-test-passphrase';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ops: number;
}

function trust(args: string[], server: string, trustDir: string, killAt = 0, match = ''): Run {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
  const countFile = join(tempDir(), 'count');
  const env = childEnv({
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PASS,
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS,
    CT_KILL_AT: String(killAt),
    CT_KILL_MATCH: match,
    CT_KILL_COUNT_FILE: countFile,
  });
  const r = spawnSync(
    process.execPath,
    ['--require', KILL_AT, CLI, ...args, '--server', server, '--trust-dir', trustDir],
    { encoding: 'utf8', env, timeout: 60_000 },
  );
  const ops = existsSync(countFile) ? Number(readFileSync(countFile, 'utf8')) : 0;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ops };
}

/** A repository with tag v1, an admin trust dir, and a warm consumer that verified v1. */
async function repo() {
  const root = tempDir();
  const repoDir = join(root, 'repo');
  const server = pathToFileURL(repoDir).href;
  const admin = tempDir();
  const init = trust(['sign', `${GUN}:v1`, '--digest', digest('1'), '--size', '1'], server, admin);
  expect(init.status, init.stderr).toBe(0);
  const warm = tempDir();
  expect((await verify(`${GUN}:v1`, { server, trustDir: warm })).digest).toBe(digest('1'));
  return { repoDir, server, admin, warm };
}

/** Every consumer sees one whole state: v1 verifies; `maybe` verifies or is NOT_SIGNED, never worse. */
async function consistent(server: string, warm: string, maybe: string, when: string) {
  for (const trustDir of [warm, tempDir()]) {
    expect((await verify(`${GUN}:v1`, { server, trustDir })).digest, when).toBe(digest('1'));
    const v = await verify(`${GUN}:${maybe}`, { server, trustDir }).then(
      (r) => r.digest,
      (e: { code?: string }) => e.code,
    );
    expect([digest('2'), 'NOT_SIGNED'], `${when}: ${maybe} -> ${v}`).toContain(v);
  }
}

/** Kill points spread over a run of `total` operations (always the first and the last). */
function points(total: number, n: number): number[] {
  const out = new Set<number>([1, total]);
  for (let i = 1; i < n - 1; i++) out.add(Math.max(1, Math.round((total * i) / (n - 1))));
  return [...out].sort((a, b) => a - b);
}

describe('file:// repositories after SIGKILL (issue 8 item 20)', () => {
  for (const scenario of ['sign', 'key rotate targets'] as const) {
    it(`${scenario}: killed at spread points, the repository stays whole and the next run publishes`, async () => {
      const args =
        scenario === 'sign'
          ? ['sign', `${GUN}:v2`, '--digest', digest('2'), '--size', '2']
          : ['key', 'rotate', GUN, 'targets'];
      // calibrate: how many operations on the repository directory a whole run makes
      const probe = await repo();
      const full = trust(args, probe.server, probe.admin, 0, probe.repoDir);
      expect(full.status, full.stderr).toBe(0);
      expect(full.ops).toBeGreaterThan(5);
      const tried: string[] = [];
      const dirs: { repoDir: string; when: string }[] = [];
      for (const k of points(full.ops, 7)) {
        const { repoDir, server, admin, warm } = await repo();
        const killed = trust(args, server, admin, k, repoDir);
        const when = `${scenario}, killed before operation ${k}/${full.ops}`;
        expect(killed.signal, `${when}: ${killed.stderr}`).toBe('SIGKILL');
        await consistent(server, warm, 'v2', when);
        // the next run publishes at once: no lock wait, no version conflict with a torn state
        const t0 = Date.now();
        const next = trust(['sign', `${GUN}:v3`, '--digest', digest('3'), '--size', '3'], server, admin);
        expect(next.status, `${when}, next run: ${next.stderr}`).toBe(0);
        expect(Date.now() - t0, when).toBeLessThan(30_000);
        for (const trustDir of [warm, tempDir()]) {
          expect((await verify(`${GUN}:v3`, { server, trustDir })).digest, when).toBe(digest('3'));
        }
        dirs.push({ repoDir, when });
        tried.push(`${k}`);
      }
      expect(tried.length).toBeGreaterThanOrEqual(5);
      // nothing of the kills is left: lock-free directories holding the current and previous states
      for (const { repoDir, when } of dirs) {
        const trustMeta = join(repoDir, ...GUN.split('/'), '_trust');
        expect(readdirSync(trustMeta).sort(), when).toEqual(['.tuf-states', 'tuf']);
        expect(
          readdirSync(join(trustMeta, '.tuf-states')).filter((f) => !/^s-[0-9]+$/.test(f)),
          when,
        ).toEqual([]);
      }
    }, 240_000);
  }
});
