/** The REST API: auth, paging, filters, errors, health, metrics and the OpenAPI document. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startTestApp, type TestApp } from './support/app.js';
import { deliveryHeaders, METRICS_AUTH } from './support/sign.js';
import { installation, pullRequest, repo, sender } from './support/payloads.js';

describe.each(dialects)('API (%s)', (dialect) => {
  let t: TestApp;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await startTestApp(dialect);
    // 30 deliveries: 10 issues on acme/one, 10 pull_request on acme/two, 10 stars on acme/one.
    for (let i = 0; i < 30; i++) {
      const kind = i % 3;
      const event = kind === 0 ? 'issues' : kind === 1 ? 'pull_request' : 'star';
      const payload =
        kind === 1
          ? { ...pullRequest('opened', { number: 100 + i, updatedAt: '2026-01-01T00:00:00Z' }), repository: repo(3002, 'acme/two') }
          : { action: kind === 0 ? 'opened' : 'created', issue: kind === 0 ? { id: 5000 + i, number: i + 1, title: `Issue ${i}`, state: 'open', labels: [{ name: 'bug' }], user: { login: 'u' }, updated_at: '2026-01-01T00:00:00Z' } : undefined, repository: repo(3001, 'acme/one'), installation, sender };
      const body = JSON.stringify(payload);
      const id = randomUUID();
      ids.push(id);
      const res = await fetch(`${t.url}/api/github/webhooks`, { method: 'POST', headers: deliveryHeaders(event, body, id), body });
      expect(res.status).toBe(202);
    }
    await t.settle();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 without the bearer token, and with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      const res = await fetch(`${t.url}/api/events`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    }
  });

  it('pages events newest first by keyset until the end', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.api(`/api/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Array<{ delivery_id: string; received_at: string }>; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((i) => i.delivery_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by repository, type, action, status and time', async () => {
    const get = async (q: string) => ((await t.getJson(`/api/events?${q}`)) as { items: Array<Record<string, unknown>> }).items;
    expect(await get('repository=acme/two')).toHaveLength(10);
    expect((await get('repository=acme/one&type=star')).every((i) => i.event_type === 'star' && i.repository === 'acme/one')).toBe(true);
    expect(await get('type=issues&action=opened')).toHaveLength(10);
    expect(await get('status=processed&limit=200')).toHaveLength(30);
    expect(await get('status=dead')).toHaveLength(0);
    expect(await get(`installation=${installation.id}&limit=200`)).toHaveLength(30);
    expect(await get('since=2099-01-01T00:00:00Z')).toHaveLength(0);
    expect(await get('until=2000-01-01T00:00:00Z')).toHaveLength(0);
    expect(await get(`since=${new Date(Date.now() - 3600_000).toISOString()}&limit=200`)).toHaveLength(30);
    expect(await get('repository=nobody/nothing')).toHaveLength(0);
  });

  it('answers 400 with a message for bad filters and cursors', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%%%', 'cursor=bm90LWEtY3Vyc29y', 'since=yesterday', 'status=bogus', 'repository=no-slash', 'installation=-1']) {
      const res = await t.api(`/api/events?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.message.length, q).toBeGreaterThan(5);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('serves repositories, pull requests and issues', async () => {
    const repos = (await t.getJson('/api/repositories')) as { items: Array<{ full_name: string; event_count: number; open_pull_requests: number }> };
    const two = repos.items.find((r) => r.full_name === 'acme/two')!;
    expect(two).toMatchObject({ event_count: 10, open_pull_requests: 10 });
    const pulls = (await t.getJson('/api/repositories/acme/two/pulls?limit=4')) as { items: Array<{ number: number }>; next_cursor: string };
    expect(pulls.items.map((p) => p.number)).toEqual([128, 125, 122, 119]);
    const next = (await t.getJson(`/api/repositories/acme/two/pulls?limit=4&cursor=${pulls.next_cursor}`)) as { items: Array<{ number: number }> };
    expect(next.items[0]!.number).toBe(116);
    const issues = (await t.getJson('/api/repositories/acme/one/issues?state=all')) as { items: Array<{ labels: string[] }> };
    expect(issues.items).toHaveLength(10);
    expect(issues.items[0]!.labels).toEqual(['bug']);
    expect((await t.api('/api/repositories/acme/missing')).status).toBe(404);
    expect((await t.api('/api/repositories/acme/two/pulls/99999')).status).toBe(404);
    expect((await t.api(`/api/events/${randomUUID()}`)).status).toBe(404);
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: METRICS_AUTH })).text();
    expect(metrics).toContain('switchyard_webhook_deliveries_total{event="pull_request",outcome="received"} 10');
    expect(metrics).toContain('switchyard_processing_lag_seconds_bucket');
    expect(metrics).toContain('switchyard_http_request_duration_seconds');
    expect(metrics).toContain('switchyard_queue_jobs');
    const doc = (await (await fetch(`${t.url}/api/docs`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/events', '/api/events/{delivery_id}', '/api/events/{delivery_id}/replay', '/api/repositories', '/api/repositories/{owner}/{name}/pulls/{number}']));
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.api('/api/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'NOT_FOUND' });
  });
});
