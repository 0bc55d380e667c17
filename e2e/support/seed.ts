/**
 * Realistic data for the dashboard tests (and the README's screenshots), through the real webhook
 * endpoint: two installations — acme (555: widgets, gadgets, legacy) and globex (777: secret-plans) —
 * with pull requests, check runs and issues, plus two weeks of back-dated processed receipts so
 * the activity charts have a history (the webhook endpoint only ever writes "now").
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { TestApp } from '../../test/support/app.js';
import { checkRun, pullRequest, repo } from '../../test/support/payloads.js';
import { deliveryHeaders } from '../../test/support/sign.js';

export const ACME = 555;
export const GLOBEX = 777;

const acme = { id: ACME, account: { login: 'acme', id: 9, type: 'Organization' }, repository_selection: 'selected' };
const globex = { id: GLOBEX, account: { login: 'globex', id: 10, type: 'Organization' }, repository_selection: 'all' };
const sender = { login: 'octocat', id: 1 };

/** Posts one signed delivery; returns its delivery id. */
export async function deliver(t: TestApp, event: string, payload: object, deliveryId: string = randomUUID()): Promise<string> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, deliveryId), body });
  if (res.status !== 202) throw new Error(`delivery ${event} answered ${res.status}: ${await res.text()}`);
  return deliveryId;
}

const repoOf = (id: number, fullName: string, extra: object = {}) => ({ ...repo(id, fullName), ...extra });

export async function seed(t: TestApp): Promise<void> {
  const widgets = repoOf(1001, 'acme/widgets', { description: 'Widgets for every occasion', language: 'TypeScript' });
  const gadgets = repoOf(1002, 'acme/gadgets', { description: 'The gadget service', language: 'Go', private: true });
  const legacy = repoOf(1003, 'acme/legacy', { description: 'The old monolith', language: 'Java' });
  const plans = repoOf(2001, 'globex/secret-plans', { description: 'Do not look', language: 'Python', private: true });
  const installed = (inst: object, repos: Array<ReturnType<typeof repoOf>>) => ({
    action: 'created',
    installation: inst,
    repositories: repos.map((r) => ({ id: r.id, name: r.name, full_name: r.full_name, private: r.private })),
    sender,
  });
  await deliver(t, 'installation', installed(acme, [widgets, gadgets, legacy]));
  await deliver(t, 'installation', installed(globex, [plans]));

  const withRepo = <T extends object>(p: T, r: object, installation: object = { id: ACME }) => ({ ...p, repository: r, installation });
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  // acme/widgets: three open pull requests with checks in every state, one merged.
  await deliver(t, 'pull_request', withRepo(pullRequest('opened', { number: 7, title: 'Add a widget factory', updatedAt: at(90), headSha: 'a'.repeat(40) }), widgets));
  await deliver(t, 'pull_request', withRepo(pullRequest('opened', { number: 8, title: 'Speed up the widget cache', updatedAt: at(60), headSha: 'b'.repeat(40) }), widgets));
  await deliver(t, 'pull_request', withRepo(pullRequest('opened', { number: 9, title: 'Docs: explain widget sizes', updatedAt: at(30), headSha: 'c'.repeat(40) }), widgets));
  await deliver(t, 'pull_request', withRepo(pullRequest('opened', { number: 5, title: 'Rename the gizmo module', updatedAt: at(3000), headSha: 'd'.repeat(40) }), widgets));
  await deliver(t, 'pull_request', withRepo(pullRequest('closed', { number: 5, title: 'Rename the gizmo module', state: 'closed', merged: true, updatedAt: at(2900), headSha: 'd'.repeat(40) }), widgets));
  const check = (id: number, name: string, sha: string, status: string, conclusion: string | null, pr: number) =>
    deliver(t, 'check_run', withRepo(checkRun(status === 'completed' ? 'completed' : 'created', { id, name, headSha: sha, status, conclusion, prNumbers: [pr] }), widgets));
  await check(1, 'build', 'a'.repeat(40), 'completed', 'success', 7);
  await check(2, 'test', 'a'.repeat(40), 'completed', 'failure', 7);
  await check(3, 'lint', 'a'.repeat(40), 'completed', 'success', 7);
  await check(4, 'build', 'b'.repeat(40), 'completed', 'success', 8);
  await check(5, 'test', 'b'.repeat(40), 'in_progress', null, 8);
  await check(6, 'build', 'c'.repeat(40), 'completed', 'success', 9);
  await check(7, 'test', 'c'.repeat(40), 'completed', 'success', 9);
  const issue = (number: number, title: string, labels: string[], r: { id: number; full_name: string }, updated: string) => ({
    action: 'opened',
    issue: { id: r.id * 100 + number, number, title, state: 'open', user: { login: 'hubot' }, labels: labels.map((name) => ({ name })), assignees: [], comments: number % 3, html_url: `https://github.com/${r.full_name}/issues/${number}`, created_at: updated, updated_at: updated },
    repository: r,
    installation: { id: ACME },
    sender,
  });
  await deliver(t, 'issues', issue(11, 'Widgets wobble on Safari', ['bug'], widgets, at(45)));
  await deliver(t, 'issues', issue(12, 'Support metric widget sizes', ['enhancement', 'good first issue'], widgets, at(20)));
  await deliver(t, 'push', { ref: 'refs/heads/main', after: 'e'.repeat(40), commits: [], head_commit: { id: 'e'.repeat(40), timestamp: at(10) }, repository: { ...widgets, pushed_at: Math.floor(Date.now() / 1000) }, installation: { id: ACME }, sender });

  // acme/gadgets: a pull request and an issue.
  await deliver(t, 'pull_request', withRepo(pullRequest('opened', { number: 3, title: 'Gadget telemetry', updatedAt: at(200), headSha: 'f'.repeat(40) }), gadgets));
  await deliver(t, 'issues', issue(4, 'Gadget leaks memory', ['bug'], gadgets, at(150)));
  // acme/legacy: one old event (it goes quiet below).
  await deliver(t, 'push', { ref: 'refs/heads/main', after: '1'.repeat(40), commits: [], repository: legacy, installation: { id: ACME }, sender });
  // globex/secret-plans.
  await deliver(t, 'issues', { ...issue(1, 'World domination, phase 2', ['plan'], plans, at(5)), installation: { id: GLOBEX } });
  await t.settle();

  await backfill(t);
}

/** Two weeks of processed receipts, back-dated (ids are UUIDv7: their time is the id's). */
async function backfill(t: TestApp): Promise<void> {
  const db = t.app.db.kysely;
  const repos = await db.selectFrom('repositories').select(['id', 'full_name', 'installation_id']).execute();
  const byName = new Map(repos.map((r) => [r.full_name, r]));
  const plan: Array<[string, number[]]> = [
    ['acme/widgets', [14, 22, 9, 31, 27, 12, 6, 18, 25, 33, 29, 21, 17]],
    ['acme/gadgets', [3, 5, 2, 0, 4, 6, 1, 2, 7, 3, 0, 2, 5]],
    ['acme/legacy', [4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['globex/secret-plans', [1, 0, 2, 0, 1, 3, 0, 0, 1, 2, 0, 1, 0]],
  ];
  const types = ['push', 'pull_request', 'issues', 'check_run', 'issue_comment', 'check_suite'];
  const actions: Record<string, string | null> = { push: null, pull_request: 'synchronize', issues: 'edited', check_run: 'completed', issue_comment: 'created', check_suite: 'completed' };
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const rows = [];
  for (const [name, perDay] of plan) {
    const r = byName.get(name);
    if (!r) continue;
    for (let d = 0; d < perDay.length; d++) {
      const dayStart = today.getTime() - (perDay.length - d) * 86_400_000;
      for (let i = 0; i < perDay[d]!; i++) {
        const when = dayStart + Math.floor(((i + 0.5) / perDay[d]!) * 86_400_000);
        const type = types[(d + i) % types.length]!;
        const iso = new Date(when).toISOString();
        rows.push({
          id: uuidv7({ msecs: when }),
          delivery_id: randomUUID(),
          source: 'github',
          event_type: type,
          event_action: actions[type] ?? null,
          installation_id: r.installation_id,
          repository_id: r.id,
          actor: 'octocat',
          target_object_ids: '{}',
          received_at: iso,
          headers: '{}',
          payload_size: 2048,
          processing_status: 'processed' as const,
          retry_count: 0,
          max_retries: 5,
          processed_at: iso,
          next_attempt_at: null,
          error_message: null,
          payload_storage: null,
          github_timestamp: iso,
          created_at: iso,
          updated_at: iso,
        });
      }
    }
  }
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('event_receipts').values(rows.slice(i, i + 200)).execute();
  for (const [name, perDay] of plan) {
    const added = perDay.reduce((a, b) => a + b, 0);
    await db
      .updateTable('repositories')
      .set((eb) => ({ event_count: eb('event_count', '+', added) }))
      .where('full_name', '=', name)
      .execute();
  }
  // acme/legacy has been quiet for ten days.
  const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
  await db.updateTable('repositories').set({ last_event_at: tenDaysAgo }).where('full_name', '=', 'acme/legacy').execute();
  const legacyId = byName.get('acme/legacy')?.id;
  if (legacyId) await db.deleteFrom('event_receipts').where('repository_id', '=', legacyId).where('received_at', '>', tenDaysAgo).execute();
}
