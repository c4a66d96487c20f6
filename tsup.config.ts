import { build } from 'esbuild';
import { defineConfig } from 'tsup';

/**
 * `npm run build` (and prepack): the published build, tree-shaken, with type
 * declarations (the slow part, ~20 s). `tsup --no-dts` (what `npm start` runs):
 * the same JavaScript without declarations or the rollup tree-shaking pass, in
 * about a second.
 *
 * The library (index.js) is split into chunks. The CLI is not: dist/cli.js is a
 * small launcher (src/cli/bin.ts) that runs dist/cli-main.cjs, the whole CLI in
 * one CommonJS file, through a V8 code cache; the ES module loader's per-chunk
 * resolution and compilation was most of `trust verify`'s own cost (issue 12).
 */
export default defineConfig((cli) => {
  const quick = cli.dts === false;
  const outDir = cli.outDir ?? 'dist';
  return {
    entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts', 'tuf-conformance': 'src/cli/tuf-conformance.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: quick ? false : { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: !quick,
    async onSuccess() {
      await build({
        entryPoints: ['src/cli/main.ts'],
        outfile: `${outDir}/cli-main.cjs`,
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        // undici is loaded only for proxies; `import()` becomes require() (code-cache.ts runs a script)
        external: ['undici'],
        supported: { 'dynamic-import': false },
        logLevel: 'warning',
      });
    },
  };
});
