/**
 * The one temp-dir helper for tests: `tempDir()` makes a fresh directory under
 * os.tmpdir() (the run's private dir, see test/tmp-guard.ts) and removes it
 * after the current test file, so no test leaves anything behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file imports this module (collection time): runs after that file's tests.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory, removed after the current test file. */
export function tempDir(prefix = 'ct-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
