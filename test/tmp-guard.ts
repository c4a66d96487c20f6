// Vitest global setup (both projects): every test process gets a private temp dir (TMPDIR) for the
// run, and the run fails when a test leaves anything in it. Labs are started before this guard (the
// lab project lists it after test/global-setup.ts), so their own directories are not counted.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface GuardState {
  dir: string;
  previous: string | undefined;
  users: number;
}

const KEY = Symbol.for('content-trust.tmp-guard');
const shared = globalThis as { [KEY]?: GuardState };

export default function setup(): () => void {
  let state = shared[KEY];
  if (state === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'ct-tmp-guard-'));
    state = { dir, previous: process.env.TMPDIR, users: 0 };
    shared[KEY] = state;
    process.env.TMPDIR = dir; // inherited by the test workers and every child they spawn
  }
  state.users++;
  const s = state;
  return () => {
    if (--s.users > 0) return;
    shared[KEY] = undefined;
    if (s.previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = s.previous;
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
