/**
 * Pets in a browser: acme/widgets's pet (its commits and health history seeded straight into
 * commit_analyses and health_history; no GitHub here, so its fetches fail, which the page shows)
 * appears on Pets with its creature, band and 30-day line; its page draws the health chart, lists
 * the commits with each component's points and reason, shows the history progress, the settings
 * and the badge snippet; renaming works; it fits 360 px in dark mode.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../src/db/index.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { dialects } from '../test/support/databases.js';
import { createUser, grantInstallation, type CreatedUser } from '../test/support/users.js';
import { chromiumPath, expectNoSidewaysScroll, launchBrowser, openPerson, screenshot, signIn } from './support/browser.js';
import { ACME, seed } from './support/seed.js';

const DAY = 86_400_000;

/** Analyses and history for acme/widgets's pet: a good commit, a bad one, and some decay. */
async function seedPet(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  // The installation events gave every repository its pet (in an automation job): wait for it.
  const deadline = Date.now() + 30_000;
  let pet: { id: string; repository_id: string; generation: number } | undefined;
  while (!pet) {
    pet = await db.selectFrom('entities as e').innerJoin('repositories as r', 'r.id', 'e.repository_id').select(['e.id', 'e.repository_id', 'e.generation']).where('r.full_name', '=', 'acme/widgets').executeTakeFirst();
    if (pet) break;
    if (Date.now() > deadline) throw new Error('acme/widgets got no pet');
    await new Promise((r) => setTimeout(r, 50));
  }
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
  const analysis = (sha: string, subject: string, daysAgo: number, delta: number, breakdown: Record<string, { points: number; reason: string }>, findings: object[] = []) => ({
    id: newId(),
    entity_id: pet.id,
    repository_id: pet.repository_id,
    sha,
    parents: JSON.stringify([]),
    is_merge: false,
    author_name: 'Alice',
    author_email: 'alice@example.com',
    authored_at: at(daysAgo),
    committed_at: at(daysAgo),
    subject,
    files_changed: 3,
    additions: 40,
    deletions: 5,
    overall_quality_score: delta > 0 ? 71.5 : 28.2,
    health_delta: delta,
    applied_delta: delta,
    applied: 'applied' as const,
    analysis_json: JSON.stringify({ analyzer_version: 'test', breakdown, findings, notes: [] }),
    analyzer_version: 'test',
    source: 'push' as const,
    orphaned: false,
    created_at: nowIso(),
    updated_at: nowIso(),
  });
  const good = analysis('a1'.repeat(20), 'Add the widget factory with tests', 12, 4, { tests: { points: 3, reason: '60 test lines for 80 code lines' }, docs: { points: 1, reason: 'README updated' } });
  const bad = analysis('b2'.repeat(20), 'Quick fix for the cache', 8, -7, { hygiene: { points: -2, reason: '2 debug leftovers (console.log)' }, secrets: { points: -5, reason: 'an AWS access key in src/cache.ts' } }, [
    { component: 'secrets', rule: 'aws-access-token', file: 'src/cache.ts', line: 12, message: 'AWS access key', preview: 'AKIA…' },
  ]);
  await db.insertInto('commit_analyses').values([good, bad]).execute();
  const row = (kind: 'commit_analysis' | 'daily_decay', before: number, after: number, daysAgo: number, reason: string, commitId: string | null, day?: string) => ({
    id: newId(),
    entity_id: pet.id,
    kind,
    health_before: before,
    health_after: after,
    delta: after - before,
    life_state: 'alive' as const,
    generation: pet.generation,
    commit_analysis_id: commitId,
    decay_day: day ?? null,
    reason,
    occurred_at: at(daysAgo),
    created_at: nowIso(),
  });
  await db
    .insertInto('health_history')
    .values([
      row('commit_analysis', 80, 84, 12, 'a1a1a1a Add the widget factory with tests: +4', good.id),
      row('commit_analysis', 84, 77, 8, 'b2b2b2b Quick fix for the cache: −7', bad.id),
      row('daily_decay', 77, 75, 4, 'no analysed commit: −2', null, at(4).slice(0, 10)),
      row('daily_decay', 75, 73, 3, 'no analysed commit: −2', null, at(3).slice(0, 10)),
    ])
    .execute();
  await db.updateTable('entities').set({ health: 73, last_commit_at: at(8), backfill_status: 'done', backfill_done: 2, backfill_total: 2, name: 'Brave Pixel' }).where('id', '=', pet.id).execute();
}

describe.skipIf(!chromiumPath).each(dialects)('Pets in the dashboard (%s)', (dialect) => {
  let t: TestApp;
  let browser: Browser;
  let alice: CreatedUser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(dialect), launchBrowser()]);
    await seed(t);
    await seedPet(t);
    alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
    await grantInstallation(t, alice.id, ACME);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists pets, and a pet’s page explains its health commit by commit', async () => {
    const { page, errors } = await openPerson(browser, t.url);
    await signIn(page, alice);
    await page.getByRole('link', { name: 'Pets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Pets' }).waitFor();
    const card = page.locator('.pet-card').filter({ hasText: 'acme/widgets' });
    await card.waitFor();
    await expect(card.getByText('73 · healthy').isVisible()).resolves.toBe(true);
    await expect(card.getByRole('img', { name: /^Health of Brave Pixel over 30 days/ }).isVisible()).resolves.toBe(true);
    await card.locator('img.pet-creature').evaluate((img: HTMLImageElement) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))));
    expect(await card.locator('img.pet-creature').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    // globex's pet is not alice's to see.
    expect(await page.locator('.pet-card').filter({ hasText: 'globex/' }).count()).toBe(0);
    await screenshot(page, `${dialect}-pets`);

    await card.getByRole('link', { name: 'Brave Pixel' }).click();
    await page.waitForURL('**/pets/acme/widgets');
    await page.getByRole('heading', { level: 1, name: 'Brave Pixel' }).waitFor();
    await page.locator('.health-chart canvas').first().waitFor();
    await expect(page.getByText('history analysed: 2 of 2 commits').isVisible()).resolves.toBe(true);
    const bad = page.locator('.pet-commit').filter({ hasText: 'Quick fix for the cache' });
    await bad.locator('summary').click();
    await bad.getByText('an AWS access key in src/cache.ts').waitFor();
    await bad.getByText('src/cache.ts:12').waitFor();
    await expect(bad.getByText('-7').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('.pet-snippet').textContent()).resolves.toContain('/pets/acme/widgets/badge.svg');
    await screenshot(page, `${dialect}-pet`);

    // Rename.
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('Sir Widget');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sir Widget' }).waitFor();

    // 360 px, dark: the page fits.
    const small = await openPerson(browser, t.url, { width: 360, height: 780, colorScheme: 'dark' });
    await signIn(small.page, alice);
    await small.page.goto('/pets/acme/widgets');
    await small.page.getByRole('heading', { level: 1, name: 'Sir Widget' }).waitFor();
    await small.page.locator('.health-chart canvas').first().waitFor();
    await expectNoSidewaysScroll(small.page, 'pet page');
    await screenshot(small.page, `${dialect}-pet-360-dark`, undefined, { viewport: true });
    await small.page.goto('/pets');
    await small.page.locator('.pet-card').first().waitFor();
    await expectNoSidewaysScroll(small.page, 'pets page');
    expect(errors).toEqual([]);
    expect(small.errors).toEqual([]);
    await small.context.close();
  });
});
