/**
 * The GitHub App's status and its background work, for administrators: `GET /api/setup/status`
 * (public: is an App configured, can people sign in with GitHub), missed-delivery recovery runs,
 * and "reconcile now" / "recover now".
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import { adminOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import type { Queue } from '../jobs/index.js';
import type { AppCredentialsStore } from './app-credentials.js';
import { countRecovered, RECOVER_DELIVERIES_JOB } from './recover-deliveries.js';
import { RECONCILE_JOB } from './reconcile-installations.js';

const runItem = z.object({
  id: z.string(),
  status: z.string(),
  trigger: z.string(),
  scanned: z.number(),
  missing: z.number(),
  redelivered: z.number(),
  newest_delivered_at: z.string().nullable(),
  error_message: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

export async function githubAdminRoutes(app: FastifyInstance, deps: { config: Config; db: Database; queue: Queue; credentials: AppCredentialsStore }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db, queue } = deps;

  r.get(
    '/api/setup/status',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['setup'],
        summary: 'Is a GitHub App configured, and which ways of signing in are open',
        security: [],
        response: {
          200: z.object({
            configured: z.boolean(),
            source: z.enum(['environment', 'setup']).nullable(),
            app: z.object({ id: z.number(), slug: z.string().nullable(), html_url: z.string().nullable() }).nullable(),
            github_url: z.string(),
            github_sign_in: z.boolean(),
            setup_url: z.string().nullable(),
          }),
        },
      },
    },
    async () => {
      const c = deps.credentials.current();
      return {
        configured: !!c,
        source: c?.source ?? null,
        app: c ? { id: c.appId, slug: c.slug, html_url: c.htmlUrl } : null,
        github_url: deps.config.github.url,
        github_sign_in: !!(c?.clientId && c.clientSecret),
        setup_url: c ? null : `${deps.config.publicUrl}/setup`,
      };
    },
  );

  r.get(
    '/api/admin/recovery-runs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Missed-delivery recovery runs, newest first, with totals (administrators)',
        querystring: z.object({ limit: limitSchema, cursor: cursorSchema }),
        response: {
          200: z.object({
            totals: z.object({ requested: z.number(), arrived: z.number(), failed: z.number() }).describe('redeliveries asked for, arrived since, and refused by GitHub'),
            items: z.array(runItem),
            next_cursor: z.string().nullable(),
          }),
          403: errorResponse,
        },
      },
    },
    async (req) => {
      adminOf(req);
      let q = db.kysely.selectFrom('delivery_recovery_runs').selectAll().orderBy('id', 'desc').limit(req.query.limit + 1);
      if (req.query.cursor) q = q.where('id', '<', decodeCursor(req.query.cursor, 'string', isUuid));
      const page = pageOf(await q.execute(), req.query.limit, (row) => row.id);
      return {
        totals: await countRecovered(db),
        items: page.items.map((row) => ({ ...row, scanned: Number(row.scanned), missing: Number(row.missing), redelivered: Number(row.redelivered) })),
        next_cursor: page.next_cursor,
      };
    },
  );

  const trigger = (name: string, summary: string, path: string) =>
    r.post(path, { schema: { tags: ['admin'], summary, response: { 202: z.object({ queued: z.literal(true) }), 403: errorResponse, 409: errorResponse } } }, async (req, reply) => {
      adminOf(req);
      if (!deps.credentials.current()) {
        return reply.code(409).send({ error: 'APP_NOT_CONFIGURED', message: 'No GitHub App is configured yet: run the setup wizard at /setup' });
      }
      // Its own key: a scheduled run already in progress (perhaps started before the change the
      // person is waiting for) does not swallow the request; two clicks make one run.
      await queue.enqueue(db.kysely, name, { trigger: 'manual' }, { key: `${name}:manual` });
      return reply.code(202).send({ queued: true as const });
    });
  trigger(RECOVER_DELIVERIES_JOB, 'Look for missed deliveries now (administrators)', '/api/admin/recovery-runs');
  trigger(RECONCILE_JOB, 'Reconcile installations and repositories with GitHub now (administrators)', '/api/admin/reconcile');
}
