/**
 * Accessibility of every dashboard page: axe-core (e2e/support/axe.ts) finds nothing serious or
 * critical and there is one `main` landmark, in light and in dark, on a 1280 px and a 360 px screen.
 * The data is seeded once (the installations, pull requests, checks and issues of seed.ts, a failed
 * mirror, a pet, a diagnosed check run, an agents' conversation, LLM usage, a notification, a hosted
 * Probot app that ran for the seeded issues), then
 * each route of web/src/app.tsx is visited as an administrator — plus the states only others see:
 * the sign-in page signed out, the admin page of someone who is not an administrator, the menu
 * open on a narrow screen. /setup is the setup wizard's own test's to check.
 */
import { expect, it } from 'vitest';
import { CHECKED_ELSEWHERE, dashboardRoutes, describeAccessibility, ROUTES, routeName } from './support/accessibility-pages.js';

it('the list of pages below holds every route of the dashboard', () => {
  const checked = [...ROUTES.map((r) => routeName(r.path).split(/[?#]/)[0]!), ...CHECKED_ELSEWHERE];
  const routes = dashboardRoutes();
  expect(routes.length).toBeGreaterThan(20);
  const missing = routes.filter((route) => !checked.some((c) => new RegExp(`^${route.replace(/:[^/]+/g, '[^/]+')}$`).test(c)));
  expect(missing, 'routes with no accessibility check: add them to ROUTES').toEqual([]);
});

// On SQLite here; on PostgreSQL in e2e/accessibility-postgres.e2e.ts (its own file, so both run at once).
describeAccessibility('sqlite');
