/**
 * The job queue, for administrators: `GET /api/admin/queue` (per job name: queued, running,
 * retrying, dead and the last dead job's error) and `POST /api/admin/queue/retry-dead` (move dead
 * jobs of one name, or all, back to the queue with a fresh attempt budget).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import type { Queue } from './queue.js';

const jobName = z.string().min(1).max(200).regex(/^[\w./-]+$/, 'letters, digits and _ . - /');

const queueItem = z.object({
  name: z.string(),
  queued: z.number().describe('waiting to run, including scheduled and waiting to retry'),
  running: z.number(),
  retrying: z.number().describe('failed at least once and waiting to retry'),
  dead: z.number().describe('ran out of attempts; kept with their last error'),
  last_error: z.string().nullable().describe('error of the most recently failed dead job'),
});

export async function jobsAdminRoutes(app: FastifyInstance, deps: { queue: Queue }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { queue } = deps;

  r.get(
    '/api/admin/queue',
    {
      schema: {
        tags: ['admin'],
        summary: 'The job queue: depth, running, retrying and dead jobs per job name (administrators)',
        response: {
          200: z.object({
            kind: z.enum(['sqlite', 'pg-boss']).describe('the queue implementation'),
            totals: queueItem.omit({ name: true, last_error: true }),
            items: z.array(queueItem),
          }),
          403: errorResponse,
        },
      },
    },
    async (req) => {
      adminOf(req);
      const stats = (await queue.stats()).slice().sort((a, b) => a.name.localeCompare(b.name));
      const sum = (k: 'queued' | 'running' | 'retrying' | 'dead') => stats.reduce((n, s) => n + s[k], 0);
      return {
        kind: queue.kind,
        totals: { queued: sum('queued'), running: sum('running'), retrying: sum('retrying'), dead: sum('dead') },
        items: stats.map((s) => ({ name: s.name, queued: s.queued, running: s.running, retrying: s.retrying, dead: s.dead, last_error: s.lastError })),
      };
    },
  );

  r.post(
    '/api/admin/queue/retry-dead',
    {
      schema: {
        tags: ['admin'],
        summary: 'Queue dead jobs again with a fresh attempt budget: those of one job name, or all (administrators)',
        body: z.object({ name: jobName.optional().describe('job name; every dead job when omitted') }).default({}),
        response: { 200: z.object({ retried: z.number() }), 400: errorResponse, 403: errorResponse },
      },
    },
    async (req) => {
      adminOf(req);
      const retried = await queue.retryDead(req.body.name);
      req.log.info({ name: req.body.name ?? '*', retried }, 'retried dead jobs');
      return { retried };
    },
  );
}
