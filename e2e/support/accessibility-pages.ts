/**
 * The accessibility check of every dashboard page (e2e/accessibility.e2e.ts), one database per test
 * file: e2e/accessibility.e2e.ts runs it on SQLite, e2e/accessibility-postgres.e2e.ts on PostgreSQL,
 * so the two halves of the longest browser test run on both workers at once.
 *
 * Accessibility of every dashboard page: axe-core (e2e/support/axe.ts) finds nothing serious or
 * critical and there is one `main` landmark, in light and in dark, on a 1280 px and a 360 px screen.
 * The data is seeded once (the installations, pull requests, checks and issues of seed.ts, a failed
 * mirror, a pet, a diagnosed check run, an agents' conversation, LLM usage, a notification, a hosted
 * Probot app that ran for the seeded issues), then
 * each route of web/src/app.tsx is visited as an administrator — plus the states only others see:
 * the sign-in page signed out, the admin page of someone who is not an administrator, the menu
 * open on a narrow screen. /setup is the setup wizard's own test's to check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../src/notify/index.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { dialects } from '../../test/support/databases.js';
import type { Dialect } from '../../src/db/index.js';
import { startFakeLlm, type FakeLlm } from '../../test/support/fake-llm/index.js';
import { createUser, grantInstallation, type CreatedUser } from '../../test/support/users.js';
import { until } from '../../test/support/wait.js';
import { a11yProblemsInBothSchemes, expectAccessible } from './axe.js';
import { chromiumPath, launchBrowser, openPerson, signIn, type Person } from './browser.js';
import { CHECK_RUN, seedConversation, seedFailedCheck, seedLlm, seedMirror, seedPet } from './seed-automations.js';
import { ACME, GLOBEX, seed } from './seed.js';

const WIDTHS = [1280, 360] as const;

/** Ids known only once the data is seeded. */
export interface Seeded {
  delivery: string;
  /** An issues delivery: the hosted Probot app ran for it. */
  issueDelivery: string;
  conversation: string;
  project: string;
  alice: string;
}

/** A page to check: where it is, and what says it has loaded (its level-1 heading). Every route of web/src/app.tsx is here. */
export const ROUTES: Array<{ path: string | ((ids: Seeded) => string); heading: string | RegExp }> = [
  { path: '/', heading: 'Overview' },
  { path: '/events', heading: 'Events' },
  { path: (ids) => `/events/${ids.delivery}`, heading: /pull_request/ },
  { path: (ids) => `/events/${ids.issueDelivery}#apps`, heading: /issues\.opened/ },
  { path: '/repositories/acme/widgets', heading: /widgets/ },
  { path: '/repositories/acme/widgets?tab=issues', heading: /widgets/ },
  { path: '/repositories/acme/widgets?tab=events', heading: /widgets/ },
  { path: '/repositories/acme/widgets/pulls/7', heading: /Add a widget factory/ },
  { path: '/checks', heading: 'Failing checks' },
  { path: `/checks/${CHECK_RUN}`, heading: 'unit-tests' },
  { path: '/mirrors', heading: 'Mirrors' },
  { path: '/mirrors/acme/widgets/logs', heading: 'Sync log' },
  { path: '/probot-apps', heading: 'Apps' },
  { path: '/probot-apps/watcher', heading: 'watcher' },
  { path: '/pets', heading: 'Pets' },
  { path: '/pets/acme/widgets', heading: 'Brave Pixel' },
  { path: '/notifications', heading: 'Notifications' },
  { path: '/agents', heading: 'Agents' },
  { path: (ids) => `/agents/conversations/${ids.conversation}`, heading: 'Greeting' },
  { path: '/agents/projects', heading: 'Agents projects' },
  { path: (ids) => `/agents/projects/${ids.project}`, heading: 'acme/widgets' },
  { path: '/costs', heading: 'LLM costs' },
  { path: '/account', heading: 'Account' },
  { path: '/admin/users', heading: 'Admin' },
  { path: (ids) => `/admin/users/${ids.alice}`, heading: 'Admin' },
  { path: '/admin/installations', heading: 'Admin' },
  { path: '/admin/queue', heading: 'Admin' },
  { path: '/admin/recovery', heading: 'Admin' },
  { path: '/admin/mirror-targets', heading: 'Admin' },
  { path: '/no/such/page', heading: 'Page not found' },
];
/** Pages checked outside ROUTES: the sign-in page (signed out, below) and the setup wizard (for e2e/setup-wizard.e2e.ts to check with expectAccessibleInBothSchemes). */
export const CHECKED_ELSEWHERE = ['/sign-in', '/setup'];
export const routeName = (path: string | ((ids: Seeded) => string)) => (typeof path === 'string' ? path : path({ delivery: ':deliveryId', issueDelivery: ':deliveryId', conversation: ':id', project: ':id', alice: ':id' }));

/** The route patterns of the dashboard's routers (web/src/app.tsx, and the admin page's own), as full paths. */
export function dashboardRoutes(): string[] {
  const paths = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/<Route (index|path="([^"]*)")/g)].map((m) => (m[1] === 'index' ? '' : m[2]!));
  const admin = paths('web/src/pages/admin/admin.tsx').filter((p) => p !== '*' && p !== '');
  return paths('web/src/app.tsx').flatMap((p) => (p === 'admin/*' ? admin.map((a) => `/admin/${a}`) : p === '/*' || p === '*' ? [] : [`/${p.replace(/^\//, '')}`]));
}


/** Waits for the page's heading and for its placeholders to be replaced by what they wait for. */
async function settle(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading }).first().waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => !document.querySelector('.loading, .skeleton'), undefined, { timeout: 30_000 });
}

/** The whole check on one database: seeded once, every route of ROUTES and the states only others see. */
export function describeAccessibility(dialect: Dialect): void {
  describe.skipIf(!chromiumPath || !dialects.includes(dialect))(`accessibility of every page (${dialect})`, () => {
    let t: TestApp;
    let fake: FakeLlm;
    let browser: Browser;
    let root: CreatedUser;
    let alice: CreatedUser;
    let ids: Seeded;
    let appsDir: string;
    const admins = new Map<number, Person>();

    beforeAll(async () => {
      // A hosted Probot app (it only logs), so the Apps pages and a delivery's page have its runs.
      appsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-a11y-apps-'));
      fs.writeFileSync(path.join(appsDir, 'watcher.mjs'), `export default (app) => { app.on('issues.opened', async (context) => { context.log.info('an issue was opened'); }); };`);
      [t, browser, fake] = await Promise.all([startTestApp(dialect, { SWITCHYARD_APPS: path.join(appsDir, 'watcher.mjs') }), launchBrowser(), startFakeLlm()]);
      await seed(t);
      await Promise.all([seedMirror(t), seedPet(t), seedFailedCheck(t), seedLlm(t, fake)]);
      const conversationId = await seedConversation(t, 'acme/widgets', ACME, 41, 'Greeting');
      const widgetsId = (await t.app.db.kysely.selectFrom('repositories').select('id').where('full_name', '=', 'acme/widgets').executeTakeFirstOrThrow()).id;
      await notify(t.app.db, { installationId: ACME, repositoryId: widgetsId, kind: 'check_failed', title: 'acme/widgets: test failed on #7 — flaky', body: 'The test timed out waiting for the database.', link: `/api/checks/${CHECK_RUN}` });
      root = await createUser(t, { username: 'root', password: 'root-has-a-long-password', isAdmin: true });
      alice = await createUser(t, { username: 'alice', password: 'alice-has-a-long-password' });
      await grantInstallation(t, root.id, ACME);
      await grantInstallation(t, root.id, GLOBEX);
      await grantInstallation(t, alice.id, ACME);
      const delivery = await t.app.db.kysely.selectFrom('event_receipts').select('delivery_id').where('event_type', '=', 'pull_request').orderBy('id', 'desc').executeTakeFirstOrThrow();
      const issueRun = await until('the hosted app ran', () => t.app.db.kysely.selectFrom('probot_app_runs').select('delivery_id').where('app', '=', 'watcher').where('status', '=', 'succeeded').orderBy('id', 'desc').executeTakeFirst());
      const project = await t.app.db.kysely.selectFrom('conversations').select('project_id').where('id', '=', conversationId).executeTakeFirstOrThrow();
      ids = { delivery: delivery.delivery_id, issueDelivery: issueRun.delivery_id, conversation: conversationId, project: project.project_id, alice: alice.id };
      for (const width of WIDTHS) {
        const person = await openPerson(browser, t.url, { width, height: width === 360 ? 780 : 800 });
        await signIn(person.page, root);
        admins.set(width, person);
      }
    });

    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await fake?.close();
      if (appsDir) fs.rmSync(appsDir, { recursive: true, force: true });
    });

    it('the sign-in page, signed out', async () => {
      const problems: string[] = [];
      for (const width of WIDTHS) {
        const { page, context, errors } = await openPerson(browser, t.url, { width });
        await page.goto('/sign-in');
        await page.getByRole('heading', { level: 1, name: 'Sign in to Switchyard' }).waitFor();
        await page.getByLabel('Username').waitFor();
        problems.push(...(await a11yProblemsInBothSchemes(page, `/sign-in at ${width} px`)));
        expect(errors).toEqual([]);
        await context.close();
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it.each(ROUTES.map((r) => ({ ...r, name: routeName(r.path) })))('$name, as an administrator', async (route) => {
      const path = typeof route.path === 'string' ? route.path : route.path(ids);
      const problems: string[] = [];
      // The pages are the same whatever the database: the narrow layout is checked once (on the first
      // database), each page's data on both.
      for (const width of dialect === dialects[0] ? WIDTHS : ([1280] as const)) {
        const { page, errors } = admins.get(width)!;
        await page.goto(path);
        await settle(page, route.heading);
        problems.push(...(await a11yProblemsInBothSchemes(page, `${route.name} at ${width} px`)));
        expect(errors).toEqual([]);
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it('the menu open on a narrow screen, and the admin page of someone who is not an administrator', async () => {
      const { page } = admins.get(360)!;
      await page.goto('/');
      await settle(page, 'Overview');
      await page.getByRole('button', { name: 'Open menu' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).waitFor();
      const problems = await a11yProblemsInBothSchemes(page, 'the open menu at 360 px');

      const person = await openPerson(browser, t.url);
      await signIn(person.page, alice);
      await person.page.goto('/admin');
      await person.page.getByText('Administrators only').waitFor();
      problems.push(...(await a11yProblemsInBothSchemes(person.page, '/admin of someone who is not an administrator')));
      expect(person.errors).toEqual([]);
      await person.context.close();
      expect(problems, problems.join('\n')).toEqual([]);
      // The helper the other browser tests call fails the same way on a page with findings.
      await page.setContent('<main><button></button><img src="data:,"></main>');
      const failure = expectAccessible(page, 'a page made to fail');
      await expect(failure).rejects.toThrow(/button-name \(critical\): Buttons must have discernible text\n\s+at button/);
      await expect(failure).rejects.toThrow(/image-alt \(critical\)/);
      await page.setContent('<div>No landmark here</div>');
      await expect(expectAccessible(page, 'a page without main')).rejects.toThrow(/a page without main: one main landmark/);
    });
  });
}
