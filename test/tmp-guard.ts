// Vitest global setup (both projects): the run gets a private temp dir, which test/tmp-guard-worker.ts
// makes every test process's TMPDIR (so it is inherited by every child they spawn), and the run fails
// when a test leaves anything in it. The main process's own TMPDIR is not touched: the labs that
// test/global-setup.ts starts live outside the guarded dir whatever order the projects set up in.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's guarded temp dir (test/tmp-guard.ts). */
    ctTmpDir: string;
  }
}

interface GuardState {
  dir: string;
  users: number;
}

const KEY = Symbol.for('content-trust.tmp-guard');
const shared = globalThis as { [KEY]?: GuardState };

export default function setup(project: TestProject): () => void {
  let state = shared[KEY];
  if (state === undefined) {
    state = { dir: mkdtempSync(join(tmpdir(), 'ct-tmp-guard-')), users: 0 };
    shared[KEY] = state;
  }
  state.users++;
  project.provide('ctTmpDir', state.dir);
  const s = state;
  return () => {
    if (--s.users > 0) return;
    shared[KEY] = undefined;
    const left = readdirSync(s.dir);
    rmSync(s.dir, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports an error thrown here but still exits 0: fail the run explicitly.
      process.exitCode = 1;
      throw new Error(
        `tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp dir (every test removes ` +
          `what it creates): ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', ...' : ''}`,
      );
    }
  };
}
