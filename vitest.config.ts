import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const unit: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'unit',
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.lab.test.ts'],
    globalSetup: ['test/tmp-guard.ts'],
    setupFiles: ['test/tmp-guard-worker.ts'],
  },
};

const lab: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'lab',
    include: ['test/**/*.test.ts', 'src/**/*.lab.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/tmp-guard.ts'],
    setupFiles: ['test/tmp-guard-worker.ts'],
  },
};

/**
 * Two projects. `unit`: no services, runs in seconds (`npm run test:unit`); every
 * test beside the code except `*.lab.test.ts`. `lab`: the real Notary/registry
 * labs started by test/global-setup.ts; test/ and `src/**\/*.lab.test.ts`.
 * `npm test` runs both; CT_NO_LAB=1 leaves only `unit` (so `CT_NO_LAB=1 npx vitest
 * run src` is the unit tests). Both fail the run when a test leaves files in the
 * temp dir (test/tmp-guard.ts).
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: process.env.CT_NO_LAB === '1' ? [unit] : [unit, lab],
  },
});
