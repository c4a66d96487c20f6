/**
 * `content-trust/tuf` (src/tuf.ts -> dist/tuf.js, declarations types/tuf.d.ts): the TUF 1.0 client
 * alone. The same classes as the main entry, declarations that name exactly what it exports, and an
 * import graph without the Notary, registry and publishing code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const DIST = join(ROOT, 'dist');

/** Every file dist/<entry> loads through static imports (the chunks an `import` of it runs). */
function importGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(
      /^(?:import|export)\b[^'"]*?from\s*['"](\.\/[^'"]+)['"]|^import\s*['"](\.\/[^'"]+)['"]/gm,
    )) {
      visit(join(dirname(file), m[1] ?? m[2]!));
    }
  };
  visit(join(DIST, entry));
  return seen;
}

describe('content-trust/tuf', () => {
  it('resolves through the package exports to the same classes as the main entry', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./tuf']).toEqual({ types: './types/tuf.d.ts', import: './dist/tuf.js' });
    expect(pkg.files).toContain('types');
    const tuf = await import(pathToFileURL(join(DIST, 'tuf.js')).href);
    const main = await import(pathToFileURL(join(DIST, 'index.js')).href);
    for (const name of Object.keys(tuf)) expect(tuf[name], name).toBe(main[name]);
    expect(typeof tuf.TufUpdater).toBe('function');
    expect(new tuf.TrustError('BAD_METADATA', 'x')).toBeInstanceOf(main.TrustError);
  });

  it('types/tuf.d.ts declares exactly the values dist/tuf.js exports', async () => {
    const tuf = await import(pathToFileURL(join(DIST, 'tuf.js')).href);
    const dts = readFileSync(join(ROOT, 'types', 'tuf.d.ts'), 'utf8');
    const values = /export \{([^}]*)\} from '\.\.\/dist\/index\.js'/.exec(dts)![1]!;
    const declared = values
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .sort();
    expect(declared).toEqual(Object.keys(tuf).sort());
  });

  it('loads none of the Notary, registry or publishing code, and much less than the main entry', () => {
    const tuf = importGraph('tuf.js');
    const main = importGraph('index.js');
    const code = [...tuf.values()].join('\n');
    const mainCode = [...main.values()].join('\n');
    for (const fn of ['signTags', 'verifyRegistry', 'rotateRegistryKey', 'migrateRepository', 'inspect']) {
      const defined = new RegExp(`\\bfunction ${fn}\\(`);
      expect(mainCode, fn).toMatch(defined);
      expect(code, fn).not.toMatch(defined);
    }
    const bytes = (g: Map<string, string>) => [...g.values()].reduce((n, t) => n + t.length, 0);
    expect(bytes(tuf)).toBeLessThan(bytes(main) / 2);
  });
});
