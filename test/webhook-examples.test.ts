/**
 * Drives the real HTTP endpoint with every example payload GitHub publishes
 * (@octokit/webhooks-examples), signed, on both databases, and checks what is stored and projected.
 */
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders } from './support/sign.js';

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const require = createRequire(import.meta.url);
const groups = require('@octokit/webhooks-examples/api.github.com/index.json') as ExampleGroup[];
const deliveries = groups.flatMap((g) => g.examples.map((payload) => ({ event: g.name, payload, id: randomUUID(), body: JSON.stringify(payload) })));

describe.each(dialects)('every GitHub example payload (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores each delivery once, answers 202, and processes every one', async () => {
    expect(deliveries.length).toBeGreaterThan(300);
    for (const d of deliveries) {
      const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(d.event, d.body, d.id), body: d.body });
      expect(res.status, `${d.event} ${d.id}`).toBe(202);
      const json = (await res.json()) as { id: string; delivery_id: string; status: string };
      expect(json).toMatchObject({ delivery_id: d.id, status: 'received' });
    }
    await t.settle(60_000);
    const statuses = await t.app.db.kysely
      .selectFrom('event_receipts')
      .select((eb) => ['processing_status', eb.fn.countAll<number>().as('n')])
      .groupBy('processing_status')
      .execute();
    expect(statuses.map((s) => [s.processing_status, Number(s.n)])).toEqual([['processed', deliveries.length]]);
  });

  it('fills the indexed fields from the payload', async () => {
    const rows = await t.app.db.kysely
      .selectFrom('event_receipts')
      .innerJoin('event_payloads', 'event_payloads.receipt_id', 'event_receipts.id')
      .selectAll('event_receipts')
      .select('event_payloads.body')
      .execute();
    const byDelivery = new Map(rows.map((r) => [r.delivery_id, r]));
    for (const d of deliveries) {
      const r = byDelivery.get(d.id)!;
      expect(r.event_type).toBe(d.event);
      expect(r.event_action).toBe(typeof d.payload.action === 'string' ? d.payload.action : null);
      const inst = (d.payload.installation as { id?: number } | undefined)?.id ?? null;
      expect(r.installation_id).toBe(inst);
      const sender = (d.payload.sender as { login?: string } | undefined)?.login;
      if (sender) expect(r.actor).toBe(sender);
      expect(Buffer.from(r.body).toString('utf8')).toBe(d.body);
      const repo = d.payload.repository as { id?: number; full_name?: string } | undefined;
      if (repo?.id && repo.full_name) expect(r.repository_id).not.toBeNull();
      else expect(r.repository_id).toBeNull();
      const pr = d.payload.pull_request as { number?: number } | undefined;
      if (pr?.number) expect(JSON.parse(r.target_object_ids).pull_request).toBe(pr.number);
    }
  });

  it('keeps repositories.event_count exact', async () => {
    const perRepo = new Map<number, number>();
    for (const d of deliveries) {
      const repo = d.payload.repository as { id?: number; full_name?: string } | undefined;
      if (repo?.id && repo.full_name) perRepo.set(repo.id, (perRepo.get(repo.id) ?? 0) + 1);
    }
    const rows = await t.app.db.kysely.selectFrom('repositories').select(['github_id', 'event_count', 'last_event_at']).execute();
    const counts = new Map(rows.map((r) => [r.github_id, Number(r.event_count)]));
    for (const [id, n] of perRepo) expect(counts.get(id), `repository ${id}`).toBe(n);
  });

  it('projects pull requests, check runs, issues and installations', async () => {
    const k = t.app.db.kysely;
    const prNumbers = new Set(deliveries.filter((d) => d.event === 'pull_request').map((d) => (d.payload.pull_request as { id: number }).id));
    const prs = await k.selectFrom('pull_requests').select('github_id').execute();
    for (const id of prNumbers) expect(prs.map((p) => p.github_id)).toContain(id);
    const history = await k.selectFrom('pr_state_history').selectAll().execute();
    expect(history.length).toBeGreaterThanOrEqual(prs.length);

    const checkRunIds = deliveries.filter((d) => d.event === 'check_run').map((d) => (d.payload.check_run as { id: number }).id);
    const runs = await k.selectFrom('check_runs').select('github_id').execute();
    for (const id of checkRunIds) expect(runs.map((r) => r.github_id)).toContain(id);

    const issueIds = deliveries.filter((d) => d.event === 'issues').map((d) => (d.payload.issue as { id: number }).id);
    const issues = await k.selectFrom('github_issues').select('github_id').execute();
    for (const id of issueIds) expect(issues.map((i) => i.github_id)).toContain(id);

    const installs = deliveries.filter((d) => d.event === 'installation').map((d) => (d.payload.installation as { id: number }).id);
    const rows = await k.selectFrom('installations').select('github_id').execute();
    for (const id of installs) expect(rows.map((r) => r.github_id)).toContain(id);

    const wfRuns = deliveries.filter((d) => d.event === 'workflow_run').map((d) => (d.payload.workflow_run as { id: number }).id);
    const wf = await k.selectFrom('workflow_runs').select('github_id').execute();
    for (const id of wfRuns) expect(wf.map((r) => r.github_id)).toContain(id);
  });

  it('answers every redelivery with 200 duplicate and stores nothing twice', async () => {
    const before = await t.app.db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const repoCounts = await t.app.db.kysely.selectFrom('repositories').select(['id', 'event_count']).orderBy('id').execute();
    for (const d of deliveries.slice(0, 60)) {
      const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(d.event, d.body, d.id), body: d.body });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'duplicate', delivery_id: d.id });
    }
    const after = await t.app.db.kysely.selectFrom('event_receipts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await t.app.db.kysely.selectFrom('repositories').select(['id', 'event_count']).orderBy('id').execute()).toEqual(repoCounts);
  });
});
