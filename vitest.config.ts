import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Generous: CI machines are busy machines; waits inside tests follow events, these are outer limits.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Test files run in parallel forks; every file makes its own SQLite file and PostgreSQL database.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
    // Waits for the PostgreSQL drops a file started (test/support/databases.ts).
    setupFiles: ['test/support/setup-file.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // The dashboard in a real browser (Debian's Chromium through playwright-core): `npm run test:e2e`.
      // It runs after the unit project, not beside it: a browser and its server competing with the
      // unit tests for two cores made its waits flaky.
      { extends: true, test: { name: 'e2e', include: ['e2e/**/*.e2e.ts'], globalSetup: ['e2e/support/global-setup.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
