import { defineConfig } from 'tsup';

/**
 * `npm run build` (and prepack): the published build, tree-shaken, with type
 * declarations (the slow part, ~20 s). `tsup --no-dts` (what `npm start` runs):
 * the same JavaScript without declarations or the rollup tree-shaking pass, in
 * about a second.
 */
export default defineConfig((cli) => {
  const quick = cli.dts === false;
  return {
    entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', 'tuf-conformance': 'src/cli/tuf-conformance.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: quick ? false : { entry: { index: 'src/index.ts' } },
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: !quick,
  };
});
