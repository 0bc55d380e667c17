/**
 * The event log API: `GET /api/events`, `GET /api/events/:delivery_id`, `POST /api/events/:delivery_id/replay`.
 * Each answers within the viewer's scope: an event of another installation is not listed and answers 404.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import type { Queue } from '../jobs/index.js';
import { authOf } from '../http/auth-context.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { errorResponse } from '../http/error-handler.js';
import { getEvent, listEvents } from './events-repo.js';
import { ReceiptNotFound } from './errors.js';
import type { PayloadStore } from './payload-store.js';
import { AUTOMATION_JOB } from '../automations/registry.js';
import { loadPayload } from './process-receipt.js';
import { replayReceipt } from './replay-receipt.js';

const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'] as const;
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const name = z.string().min(1).max(100);

export const eventsQuery = z.object({
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name').optional().describe('owner/name'),
  installation: z.coerce.number().int().positive().optional().describe('GitHub installation id'),
  type: name.optional().describe('event type, e.g. pull_request'),
  action: name.optional().describe('event action, e.g. opened'),
  status: z.enum(STATUSES).optional(),
  since: isoDate.optional().describe('received at or after (ISO-8601)'),
  until: isoDate.optional().describe('received at or before (ISO-8601)'),
  limit: limitSchema,
  cursor: cursorSchema,
});

const eventItem = z.object({
  id: z.string(),
  delivery_id: z.string(),
  event_type: z.string(),
  event_action: z.string().nullable(),
  repository: z.string().nullable(),
  installation_id: z.number().nullable(),
  actor: z.string().nullable(),
  target_object_ids: z.record(z.string(), z.union([z.string(), z.number()])),
  received_at: z.string(),
  github_timestamp: z.string().nullable(),
  processing_status: z.string(),
  retry_count: z.number(),
  error_message: z.string().nullable(),
});

const eventDetail = eventItem.extend({
  headers: z.record(z.string(), z.string()),
  payload_size: z.number(),
  payload_storage: z.string().nullable(),
  processed_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  max_retries: z.number(),
  raw_payload: z.unknown(),
  /** Automation jobs of this delivery that have not succeeded: waiting, running, retrying or dead. */
  automations: z.array(
    z.object({
      automation: z.string(),
      state: z.enum(['queued', 'running', 'retrying', 'dead']),
      attempts: z.number(),
      max_attempts: z.number(),
      last_error: z.string().nullable(),
    }),
  ),
});

const deliveryParams = z.object({ delivery_id: z.string().min(1).max(200) });

export interface EventsRoutesDeps {
  db: Database;
  queue: Queue;
  payloads: PayloadStore;
}

export async function eventsRoutes(app: FastifyInstance, deps: EventsRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'List received webhook deliveries, newest first',
        querystring: eventsQuery,
        response: { 200: z.object({ items: z.array(eventItem), next_cursor: z.string().nullable() }), 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const q = req.query;
      const beforeId = q.cursor ? decodeCursor(q.cursor, 'string', isUuid) : undefined;
      const rows = await listEvents(deps.db, { ...q, scope, beforeId, limit: q.limit });
      return pageOf(rows, q.limit, (last) => last.id);
    },
  );

  r.get(
    '/api/events/:delivery_id',
    {
      schema: {
        tags: ['events'],
        summary: 'One delivery with its headers and payload',
        params: deliveryParams,
        response: { 200: eventDetail, 404: errorResponse },
      },
    },
    async (req) => {
      const e = await getEvent(deps.db, req.params.delivery_id, authOf(req).scope);
      if (!e) throw new ReceiptNotFound(req.params.delivery_id);
      const bytes = await loadPayload(deps.db, deps.payloads, e).catch(() => null);
      let payload: unknown = null;
      if (bytes) {
        const text = bytes.toString('utf8');
        try {
          payload = JSON.parse(e.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? (new URLSearchParams(text).get('payload') ?? '') : text);
        } catch {
          payload = text;
        }
      }
      const jobs = await deps.queue.findJobs(AUTOMATION_JOB, { receiptId: e.id }).catch(() => []);
      const automations = jobs.map((j) => ({
        automation: typeof j.payload.automation === 'string' ? j.payload.automation : 'unknown',
        state: j.state,
        attempts: j.attempts,
        max_attempts: j.maxAttempts,
        last_error: j.lastError,
      }));
      return { ...e, raw_payload: payload, automations };
    },
  );

  r.post(
    '/api/events/:delivery_id/replay',
    {
      schema: {
        tags: ['events'],
        summary: 'Process a delivery again (failed, dead, or processed)',
        params: deliveryParams,
        response: { 202: z.object({ id: z.string(), delivery_id: z.string(), status: z.literal('queued') }), 404: errorResponse },
      },
    },
    async (req, reply) => {
      const id = await replayReceipt(deps, req.params.delivery_id, authOf(req).scope);
      return reply.code(202).send({ id, delivery_id: req.params.delivery_id, status: 'queued' as const });
    },
  );
}
