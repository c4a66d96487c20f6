/**
 * The public API is complete: every type its declarations reach is exported and documented, and
 * docs/API.md is what `npm run docs` generates from dist/index.d.ts (built by `npm run build`).
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from '../support/cli.js';

describe('public API', () => {
  it('exports and documents every type it references; docs/API.md is current', () => {
    const dts = join(ROOT, 'dist', 'index.d.ts');
    if (!existsSync(dts)) throw new Error(`${dts} is missing: run 'npm run build' (npm test does)`);
    const r = run(process.execPath, [join(ROOT, 'scripts', 'api-docs.mjs'), '--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
