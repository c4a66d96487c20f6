/** package.json scripts: `npm start` reaches the demo without building type declarations. */

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'tsup';
import { describe, expect, it } from 'vitest';
import config from '../../tsup.config.js';
import { ROOT, run } from '../support/cli.js';

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

describe('package layout', () => {
  const bins = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin as Record<string, string>;

  it('every bin is the built CLI launcher: executable, with a node shebang', () => {
    expect(Object.keys(bins).sort()).toEqual(['content-trust', 'trust']);
    for (const file of Object.values(bins)) {
      expect(file).toBe('dist/cli.cjs');
      const path = join(ROOT, file);
      expect(readFileSync(path, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      expect(statSync(path).mode & 0o111).toBe(0o111);
    }
  });

  it('the CLI bundles are pure ASCII (V8 keeps them as one-byte strings)', () => {
    for (const name of ['cli-main.cjs', 'cli-verify.cjs', 'cli-sign.cjs']) {
      const bundle = readFileSync(join(ROOT, 'dist', name));
      expect(
        bundle.findIndex((b) => b > 0x7f),
        name,
      ).toBe(-1);
    }
  });

  it('no CLI bundle contains @noble (the CLI never selects the noble crypto backend; issue 12)', () => {
    for (const name of ['cli-main.cjs', 'cli-verify.cjs', 'cli-sign.cjs']) {
      // esbuild names each bundled module in a comment: `// node_modules/@noble/...` (any prefix)
      const bundle = readFileSync(join(ROOT, 'dist', name), 'latin1');
      expect(bundle.match(/^\/\/ \S*node_modules\/@noble\/\S+$/gm), name).toBeNull();
      expect(bundle, name).toContain('// src/crypto/backend.ts');
    }
  });

  it('no CLI bundle copies a node built-in into a namespace object at start (named imports; issue 12)', () => {
    for (const name of ['cli-main.cjs', 'cli-verify.cjs', 'cli-sign.cjs']) {
      const bundle = readFileSync(join(ROOT, 'dist', name), 'latin1');
      // `import * as x from 'node:...'` becomes `__toESM(require("node:..."))` at module initialisation:
      // a getter per export, made by every process; a dynamic import() of one is loaded on demand only
      const eager = bundle
        .split('\n')
        .filter(
          (l) => l.includes('__toESM(require("node:') && !l.includes('Promise.resolve().then(() => __toESM('),
        );
      expect(eager, name).toEqual([]);
    }
  });

  it('`trust verify` has a bundle of its own, without the code of the other commands', () => {
    const verifyOnly = readFileSync(join(ROOT, 'dist', 'cli-verify.cjs'), 'utf8');
    const whole = readFileSync(join(ROOT, 'dist', 'cli-main.cjs'), 'utf8');
    // esbuild names each bundled module in a `// src/...` comment
    const modules = (text: string) => new Set(text.match(/^\/\/ src\/\S+$/gm));
    expect(modules(verifyOnly).has('// src/cli/commands/verify.ts')).toBe(true);
    for (const m of modules(verifyOnly)) {
      if (m !== '// src/cli/verify-main.ts') expect(modules(whole).has(m), m).toBe(true);
    }
    for (const m of [
      '// src/publish/workflows.ts',
      '// src/cli/commands/sign.ts',
      '// src/keys/keyfile.ts',
    ]) {
      expect(modules(whole).has(m), m).toBe(true);
      expect(modules(verifyOnly).has(m), m).toBe(false);
    }
    // the bin runs it for `verify`: same answers as the whole CLI (`help verify` runs cli-main.cjs)
    const bin = join(ROOT, bins.trust!);
    const viaVerify = run(bin, ['verify', '--help']);
    expect(viaVerify.status).toBe(0);
    expect(viaVerify.stdout).toBe(run(bin, ['help', 'verify']).stdout);
    const usage = run(bin, ['verify']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^error USAGE: verify takes exactly one IMAGE\[:TAG\]\n/);
  });

  it('`trust sign` has a bundle of its own, without the code of the read-only and admin commands', () => {
    const signOnly = readFileSync(join(ROOT, 'dist', 'cli-sign.cjs'), 'utf8');
    const whole = readFileSync(join(ROOT, 'dist', 'cli-main.cjs'), 'utf8');
    const modules = (text: string) => new Set(text.match(/^\/\/ src\/\S+$/gm));
    expect(modules(signOnly).has('// src/cli/commands/sign.ts')).toBe(true);
    for (const m of modules(signOnly)) {
      if (m !== '// src/cli/sign-main.ts') expect(modules(whole).has(m), m).toBe(true);
    }
    for (const m of [
      '// src/cli/commands/inspect.ts',
      '// src/cli/commands/migrate.ts',
      '// src/cli/commands/demo.ts',
    ]) {
      expect(modules(whole).has(m), m).toBe(true);
      expect(modules(signOnly).has(m), m).toBe(false);
    }
    // the bin runs it for `sign`: same answers as the whole CLI (`help sign` runs cli-main.cjs)
    const bin = join(ROOT, bins.trust!);
    const viaSign = run(bin, ['sign', '--help']);
    expect(viaSign.status).toBe(0);
    expect(viaSign.stdout).toBe(run(bin, ['help', 'sign']).stdout);
    const usage = run(bin, ['sign']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^error USAGE: sign needs at least one IMAGE:TAG\n/);
  });

  it('runs as the bin itself, and as `node dist/cli.js` (npm start), with the same output', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    const direct = run(join(ROOT, bins.trust!), ['--version']);
    const alias = run(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--version']);
    for (const r of [direct, alias]) expect([r.status, r.stdout]).toEqual([0, `${version}\n`]);
  });
});
