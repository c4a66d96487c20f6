import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', 'tuf-conformance': 'src/cli/tuf-conformance.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: false,
  clean: true,
  splitting: true,
  treeshake: true,
  banner: ({ format }) => (format === 'esm' ? {} : {}),
});
