/**
 * `GET /api/overview`: every repository the viewer may see with its health at a glance — last
 * event, events per UTC day for the last 14 days, open pull requests, failing checks, deliveries
 * failing or dead — and warnings for repositories that have gone quiet or whose deliveries fail.
 * Pages by keyset like `GET /api/repositories` (same order); `summary` covers the viewer's whole log.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import { authOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { createActivityReader, deliverySummary, lastDays, type RepositoryActivity } from '../webhooks/index.js';
import { NotFound } from '../http/app-error.js';
import { checkSummaries } from './check-summary.js';
import { findRepositoryId, getRepository, listRepositories, type RepositoryItem } from './read-repo.js';

/** Days in the activity series. */
export const OVERVIEW_DAYS = 14;
/** A repository with no event for this long is "quiet". */
export const QUIET_AFTER_DAYS = 7;

const warning = z.object({
  code: z.enum(['dead_deliveries', 'failing_deliveries', 'failing_checks', 'quiet', 'no_events', 'monitoring']),
  severity: z.enum(['critical', 'warning', 'info']),
  message: z.string(),
});
export type OverviewWarning = z.infer<typeof warning>;

const overviewItem = z.object({
  id: z.string(),
  full_name: z.string(),
  owner: z.string(),
  name: z.string(),
  html_url: z.string().nullable(),
  description: z.string().nullable(),
  language: z.string().nullable(),
  default_branch: z.string().nullable(),
  is_private: z.boolean(),
  is_archived: z.boolean(),
  is_deleted: z.boolean(),
  installation_id: z.number().nullable(),
  status: z.string(),
  last_event_at: z.string().nullable(),
  event_count: z.number(),
  open_pull_requests: z.number(),
  failing_checks: z.number(),
  events_per_day: z.array(z.number()).describe(`events received per UTC day, oldest first; one entry per day of \`days\``),
  failing_deliveries: z.number().describe('deliveries that failed and wait to retry'),
  dead_deliveries: z.number().describe('deliveries that ran out of retries (replay them)'),
  warnings: z.array(warning),
});

const overviewResponse = z.object({
  days: z.array(z.string()).describe('the UTC days (YYYY-MM-DD) of events_per_day, oldest first'),
  summary: z.object({
    today: z.number().describe('deliveries received since the start of the UTC day'),
    last_24h: z.number(),
    failing: z.number(),
    dead: z.number(),
    pending: z.number().describe('received or being processed now'),
  }),
  items: z.array(overviewItem),
  next_cursor: z.string().nullable(),
});

const segment = z.string().min(1).max(100).regex(/^[\w.-]+$/, 'must be a GitHub owner or repository name');

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The warnings a repository deserves, most serious first. */
export function repositoryWarnings(repo: RepositoryItem, activity: RepositoryActivity, now = new Date()): OverviewWarning[] {
  const out: OverviewWarning[] = [];
  if (activity.dead > 0) {
    out.push({ code: 'dead_deliveries', severity: 'critical', message: `${plural(activity.dead, 'delivery', 'deliveries')} ran out of retries: open them in the event log and replay` });
  }
  if (activity.failing > 0) {
    out.push({ code: 'failing_deliveries', severity: 'warning', message: `${plural(activity.failing, 'delivery', 'deliveries')} failing, waiting to retry` });
  }
  if (repo.failing_checks > 0) {
    out.push({ code: 'failing_checks', severity: 'warning', message: `${plural(repo.failing_checks, 'failing check')} on open pull requests` });
  }
  if (repo.status !== 'active' && !repo.is_deleted) {
    out.push({ code: 'monitoring', severity: 'warning', message: `Monitoring is ${repo.status}` });
  }
  if (!repo.is_deleted && !repo.is_archived) {
    if (!repo.last_event_at) {
      out.push({ code: 'no_events', severity: 'info', message: 'No events received yet' });
    } else {
      const quietDays = Math.floor((now.getTime() - Date.parse(repo.last_event_at)) / 86_400_000);
      if (quietDays >= QUIET_AFTER_DAYS) out.push({ code: 'quiet', severity: 'warning', message: `Quiet: no events for ${plural(quietDays, 'day')}` });
    }
  }
  return out;
}

function present(repo: RepositoryItem, a: RepositoryActivity, now: Date): z.infer<typeof overviewItem> {
  return {
    id: repo.id,
    full_name: repo.full_name,
    owner: repo.owner,
    name: repo.name,
    html_url: repo.html_url,
    description: repo.description,
    language: repo.language,
    default_branch: repo.default_branch,
    is_private: repo.is_private,
    is_archived: repo.is_archived,
    is_deleted: repo.is_deleted,
    installation_id: repo.installation_id,
    status: repo.status,
    last_event_at: repo.last_event_at,
    event_count: repo.event_count,
    open_pull_requests: repo.open_pull_requests,
    failing_checks: repo.failing_checks,
    events_per_day: a.perDay,
    failing_deliveries: a.failing,
    dead_deliveries: a.dead,
    warnings: repositoryWarnings(repo, a, now),
  };
}

export async function overviewRoutes(app: FastifyInstance, deps: { db: Database }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const activity = createActivityReader(db);

  r.get(
    '/api/overview',
    {
      schema: {
        tags: ['state'],
        summary: 'Repositories with their health: activity per day, pull requests, failing checks and delivery warnings',
        querystring: z.object({ limit: limitSchema, cursor: cursorSchema }),
        response: { 200: overviewResponse, 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const now = new Date();
      const beforeId = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const page = pageOf(await listRepositories(db, { scope, beforeId, limit: req.query.limit }), req.query.limit, (l) => l.id);
      const [health, summary] = await Promise.all([activity.read(page.items.map((p) => p.id), { days: OVERVIEW_DAYS, now }), deliverySummary(db, scope, now)]);
      return {
        days: lastDays(OVERVIEW_DAYS, now).map((d) => d.day),
        summary: { today: summary.today, last_24h: summary.last24h, failing: summary.failing, dead: summary.dead, pending: summary.pending },
        items: page.items.map((repo) => present(repo, health.get(repo.id)!, now)),
        next_cursor: page.next_cursor,
      };
    },
  );

  r.get(
    '/api/repositories/:owner/:name/check-summary',
    {
      schema: {
        tags: ['state'],
        summary: 'Check status of pull requests (by number): the latest run of each check on the head commit, counted',
        params: z.object({ owner: segment, name: segment }),
        querystring: z.object({
          numbers: z
            .string()
            .regex(/^\d{1,10}(,\d{1,10}){0,99}$/, 'comma-separated pull request numbers (at most 100)')
            .refine((s) => s.split(',').every((n) => Number(n) <= 2_147_483_647), 'pull request numbers are at most 2147483647')
            .transform((s) => [...new Set(s.split(',').map(Number))])
            .describe('pull request numbers, comma-separated (at most 100)'),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                number: z.number(),
                head_sha: z.string().nullable(),
                total: z.number(),
                passing: z.number(),
                failing: z.number(),
                pending: z.number(),
                other: z.number().describe('cancelled, stale and other conclusions'),
                state: z.enum(['failure', 'pending', 'success', 'neutral']).nullable().describe('null when the head commit has no checks'),
              }),
            ),
          }),
          400: errorResponse,
          404: errorResponse,
        },
      },
    },
    async (req) => {
      const id = await findRepositoryId(db, `${req.params.owner}/${req.params.name}`, authOf(req).scope);
      if (!id) throw new NotFound(`Repository ${req.params.owner}/${req.params.name}`);
      return { items: await checkSummaries(db, id, req.query.numbers) };
    },
  );

  r.get(
    '/api/overview/:owner/:name',
    {
      schema: {
        tags: ['state'],
        summary: 'One repository with its health (as in GET /api/overview)',
        params: z.object({ owner: segment, name: segment }),
        response: { 200: overviewItem.extend({ days: z.array(z.string()) }), 404: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const now = new Date();
      const repo = await getRepository(db, `${req.params.owner}/${req.params.name}`, scope);
      if (!repo) throw new NotFound(`Repository ${req.params.owner}/${req.params.name}`);
      const health = await activity.read([repo.id], { days: OVERVIEW_DAYS, now });
      return { ...present(repo, health.get(repo.id)!, now), days: lastDays(OVERVIEW_DAYS, now).map((d) => d.day) };
    },
  );
}
