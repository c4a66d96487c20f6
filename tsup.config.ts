import { chmod, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { defineConfig } from 'tsup';
import { wrapBundle } from './src/cli/code-cache.js';

/**
 * `npm run build` (and prepack): the published build, tree-shaken, with type
 * declarations (the slow part, ~20 s). `tsup --no-dts` (what `npm start` runs):
 * the same JavaScript without declarations or the rollup tree-shaking pass, in
 * about a second.
 *
 * The library (index.js) is split into chunks. The CLI is not (issue 12: the ES
 * module loader's per-chunk resolution and compilation was most of `trust
 * verify`'s own cost): dist/cli.cjs, the package's bin, is a small launcher
 * (src/cli/bin.ts) that runs dist/cli-main.cjs, the whole CLI in one CommonJS
 * file, through a V8 code cache; `trust verify` runs dist/cli-verify.cjs, the
 * verify command alone (src/cli/verify-main.ts), and `trust sign` dist/cli-sign.cjs
 * (src/cli/sign-main.ts). dist/cli.js runs the same
 * launcher for `node dist/cli.js`.
 *
 * dist/tuf.js (`content-trust/tuf`, src/tuf.ts) is the TUF 1.0 client alone; its declarations are
 * types/tuf.d.ts, re-exporting the main entry's (one declaration file, one class per name).
 */
/**
 * The bundle as pure ASCII, so V8 holds it as a one-byte string (half the memory; measurably faster
 * start-up than a two-byte string of the same code). esbuild's default ASCII charset already escapes
 * strings, regexes and identifiers; what is left are comments it keeps (a `→` in a JSDoc), escaped
 * here as `\u{...}` (the same character wherever JavaScript reads escapes).
 */
function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

export default defineConfig((cli) => {
  const quick = cli.dts === false;
  const outDir = cli.outDir ?? 'dist';
  const cjs = {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  } as const;
  return {
    entry: { index: 'src/index.ts', tuf: 'src/tuf.ts', 'tuf-conformance': 'src/cli/tuf-conformance.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: quick ? false : { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: !quick,
    async onSuccess() {
      // the whole CLI, and `trust verify` alone (the pre-pull hook: less code to load per run); each
      // file is the script the launcher compiles: a header with its hash + Node's module wrapper
      // (wrapBundle, src/cli/code-cache.ts)
      const cliBundle = (entry: string, out: string) =>
        build({
          ...cjs,
          entryPoints: [entry],
          outfile: out,
          // undici is loaded only for proxies; `import()` becomes require() (code-cache.ts runs a script)
          external: ['undici'],
          // node:fs/promises only when a function of it is called (src/cli/fs-promises-lazy.ts)
          alias: { 'node:fs/promises': './src/cli/fs-promises-lazy.ts' },
          supported: { 'dynamic-import': false },
          write: false,
        }).then(({ outputFiles }) => writeFile(out, wrapBundle(asciiOnly(outputFiles[0]!.text))));
      await Promise.all([
        cliBundle('src/cli/main.ts', `${outDir}/cli-main.cjs`),
        cliBundle('src/cli/verify-main.ts', `${outDir}/cli-verify.cjs`),
        cliBundle('src/cli/sign-main.ts', `${outDir}/cli-sign.cjs`),
        build({
          ...cjs,
          entryPoints: ['src/cli/bin.ts'],
          outfile: `${outDir}/cli.cjs`,
          banner: { js: '#!/usr/bin/env node' },
        }),
        writeFile(
          `${outDir}/cli.js`,
          '#!/usr/bin/env node\n// `node dist/cli.js`: the same as the bin, dist/cli.cjs\nimport "./cli.cjs";\n',
        ),
      ]);
      await Promise.all([chmod(`${outDir}/cli.cjs`, 0o755), chmod(`${outDir}/cli.js`, 0o755)]);
    },
  };
});
