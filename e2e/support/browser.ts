/**
 * The browser for the dashboard tests: Debian's Chromium driven by playwright-core, a context per
 * person (its own cookies), console errors collected (a test fails on any it did not expect), and
 * screenshots written to test-output/e2e/ (git-ignored) so a person can look at what was tested.
 * With UPDATE_SCREENSHOTS=1, the README's screenshots (docs/screenshots/) are written too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CreatedUser } from '../../test/support/users.js';

export const chromiumPath = process.env.SWITCHYARD_E2E_CHROMIUM ?? '';
export const SCREENSHOT_DIR = path.resolve('test-output/e2e');
const README_DIR = path.resolve('docs/screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far (failed requests the test caused on purpose excluded by the caller). */
  errors: string[];
}

export async function openPerson(browser: Browser, baseURL: string, options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Person> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    deviceScaleFactor: 1,
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The browser logs every non-2xx fetch; the tests assert on those answers themselves.
    if (/Failed to load resource: the server responded with a status of (401|404|409)/.test(msg.text())) return;
    errors.push(`console: ${msg.text()}`);
  });
  return { context, page, errors };
}

/** Saves a screenshot (the whole page unless `viewport`) as test-output/e2e/<name>.png (and docs/screenshots/<readme>.png when asked to). */
export async function screenshot(page: Page, name: string, readme?: string, options: { viewport?: boolean } = {}): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: !options.viewport, animations: 'disabled' });
  if (readme && process.env.UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(README_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(README_DIR, `${readme}.png`));
  }
}

/** Signs in on the sign-in page with a username and password (and a TOTP code when `code` is given), then waits for the overview. */
export async function signIn(page: Page, user: CreatedUser, code?: () => string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (code) {
    await page.getByLabel('Two-factor code').fill(code());
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
  }
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/**
 * Fails when the page scrolls sideways (it must fit a 360 px screen). Charts follow a resize through
 * a ResizeObserver, a frame or two after the viewport changed: the page gets up to 3 s to settle.
 */
export async function expectNoSidewaysScroll(page: Page, what = 'page'): Promise<void> {
  await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth, undefined, { timeout: 3000 }).catch(() => undefined);
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll, `${what} width`).toBeLessThanOrEqual(width);
}
