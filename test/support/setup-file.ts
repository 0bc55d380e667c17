/**
 * Runs in every test file (vitest's setupFiles): after the file's own tests and hooks, waits for the
 * PostgreSQL drops the file started (databases.ts starts them and returns, so they run beside the
 * file's next tests instead of before them), so no file leaves a database behind.
 */
import { afterAll } from 'vitest';
import { waitForDrops } from './databases.js';

afterAll(async () => {
  await waitForDrops();
});
