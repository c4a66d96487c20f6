// Vitest setup file (both projects): this test process and everything it spawns use the run's guarded
// temp dir (test/tmp-guard.ts) as TMPDIR, so os.tmpdir() and child processes write there.
import { inject } from 'vitest';

const dir = inject('ctTmpDir');
if (dir) process.env.TMPDIR = dir;
