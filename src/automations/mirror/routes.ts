/**
 * The mirror API. Targets and rules are administrator configuration (403 for others); mirrored
 * repositories, their sync logs, "sync now" and "retry" are scoped like every GitHub object: a
 * viewer sees mirrors of repositories of their installations, and anything else answers 404 as if
 * it did not exist. Each route: validate (zod) → authorize → command → present.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isUuid, nowIso, parseJson, toBool } from '../../db/index.js';
import { adminOf, authOf, type Scope } from '../../http/auth-context.js';
import { errorResponse } from '../../http/error-handler.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { MirrorNotFound } from './errors.js';
import { diskUsage } from '../../git/index.js';
import {
  addManualMirror,
  createRule,
  createTarget,
  deleteRule,
  deleteTarget,
  findTarget,
  presentRule,
  presentTarget,
  testTarget,
  updateTarget,
  type ManageDeps,
} from './manage.js';
import * as repo from './repo.js';
import {
  accepted,
  connectionTest,
  createRuleBody,
  createTargetBody,
  idParams,
  listQuery,
  logItem,
  logsQuery,
  mirrorItem,
  patchTargetBody,
  repoParams,
  ruleItem,
  statusResponse,
  targetItem,
  targetQuery,
} from './schema.js';
import { lagSeconds, parseSources } from './service.js';

const TAGS = ['mirror'];
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });
const targetParams = z.object({ target: z.string().min(1).max(100).describe('Target id or name') });

/** A mirror as the API shows it. */
export function presentMirror(r: repo.MirrorListRow, now = Date.now()): z.infer<typeof mirrorItem> {
  return {
    id: r.id,
    repository: r.full_name,
    repository_deleted: toBool(r.repository_deleted),
    installation_id: r.installation_id === null ? null : Number(r.installation_id),
    target: { id: r.target_id, name: r.target_name, kind: r.target_kind },
    target_path: r.target_path,
    target_url: r.target_url,
    is_active: toBool(r.is_active),
    stopped_reason: r.stopped_reason,
    sources: parseSources(r.sources),
    sync_status: r.sync_status,
    error_code: r.error_code,
    error_message: r.error_message,
    retry_count: r.retry_count,
    max_retries: r.max_retries,
    next_retry_at: r.next_retry_at,
    last_synced_at: r.last_synced_at,
    last_sync_started_at: r.last_sync_started_at,
    last_duration_ms: r.last_duration_ms,
    last_bytes: r.last_bytes === null ? null : Number(r.last_bytes),
    synced_sha: r.synced_sha,
    behind: r.requested_seq > r.synced_seq,
    lag_seconds: lagSeconds(r, now),
    progress: r.sync_status === 'in_progress' ? parseJson<{ step: string; phase: string; percent: number } | null>(r.progress, null) : null,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function presentLog(l: repo.LogRow & { target_name: string }): z.infer<typeof logItem> {
  return {
    id: l.id,
    target: l.target_name,
    sync_id: l.sync_id,
    event: l.event,
    message: l.message,
    duration_ms: l.duration_ms,
    bytes_transferred: l.bytes_transferred === null ? null : Number(l.bytes_transferred),
    error_code: l.error_code,
    details: parseJson<Record<string, unknown> | null>(l.details, null),
    created_at: l.created_at,
  };
}

export interface MirrorRoutesDeps extends ManageDeps {
  /** Cache disk usage, memoised (walking a large cache is not free). */
  cacheBytes(): number;
}

/** Memoises diskUsage for `ttlMs`. */
export function cachedDiskUsage(dir: string, ttlMs = 30_000): () => number {
  let at = 0;
  let value = 0;
  return () => {
    if (Date.now() - at > ttlMs) {
      value = diskUsage(dir);
      at = Date.now();
    }
    return value;
  };
}

export async function mirrorRoutes(app: FastifyInstance, deps: MirrorRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  /** The mirrors of a visible repository (optionally of one target); 404 when there are none. */
  const mirrorsOf = async (owner: string, name: string, scope: Scope, target?: string) => {
    const facts = await repo.findRepositoryByName(db.kysely, `${owner}/${name}`, scope);
    if (!facts) throw new MirrorNotFound(`${owner}/${name}`);
    const targetId = target ? (await findTarget(db, target)).id : undefined;
    const rows = await repo.listMirrors(db.kysely, { scope, repositoryId: facts.id, targetId, limit: 100 });
    if (rows.length === 0) throw new MirrorNotFound(`${owner}/${name}${target ? ` to ${target}` : ''}`);
    return rows;
  };

  // ---- targets (administrators) ----

  r.get('/api/mirror/targets', { schema: { tags: TAGS, summary: 'Mirror targets (administrators)', response: { 200: z.object({ items: z.array(targetItem) }), 403: errorResponse } } }, async (req) => {
    adminOf(req);
    return { items: (await repo.listTargets(db.kysely)).map(presentTarget) };
  });

  r.post(
    '/api/mirror/targets',
    { schema: { tags: TAGS, summary: 'Add a mirror target (administrators); the token is stored encrypted and never shown again', body: createTargetBody, response: { 201: targetItem, 400: errorResponse, 403: errorResponse, 409: errorResponse } } },
    async (req, reply) => {
      adminOf(req);
      return reply.code(201).send(await createTarget(deps, req.body));
    },
  );

  r.get('/api/mirror/targets/:target', { schema: { tags: TAGS, summary: 'One mirror target', params: targetParams, response: { 200: targetItem, 403: errorResponse, 404: errorResponse } } }, async (req) => {
    adminOf(req);
    return presentTarget(await findTarget(db, req.params.target));
  });

  r.patch(
    '/api/mirror/targets/:target',
    { schema: { tags: TAGS, summary: 'Change a mirror target; failed mirrors get another chance when the address or token changes', params: targetParams, body: patchTargetBody, response: { 200: targetItem, 400: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse } } },
    async (req) => {
      adminOf(req);
      return updateTarget(deps, req.params.target, req.body);
    },
  );

  r.delete(
    '/api/mirror/targets/:target',
    { schema: { tags: TAGS, summary: 'Remove a mirror target, its rules, mirrors and sync logs (copies on the forge stay)', params: targetParams, response: { 204: z.null(), 403: errorResponse, 404: errorResponse } } },
    async (req, reply) => {
      adminOf(req);
      await deleteTarget(deps, req.params.target);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/mirror/targets/:target/test',
    { schema: { tags: TAGS, summary: 'Test the connection: address, token, namespace', params: targetParams, response: { 200: connectionTest, 403: errorResponse, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      return testTarget(deps, req.params.target);
    },
  );

  r.get(
    '/api/mirror/targets/:target/rules',
    { schema: { tags: TAGS, summary: 'Rules of a target', params: targetParams, response: { 200: z.object({ items: z.array(ruleItem) }), 403: errorResponse, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      const t = await findTarget(db, req.params.target);
      return { items: (await repo.listRules(db.kysely, t.id)).map(presentRule) };
    },
  );

  r.post(
    '/api/mirror/targets/:target/rules',
    {
      schema: {
        tags: TAGS,
        summary: 'Add a rule: starred (by users or anyone), a whole installation, a list, or a pattern; applied at once to known repositories',
        params: targetParams,
        body: createRuleBody,
        response: { 201: z.object({ rule: ruleItem, started: z.number() }), 400: errorResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    async (req, reply) => {
      adminOf(req);
      return reply.code(201).send(await createRule(deps, req.params.target, req.body));
    },
  );

  r.delete(
    '/api/mirror/rules/:id',
    { schema: { tags: TAGS, summary: 'Remove a rule; mirrors only it kept stop', params: idParams, response: { 200: z.object({ stopped: z.number() }), 403: errorResponse, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      return deleteRule(deps, req.params.id);
    },
  );

  r.post(
    '/api/mirror/targets/:target/mirrors',
    {
      schema: {
        tags: TAGS,
        summary: 'Mirror one repository to this target by hand',
        params: targetParams,
        body: z.object({ repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name') }),
        response: { 201: z.object({ id: z.string(), started: z.boolean() }), 400: errorResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    async (req, reply) => {
      const { scope } = adminOf(req);
      const facts = await repo.findRepositoryByName(db.kysely, req.body.repository, scope);
      if (!facts) throw new MirrorNotFound(`${req.body.repository} (unknown repository)`);
      const r2 = await addManualMirror(deps, req.params.target, facts);
      return reply.code(201).send({ id: r2.mirrorId, started: r2.started });
    },
  );

  // ---- mirrored repositories (scoped) ----

  r.get(
    '/api/mirror/repositories',
    { schema: { tags: TAGS, summary: 'Mirrored repositories with status, last sync, lag and errors; newest first', querystring: listQuery, response: { 200: page(mirrorItem), 400: errorResponse, 404: errorResponse } } },
    async (req) => {
      const { scope } = authOf(req);
      const q = req.query;
      const targetId = q.target ? (await findTarget(db, q.target)).id : undefined;
      const beforeId = q.cursor ? decodeCursor(q.cursor, 'string', isUuid) : undefined;
      const rows = await repo.listMirrors(db.kysely, { scope, targetId, status: q.status, active: q.active === undefined ? undefined : q.active === 'true', beforeId, limit: q.limit });
      const p = pageOf(rows, q.limit, (l) => l.id);
      const now = Date.now();
      return { items: p.items.map((m) => presentMirror(m, now)), next_cursor: p.next_cursor };
    },
  );

  r.get(
    '/api/mirror/repositories/:owner/:name',
    { schema: { tags: TAGS, summary: 'The mirrors of one repository (one per target)', params: repoParams, querystring: targetQuery, response: { 200: z.object({ items: z.array(mirrorItem) }), 404: errorResponse } } },
    async (req) => {
      const rows = await mirrorsOf(req.params.owner, req.params.name, authOf(req).scope, req.query.target);
      const now = Date.now();
      return { items: rows.map((m) => presentMirror(m, now)) };
    },
  );

  r.get(
    '/api/mirror/repositories/:owner/:name/logs',
    { schema: { tags: TAGS, summary: 'A repository’s sync log, newest first', params: repoParams, querystring: logsQuery, response: { 200: page(logItem), 400: errorResponse, 404: errorResponse } } },
    async (req) => {
      const rows = await mirrorsOf(req.params.owner, req.params.name, authOf(req).scope, req.query.target);
      const beforeId = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const logs = await repo.listLogs(db.kysely, { mirrorIds: rows.map((m) => m.id), beforeId, limit: req.query.limit, event: req.query.event });
      const p = pageOf(logs, req.query.limit, (l) => l.id);
      return { items: p.items.map(presentLog), next_cursor: p.next_cursor };
    },
  );

  r.post(
    '/api/mirror/repositories/:owner/:name/sync',
    { schema: { tags: TAGS, summary: 'Sync now (202): the mirrors are brought up to date as soon as a worker is free', params: repoParams, querystring: targetQuery, response: { 202: accepted, 404: errorResponse } } },
    async (req, reply) => {
      const rows = (await mirrorsOf(req.params.owner, req.params.name, authOf(req).scope, req.query.target)).filter((m) => toBool(m.is_active));
      if (rows.length === 0) throw new MirrorNotFound(`${req.params.owner}/${req.params.name} (its mirrors are stopped)`);
      const n = await repo.requestSync(db.kysely, { mirrorIds: rows.map((m) => m.id) }, { force: true });
      deps.wake();
      return reply.code(202).send({ mirrors: n });
    },
  );

  r.post(
    '/api/mirror/repositories/:owner/:name/retry',
    { schema: { tags: TAGS, summary: 'Retry (202): clears failed / permanent_failure and the retry count, and syncs', params: repoParams, querystring: targetQuery, response: { 202: accepted, 404: errorResponse } } },
    async (req, reply) => {
      const rows = (await mirrorsOf(req.params.owner, req.params.name, authOf(req).scope, req.query.target)).filter((m) => toBool(m.is_active));
      if (rows.length === 0) throw new MirrorNotFound(`${req.params.owner}/${req.params.name} (its mirrors are stopped)`);
      const n = await repo.resetForRetry(db.kysely, rows.map((m) => m.id));
      deps.wake();
      return reply.code(202).send({ mirrors: n });
    },
  );

  r.get('/api/mirror/status', { schema: { tags: TAGS, summary: 'Mirror counts by target and status, syncs running, cache size', response: { 200: statusResponse } } }, async (req) => {
    const auth = authOf(req);
    const [counts, targets, running] = await Promise.all([
      repo.statusCounts(db.kysely, auth.scope),
      repo.listTargets(db.kysely),
      db.kysely
        .selectFrom('repo_mirrors')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('lease_expires_at', '>', nowIso())
        .executeTakeFirstOrThrow(),
    ]);
    const totals: Record<string, number> = {};
    const perTarget = new Map<string, { counts: Record<string, number>; oldest: string | null }>();
    for (const c of counts) {
      const key = c.is_active ? c.sync_status : 'stopped';
      totals[key] = (totals[key] ?? 0) + c.n;
      const t = perTarget.get(c.target_id) ?? { counts: {}, oldest: null };
      t.counts[key] = (t.counts[key] ?? 0) + c.n;
      if (c.is_active && c.oldest_pending && (!t.oldest || c.oldest_pending < t.oldest)) t.oldest = c.oldest_pending;
      perTarget.set(c.target_id, t);
    }
    return {
      totals,
      targets: targets.map((t) => ({ id: t.id, name: t.name, kind: t.kind, enabled: toBool(t.enabled), counts: perTarget.get(t.id)?.counts ?? {}, oldest_pending_at: perTarget.get(t.id)?.oldest ?? null })),
      running: Number(running.n),
      cache_bytes: auth.viewer.isAdmin ? deps.cacheBytes() : null,
    };
  });
}
