/**
 * The Probot apps API: `GET /api/apps`, `GET /api/apps/:app/runs`, `POST /api/apps/:app/replay`,
 * `GET /api/events/:delivery_id/apps`; and the apps' own `addHandler` routes under `/apps/:app/…`.
 * Runs are scoped like the event log: a viewer sees the runs of installations they can see.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Database } from '../../db/index.js';
import { isUuid } from '../../db/index.js';
import { authOf } from '../../http/auth-context.js';
import { errorResponse } from '../../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../../http/paging.js';
import type { Queue } from '../../jobs/index.js';
import type { Scope } from '../../http/auth-context.js';
import { matches } from '../registry.js';
import { ReceiptNotFound } from '../../webhooks/errors.js';
import { ProbotAppDoesNotHandle, ProbotAppNotFound } from './errors.js';
import { appStats, listRuns, runsForReceipt, type RunRow } from './repo.js';
import { replayRun } from './run-app.js';
import { RUN_STATUSES } from './tables.js';

export type AppHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface LoadedAppInfo {
  name: string;
  spec: string;
  events: string[];
  routes: number;
}

export interface RoutesDeps {
  db: Database;
  queue: Queue;
  apps(): LoadedAppInfo[];
  failures(): Array<{ spec: string; name: string; reason: string }>;
  handlers(app: string): AppHandler[];
}

const logLine = z.object({ level: z.string(), time: z.string(), msg: z.string() }).catchall(z.unknown());
const run = z.object({
  id: z.string(),
  app: z.string(),
  delivery_id: z.string(),
  event: z.string(),
  action: z.string().nullable(),
  installation_id: z.number().nullable(),
  status: z.enum(RUN_STATUSES as [string, ...string[]]),
  attempts: z.number(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  next_attempt_at: z.string().nullable(),
  error: z.string().nullable(),
  log_lines: z.array(logLine),
  created_at: z.string(),
  repository: z.string().nullable().describe('the delivery’s repository (owner/name)'),
});
const stats = z.object({
  runs_per_day: z.array(z.object({ day: z.string(), runs: z.number(), failed: z.number() })),
  runs: z.number(),
  success_rate: z.number().nullable(),
  p50_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  last_error: z.object({ delivery_id: z.string(), error: z.string(), at: z.string() }).nullable(),
});
const appName = z.object({ app: z.string().min(1).max(100) });
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const runsQuery = z.object({
  status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
  event: z
    .string()
    .max(100)
    .regex(/^[a-z_]+(\.[a-z_]+)?$/, 'must be an event name, e.g. issues or issues.opened')
    .optional()
    .describe('the delivery’s event, with or without its action: issues, issues.opened'),
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name').optional().describe('owner/name'),
  since: isoDate.optional().describe('runs created at or after (ISO-8601)'),
  until: isoDate.optional().describe('runs created at or before (ISO-8601)'),
  limit: limitSchema,
  cursor: cursorSchema,
});

const iso = (v: string | null) => (v === null ? null : new Date(v).toISOString());
function present(r: RunRow) {
  let lines: unknown = [];
  try {
    lines = r.log_lines ? JSON.parse(r.log_lines) : [];
  } catch {
    lines = [];
  }
  return {
    ...r,
    installation_id: r.installation_id === null ? null : Number(r.installation_id),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    next_attempt_at: iso(r.next_attempt_at),
    created_at: new Date(r.created_at).toISOString(),
    log_lines: Array.isArray(lines) ? (lines as Array<z.infer<typeof logLine>>) : [],
  };
}

async function findReceipt(db: Database, deliveryId: string, scope: Scope) {
  let q = db.kysely.selectFrom('event_receipts').select(['id', 'delivery_id', 'event_type', 'event_action', 'installation_id']).where('delivery_id', '=', deliveryId);
  if (!scope.all) {
    const ids = [...new Set(scope.installationIds)];
    if (ids.length === 0) return null;
    q = q.where('installation_id', 'in', ids);
  }
  return (await q.executeTakeFirst()) ?? null;
}

export async function probotAppsRoutes(app: FastifyInstance, deps: RoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const loaded = (name: string) => {
    const a = deps.apps().find((x) => x.name === name);
    if (!a) throw new ProbotAppNotFound(name);
    return a;
  };

  r.get(
    '/api/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'Hosted Probot apps: what each subscribes to and how its runs went (last 7 days)',
        response: {
          200: z.object({
            items: z.array(z.object({ name: z.string(), spec: z.string(), events: z.array(z.string()), routes: z.number(), stats })),
            failures: z.array(z.object({ spec: z.string(), name: z.string(), reason: z.string() })),
          }),
        },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const items = [];
      for (const a of deps.apps()) items.push({ ...a, stats: await appStats(deps.db.kysely, a.name, scope) });
      // Why an app did not load says where its code is: administrators only.
      return { items, failures: scope.all ? deps.failures() : [] };
    },
  );

  r.get(
    '/api/apps/:app/runs',
    {
      schema: {
        tags: ['apps'],
        summary: "An app's runs, newest first, filtered by status, event, repository and time",
        params: appName,
        querystring: runsQuery,
        response: { 200: z.object({ items: z.array(run), next_cursor: z.string().nullable() }), 400: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      loaded(req.params.app);
      const q = req.query;
      const beforeId = q.cursor ? decodeCursor(q.cursor, 'string', isUuid) : undefined;
      const [event, action] = q.event ? q.event.split('.') : [];
      const rows = await listRuns(deps.db, {
        app: req.params.app,
        status: q.status as RunRow['status'] | undefined,
        event,
        action,
        repository: q.repository,
        since: q.since,
        until: q.until,
        scope: authOf(req).scope,
        beforeId,
        limit: q.limit,
      });
      const page = pageOf(rows, q.limit, (last) => last.id);
      return { items: page.items.map(present), next_cursor: page.next_cursor };
    },
  );

  r.post(
    '/api/apps/:app/replay',
    {
      schema: {
        tags: ['apps'],
        summary: 'Run one app again for one delivery',
        params: appName,
        body: z.object({ delivery_id: z.string().min(1).max(200) }),
        response: { 202: z.object({ app: z.string(), delivery_id: z.string(), status: z.literal('queued') }), 404: errorResponse, 409: errorResponse },
      },
    },
    async (req, reply) => {
      const a = loaded(req.params.app);
      const receipt = await findReceipt(deps.db, req.body.delivery_id, authOf(req).scope);
      if (!receipt) throw new ReceiptNotFound(req.body.delivery_id);
      if (!matches(a.events, receipt.event_type, receipt.event_action)) throw new ProbotAppDoesNotHandle(a.name, receipt.event_type + (receipt.event_action ? `.${receipt.event_action}` : ''));
      await replayRun(deps, { app: a.name, receipt: { ...receipt, installation_id: receipt.installation_id === null ? null : Number(receipt.installation_id) } });
      return reply.code(202).send({ app: a.name, delivery_id: receipt.delivery_id, status: 'queued' as const });
    },
  );

  r.get(
    '/api/events/:delivery_id/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'The Probot apps that ran (or will run) for one delivery',
        params: z.object({ delivery_id: z.string().min(1).max(200) }),
        response: { 200: z.object({ items: z.array(run) }), 404: errorResponse },
      },
    },
    async (req) => {
      const receipt = await findReceipt(deps.db, req.params.delivery_id, authOf(req).scope);
      if (!receipt) throw new ReceiptNotFound(req.params.delivery_id);
      return { items: (await runsForReceipt(deps.db, receipt.id)).map(present) };
    },
  );

  // The apps' own routes (Probot 14's addHandler), each app under /apps/<app>/. The body is left
  // unread for the app's handler, as Node's http server hands it to Probot's.
  await app.register(async (scopeApp) => {
    scopeApp.removeAllContentTypeParsers();
    scopeApp.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    scopeApp.all('/apps/:app/*', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
      const name = (req.params as { app: string }).app;
      const handlers = deps.handlers(name);
      if (handlers.length === 0) throw new ProbotAppNotFound(name);
      reply.hijack();
      const res = reply.raw;
      try {
        for (const h of handlers) {
          if (await h(req.raw, res)) return;
          if (res.headersSent || res.writableEnded) return;
        }
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NOT_FOUND', message: 'No handler of this app answered' }));
      } catch (err) {
        req.log.error({ err, app: name }, 'probot app route failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      }
    });
  });
}
