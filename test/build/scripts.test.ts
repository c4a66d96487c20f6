/** package.json scripts: `npm start` reaches the demo without building type declarations. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'tsup';
import { describe, expect, it } from 'vitest';
import config from '../../tsup.config.js';
import { ROOT } from '../support/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const resolve = (cli: Options): Options => (typeof config === 'function' ? config(cli) : config) as Options;

describe('build scripts', () => {
  it('npm start builds JavaScript only (tsup --no-dts, no tree-shaking pass), then runs the demo', () => {
    expect(pkg.scripts.start).toMatch(/^tsup --no-dts\b.*&& node dist\/cli\.js demo$/);
    const quick = resolve({ dts: false });
    expect(quick.dts).toBe(false);
    expect(quick.treeshake).toBe(false);
  });

  it('npm run build and prepack still build the declarations', () => {
    expect(pkg.scripts.build).toBe('tsup');
    expect(pkg.scripts.prepack).toBe('npm run build');
    const full = resolve({});
    expect(full.dts).toEqual({ entry: { index: 'src/index.ts' } });
    expect(full.treeshake).toBe(true);
  });
});
