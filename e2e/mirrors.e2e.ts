/**
 * Mirrors in a browser: a failed mirror of acme/widgets (seeded straight into mirror_targets,
 * repo_mirrors and sync_logs, on a disabled target with no token so nothing syncs) shows on
 * Mirrors with its status and error, and its sync log lists the steps of the failed sync.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../src/db/index.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn, type Person } from './support/browser.js';
import { ACME, seed } from './support/seed.js';

/** A disabled OneDev target, a failed mirror of acme/widgets to it and the log of that sync. */
async function seedMirror(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  const repo = await db.selectFrom('repositories').select('id').where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow();
  const now = nowIso();
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const targetId = newId();
  await db
    .insertInto('mirror_targets')
    .values({ id: targetId, name: 'onedev-backup', kind: 'onedev', base_url: 'https://onedev.example.com', namespace: null, username: null, token: null, visibility: 'same', name_template: '{name}', push_backups: false, on_remove: 'keep', max_concurrency: null, enabled: false, last_test_at: null, last_test_ok: null, last_test_message: null, created_at: now, updated_at: now })
    .execute();
  const mirrorId = newId();
  await db
    .insertInto('repo_mirrors')
    .values({
      id: mirrorId,
      target_id: targetId,
      repository_id: repo.id,
      target_path: 'widgets',
      target_repo_id: null,
      target_url: null,
      sources: JSON.stringify(['manual']),
      is_active: true,
      stopped_reason: null,
      sync_status: 'failed',
      error_code: 'push_rejected',
      error_message: 'The target rejected the push: protected branch main',
      retry_count: 2,
      max_retries: 5,
      next_retry_at: null,
      due_at: null,
      requested_seq: 1,
      synced_seq: 1,
      pending_since: null,
      lease_owner: null,
      lease_expires_at: null,
      progress: null,
      last_sync_started_at: at(10),
      last_synced_at: at(60),
      last_duration_ms: 4200,
      last_bytes: 2_500_000,
      synced_sha: null,
      created_at: at(120),
      updated_at: now,
    })
    .execute();
  const syncId = newId();
  const log = (minutesAgo: number, event: string, extra: { duration_ms?: number; bytes_transferred?: number; error_code?: string; message?: string } = {}) => ({
    id: newId(),
    repo_mirror_id: mirrorId,
    sync_id: syncId,
    event,
    message: extra.message ?? null,
    duration_ms: extra.duration_ms ?? null,
    bytes_transferred: extra.bytes_transferred ?? null,
    error_code: extra.error_code ?? null,
    details: null,
    created_at: at(minutesAgo),
  });
  // Ids are UUIDv7-ordered by creation; insert oldest first.
  await db.insertInto('sync_logs').values(log(10, 'sync_started')).execute();
  await db.insertInto('sync_logs').values(log(9, 'clone_completed', { duration_ms: 3100, bytes_transferred: 2_500_000 })).execute();
  await db.insertInto('sync_logs').values(log(8, 'sync_failed', { duration_ms: 4200, error_code: 'push_rejected', message: 'protected branch main' })).execute();
}

describe.skipIf(!chromiumPath).each(dialects)('Mirrors in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;
  let person: Person;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    await seedMirror(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
    person = await openPerson(browser, t.url);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a failed mirror with its status and error, and its sync log', async () => {
    const { page, errors } = person;
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Mirrors' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mirrors' }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'acme/widgets', exact: true }) });
    await row.locator('.badge', { hasText: 'failed' }).waitFor();
    await expect(row.getByText('onedev-backup').isVisible()).resolves.toBe(true);
    await expect(row.getByText('protected branch main').isVisible()).resolves.toBe(true);
    await expect(row.getByRole('button', { name: 'Retry' }).isVisible()).resolves.toBe(true);
    await expect(row.getByRole('button', { name: 'Sync now' }).isVisible()).resolves.toBe(true);
    await screenshot(page, `${dialect}-mirrors`);

    await row.getByRole('link', { name: /Sync log/ }).click();
    await page.waitForURL('**/mirrors/acme/widgets/logs**');
    await page.getByRole('heading', { level: 1, name: 'Sync log' }).waitFor();
    const failed = page.getByRole('row').filter({ hasText: 'sync failed' });
    await failed.waitFor();
    await expect(failed.getByText('push_rejected').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('row').filter({ hasText: 'clone completed' }).getByText('2.4 MB').isVisible()).resolves.toBe(true);
    expect(await page.locator('tbody tr').count()).toBe(3);
    await screenshot(page, `${dialect}-mirror-log`);

    // A 360 px screen: the page fits.
    await page.setViewportSize({ width: 360, height: 780 });
    await expectNoSidewaysScroll(page);
    await page.goto('/mirrors');
    await page.getByRole('heading', { level: 1, name: 'Mirrors' }).waitFor();
    await expectNoSidewaysScroll(page, 'mirrors page');
    await screenshot(page, `${dialect}-mirrors-360`, undefined, { viewport: true });
    expect(errors).toEqual([]);
  });
});
