import { defineConfig } from 'vitest/config';
import { testTiers } from './test/tiers.mjs';

// Two tiers (README "Testing"): `unit` needs no emulator, no socket and no process and runs in
// seconds (npm run test:unit); `scenarios` is everything else (npm run test:scenarios). test/tiers.mts
// sorts the files by what they import; npm test runs both.
const tiers = testTiers(import.meta.dirname);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.mts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: tiers.unit,
          // Pure tests share their workers' module graphs: starting a fresh process per file cost
          // three times what the tests themselves take. A unit test restores whatever it changes.
          isolate: false,
          setupFiles: ['test/unit-guard.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'scenarios',
          include: tiers.scenarios,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
