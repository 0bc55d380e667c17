/**
 * The CI-triage API, scoped like every other route: failing checks across repositories, a check
 * run's diagnosis with its failure lines and log, fix attempts, flaky checks, a manual refresh of
 * a pull request, and the per-repository triage settings.
 */
import { gunzipSync } from 'node:zlib';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../db/index.js';
import { isUuid, parseJson, toBool } from '../../db/index.js';
import { adminOf, authOf, type Scope } from '../../http/auth-context.js';
import { AppError } from '../../http/app-error.js';
import { errorResponse } from '../../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../../http/paging.js';
import { findRepositoryId } from '../../state/index.js';
import { listFlakyChecks } from './flaky-checks.js';
import { correctDiagnosis, CorrectionError, latestCorrection, MAX_CORRECTED_LINES } from './learning.js';
import { triageConfigOf, triageConfigPatch, triageConfigSchema } from './triage-config.js';
import './tables.js';

const fullName = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name');
const isoDate = z.iso.datetime({ offset: true });

const analysisSchema = z.object({
  category: z.string(),
  confidence: z.number(),
  reason: z.string(),
  root_cause: z.string(),
  recommended_action: z.string(),
  failure_lines: z.array(z.tuple([z.number(), z.number()])),
  excerpt: z.array(z.object({ line: z.number(), text: z.string() })),
  evidence: z.record(z.string(), z.unknown()),
  log_available: z.boolean(),
  log_bytes: z.number().nullable(),
  log_truncated: z.boolean(),
  analyzer: z.string(),
  analyzed_at: z.string(),
  history_lines: z.array(z.number()).describe('reported lines ranked up because they matched this repository’s history of failures'),
});

const rangesSchema = z.array(z.tuple([z.number().int().min(1), z.number().int().min(1)])).min(1).max(50);

const correctionSchema = z.object({
  id: z.string(),
  verdict: z.enum(['lines', 'not_this']),
  lines: z.array(z.tuple([z.number(), z.number()])),
  previous_lines: z.array(z.tuple([z.number(), z.number()])),
  author: z.string(),
  learned_lines: z.number().describe('lines the repository’s history learned from it (0 when no log was kept)'),
  created_at: z.string(),
});

const checkItem = z.object({
  github_id: z.number(),
  name: z.string(),
  repository: z.string(),
  pull_request: z.number().nullable(),
  head_sha: z.string(),
  status: z.string(),
  conclusion: z.string().nullable(),
  app_slug: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  html_url: z.string().nullable(),
  category: z.string().nullable(),
  recommended_action: z.string().nullable(),
});

const attemptItem = z.object({
  id: z.string(),
  repository: z.string(),
  check_name: z.string(),
  head_sha: z.string(),
  fix_strategy: z.string(),
  category: z.string(),
  status: z.string(),
  trigger_check_run_id: z.number(),
  outcome_check_run_id: z.number().nullable(),
  error_message: z.string().nullable(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
});

/** Restricts a query over `repositories as r` to the scope. */
function scoped<Q extends { where: (...args: never[]) => Q }>(q: Q, scope: Scope): Q | null {
  if (scope.all) return q;
  if (scope.installationIds.length === 0) return null;
  return (q.where as unknown as (col: string, op: string, v: number[]) => Q)('r.installation_id', 'in', scope.installationIds);
}

interface CheckRow {
  github_id: number;
  name: string;
  full_name: string;
  number: number | null;
  head_sha: string;
  status: string;
  conclusion: string | null;
  app_slug: string | null;
  started_at: string | null;
  completed_at: string | null;
  html_url: string | null;
}

/** A check run as the API shows it (list and detail). */
function presentCheck(c: CheckRow, analysis: { category: string | null; recommended_action: string | null }) {
  return {
    github_id: Number(c.github_id),
    name: c.name,
    repository: c.full_name,
    pull_request: c.number === null ? null : Number(c.number),
    head_sha: c.head_sha,
    status: c.status,
    conclusion: c.conclusion,
    app_slug: c.app_slug,
    started_at: c.started_at,
    completed_at: c.completed_at,
    html_url: c.html_url,
    category: analysis.category,
    recommended_action: analysis.recommended_action,
  };
}

interface AttemptRow {
  id: string;
  check_name: string;
  head_sha: string;
  fix_strategy: string;
  category: string;
  status: string;
  trigger_check_run_github_id: number;
  outcome_check_run_github_id: number | null;
  error_message: string | null;
  created_at: string;
  completed_at: string | null;
}

/** A fix attempt as the API shows it. */
function presentAttempt(f: AttemptRow, repository: string) {
  return {
    id: f.id,
    repository,
    check_name: f.check_name,
    head_sha: f.head_sha,
    fix_strategy: f.fix_strategy,
    category: f.category,
    status: f.status,
    trigger_check_run_id: Number(f.trigger_check_run_github_id),
    outcome_check_run_id: f.outcome_check_run_github_id === null ? null : Number(f.outcome_check_run_github_id),
    error_message: f.error_message,
    created_at: f.created_at,
    completed_at: f.completed_at,
  };
}

const notFound = () => new AppError('CHECK_RUN_NOT_FOUND', 404, 'Check run not found');

export interface TriageRoutesDeps {
  db: Database;
  /** Refreshes one pull request now (the `manual_check` trigger). */
  refreshPullRequest(repositoryId: string, number: number): Promise<{ pullRequests: number; checkRuns: number; queuedAnalyses: number }>;
}

export async function triageRoutes(app: FastifyInstance, deps: TriageRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const repoIdOr404 = async (owner: string, name: string, scope: Scope) => {
    const id = await findRepositoryId(db, `${owner}/${name}`, scope);
    if (!id) throw new AppError('REPOSITORY_NOT_FOUND', 404, `No repository ${owner}/${name}`);
    return id;
  };

  r.get(
    '/api/checks',
    {
      schema: {
        tags: ['checks'],
        summary: 'Check runs across repositories, newest first (default: failed ones), with their diagnosis',
        querystring: z.object({
          conclusion: z.enum(['failure', 'timed_out', 'action_required', 'cancelled', 'success', 'neutral', 'skipped', 'stale', 'failed']).default('failed').describe('"failed" = failure, timed_out or action_required'),
          repository: fullName.optional(),
          since: isoDate.optional().describe('completed at or after'),
          limit: limitSchema,
          cursor: cursorSchema,
        }),
        response: { 200: z.object({ items: z.array(checkItem), next_cursor: z.string().nullable() }), 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const q = req.query;
      let query = db.kysely
        .selectFrom('check_runs as c')
        .innerJoin('repositories as r', 'r.id', 'c.repository_id')
        .leftJoin('pull_requests as p', 'p.id', 'c.pull_request_id')
        .leftJoin('analysis_results as a', 'a.check_run_github_id', 'c.github_id')
        .select(['c.id', 'c.github_id', 'c.name', 'r.full_name', 'p.number', 'c.head_sha', 'c.status', 'c.conclusion', 'c.app_slug', 'c.started_at', 'c.completed_at', 'c.html_url', 'a.category', 'a.recommended_action'])
        .orderBy('c.id', 'desc')
        .limit(q.limit + 1);
      const s = scoped(query, scope);
      if (!s) return { items: [], next_cursor: null };
      query = s;
      query = q.conclusion === 'failed' ? query.where('c.conclusion', 'in', ['failure', 'timed_out', 'action_required']) : query.where('c.conclusion', '=', q.conclusion);
      if (q.repository) {
        const id = await findRepositoryId(db, q.repository, scope);
        if (!id) return { items: [], next_cursor: null };
        query = query.where('c.repository_id', '=', id);
      }
      if (q.since) query = query.where('c.completed_at', '>=', new Date(q.since).toISOString());
      if (q.cursor) query = query.where('c.id', '<', decodeCursor(q.cursor, 'string', isUuid));
      const page = pageOf(await query.execute(), q.limit, (row) => row.id);
      return {
        items: page.items.map((c) => presentCheck(c, c)),
        next_cursor: page.next_cursor,
      };
    },
  );

  r.get(
    '/api/checks/flaky',
    {
      schema: {
        tags: ['checks'],
        summary: 'Flaky checks: failed and then passed on the same commit, per check name, over the last days',
        querystring: z.object({ repository: fullName.optional(), days: z.coerce.number().int().min(1).max(90).default(30) }),
        response: {
          200: z.object({
            items: z.array(z.object({ repository: z.string(), check_name: z.string(), flaky_commits: z.number(), runs: z.number(), failures: z.number(), flake_rate: z.number(), last_flake_at: z.string().nullable() })),
          }),
        },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      let repositoryId: string | undefined;
      if (req.query.repository) {
        const id = await findRepositoryId(db, req.query.repository, scope);
        if (!id) return { items: [] };
        repositoryId = id;
      }
      return { items: await listFlakyChecks(db, { scope, repositoryId, since: new Date(Date.now() - req.query.days * 86_400_000) }) };
    },
  );

  r.get(
    '/api/checks/fix-attempts',
    {
      schema: {
        tags: ['checks'],
        summary: 'Automatic fixes Switchyard tried (re-runs), newest first',
        querystring: z.object({ repository: fullName.optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(attemptItem), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      let query = db.kysely
        .selectFrom('fix_attempts as f')
        .innerJoin('repositories as r', 'r.id', 'f.repository_id')
        .select(['f.id', 'r.full_name', 'f.check_name', 'f.head_sha', 'f.fix_strategy', 'f.category', 'f.status', 'f.trigger_check_run_github_id', 'f.outcome_check_run_github_id', 'f.error_message', 'f.created_at', 'f.completed_at'])
        .orderBy('f.id', 'desc')
        .limit(req.query.limit + 1);
      const s = scoped(query, scope);
      if (!s) return { items: [], next_cursor: null };
      query = s;
      if (req.query.repository) {
        const id = await findRepositoryId(db, req.query.repository, scope);
        if (!id) return { items: [], next_cursor: null };
        query = query.where('f.repository_id', '=', id);
      }
      if (req.query.cursor) query = query.where('f.id', '<', decodeCursor(req.query.cursor, 'string', isUuid));
      const page = pageOf(await query.execute(), req.query.limit, (row) => row.id);
      return {
        items: page.items.map((f) => presentAttempt(f, f.full_name)),
        next_cursor: page.next_cursor,
      };
    },
  );

  const loadCheck = async (githubId: number, scope: Scope) => {
    let q = db.kysely
      .selectFrom('check_runs as c')
      .innerJoin('repositories as r', 'r.id', 'c.repository_id')
      .leftJoin('pull_requests as p', 'p.id', 'c.pull_request_id')
      .select(['c.github_id', 'c.name', 'c.repository_id', 'r.full_name', 'p.number', 'c.head_sha', 'c.status', 'c.conclusion', 'c.app_slug', 'c.started_at', 'c.completed_at', 'c.html_url', 'c.details_url', 'c.output_title', 'c.output_summary'])
      .where('c.github_id', '=', githubId);
    const s = scoped(q, scope);
    if (!s) throw notFound();
    q = s;
    const row = await q.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  };

  r.get(
    '/api/checks/:check_run_id',
    {
      schema: {
        tags: ['checks'],
        summary: 'A check run (by GitHub id) with its diagnosis, failure lines, the other runs of the same check on the commit, and fix attempts',
        params: z.object({ check_run_id: z.coerce.number().int().positive() }),
        response: {
          200: checkItem.extend({
            details_url: z.string().nullable(),
            output_title: z.string().nullable(),
            output_summary: z.string().nullable(),
            analysis: analysisSchema.nullable(),
            correction: correctionSchema.nullable().describe('the latest maintainer correction of the diagnosis'),
            runs_on_commit: z.array(z.object({ github_id: z.number(), status: z.string(), conclusion: z.string().nullable(), completed_at: z.string().nullable() })),
            fix_attempts: z.array(attemptItem),
          }),
          404: errorResponse,
        },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const c = await loadCheck(req.params.check_run_id, scope);
      const a = await db.kysely.selectFrom('analysis_results').selectAll().where('check_run_github_id', '=', Number(c.github_id)).executeTakeFirst();
      const runs = await db.kysely
        .selectFrom('check_runs')
        .select(['github_id', 'status', 'conclusion', 'completed_at'])
        .where('repository_id', '=', c.repository_id)
        .where('name', '=', c.name)
        .where('head_sha', '=', c.head_sha)
        .orderBy('id')
        .execute();
      const attempts = await db.kysely
        .selectFrom('fix_attempts')
        .selectAll()
        .where('repository_id', '=', c.repository_id)
        .where('head_sha', '=', c.head_sha)
        .where('check_name', '=', c.name)
        .orderBy('id', 'desc')
        .execute();
      return {
        ...presentCheck(c, { category: a?.category ?? null, recommended_action: a?.recommended_action ?? null }),
        details_url: c.details_url,
        output_title: c.output_title,
        output_summary: c.output_summary,
        analysis: a
          ? {
              category: a.category,
              confidence: Number(a.confidence),
              reason: a.reason,
              root_cause: a.root_cause,
              recommended_action: a.recommended_action,
              failure_lines: parseJson(a.failure_lines, [] as Array<[number, number]>),
              excerpt: parseJson(a.excerpt, [] as Array<{ line: number; text: string }>),
              evidence: parseJson(a.evidence, {} as Record<string, unknown>),
              log_available: !!a.log_path && fs.existsSync(a.log_path),
              log_bytes: a.log_bytes === null ? null : Number(a.log_bytes),
              log_truncated: toBool(a.log_truncated),
              analyzer: a.analyzer,
              analyzed_at: a.updated_at,
              history_lines: parseJson(a.history_lines, [] as number[]),
            }
          : null,
        correction: await latestCorrection(db.kysely, Number(c.github_id)),
        runs_on_commit: runs.map((x) => ({ github_id: Number(x.github_id), status: x.status, conclusion: x.conclusion, completed_at: x.completed_at })),
        fix_attempts: attempts.map((f) => presentAttempt(f, c.full_name)),
      };
    },
  );

  r.post(
    '/api/checks/:check_run_id/corrections',
    {
      schema: {
        tags: ['checks'],
        summary: 'Correct a diagnosis (administrators): the lines that really are the failure, or "not this"; remembered for the repository’s next diagnoses',
        params: z.object({ check_run_id: z.coerce.number().int().positive() }),
        body: z.union([
          z.object({ lines: rangesSchema.describe(`1-based inclusive [start, end] ranges, at most ${MAX_CORRECTED_LINES} lines in all`) }).strict(),
          z.object({ not_this: z.literal(true) }).strict(),
        ]),
        response: { 201: correctionSchema, 400: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    async (req, reply) => {
      const { scope, viewer } = adminOf(req);
      const c = await loadCheck(req.params.check_run_id, scope);
      try {
        const stored = await correctDiagnosis(db, Number(c.github_id), 'lines' in req.body ? req.body.lines : null, viewer.kind === 'user' ? viewer.username : 'operator');
        return reply.code(201).send(stored);
      } catch (err) {
        if (err instanceof CorrectionError) throw new AppError(err.code, err.code === 'BAD_LINES' ? 400 : 409, err.message);
        throw err;
      }
    },
  );

  r.get(
    '/api/checks/:check_run_id/log',
    {
      schema: {
        tags: ['checks'],
        summary: 'The job log Switchyard kept for a diagnosed check run (plain text; Range not supported)',
        params: z.object({ check_run_id: z.coerce.number().int().positive() }),
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      const { scope } = authOf(req);
      const c = await loadCheck(req.params.check_run_id, scope);
      const a = await db.kysely.selectFrom('analysis_results').select(['log_path']).where('check_run_github_id', '=', Number(c.github_id)).executeTakeFirst();
      if (!a?.log_path || !fs.existsSync(a.log_path)) throw new AppError('LOG_NOT_FOUND', 404, 'No log was kept for this check run');
      return reply.type('text/plain; charset=utf-8').send(gunzipSync(fs.readFileSync(a.log_path)));
    },
  );

  r.post(
    '/api/repositories/:owner/:name/pulls/:number/refresh',
    {
      schema: {
        tags: ['checks'],
        summary: 'Check a pull request now: reads it and its head commit’s check runs from GitHub (the manual_check trigger)',
        params: z.object({ owner: z.string().min(1).max(100), name: z.string().min(1).max(100), number: z.coerce.number().int().positive().max(2_147_483_647) }),
        response: { 200: z.object({ pull_requests: z.number(), check_runs: z.number(), queued_analyses: z.number() }), 404: errorResponse, 502: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const id = await repoIdOr404(req.params.owner, req.params.name, scope);
      try {
        const res = await deps.refreshPullRequest(id, req.params.number);
        return { pull_requests: res.pullRequests, check_runs: res.checkRuns, queued_analyses: res.queuedAnalyses };
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404) throw new AppError('PULL_REQUEST_NOT_FOUND', 404, `GitHub has no pull request #${req.params.number} in ${req.params.owner}/${req.params.name}`);
        throw new AppError('GITHUB_UNAVAILABLE', 502, `GitHub could not be read${status ? ` (HTTP ${status})` : ''}`, { cause: err });
      }
    },
  );

  const repoParams = z.object({ owner: z.string().min(1).max(100), name: z.string().min(1).max(100) });
  r.get(
    '/api/repositories/:owner/:name/triage-config',
    { schema: { tags: ['checks'], summary: 'A repository’s triage settings (defaults merged with its overrides)', params: repoParams, response: { 200: triageConfigSchema, 404: errorResponse } } },
    async (req) => {
      const { scope } = authOf(req);
      const id = await repoIdOr404(req.params.owner, req.params.name, scope);
      const row = await db.kysely.selectFrom('repositories').select('config_override').where('id', '=', id).executeTakeFirstOrThrow();
      return triageConfigOf(row.config_override);
    },
  );
  r.patch(
    '/api/repositories/:owner/:name/triage-config',
    {
      schema: {
        tags: ['checks'],
        summary: 'Change a repository’s triage settings (administrators); fields left out keep their value',
        params: repoParams,
        body: triageConfigPatch,
        response: { 200: triageConfigSchema, 403: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const { scope } = adminOf(req);
      const id = await repoIdOr404(req.params.owner, req.params.name, scope);
      const row = await db.kysely.selectFrom('repositories').select('config_override').where('id', '=', id).executeTakeFirstOrThrow();
      const current = parseJson(row.config_override, {} as Record<string, unknown>);
      const triage = { ...((current.triage as Record<string, unknown> | undefined) ?? {}), ...req.body };
      const next = JSON.stringify({ ...current, triage });
      await db.kysely.updateTable('repositories').set({ config_override: next }).where('id', '=', id).execute();
      return triageConfigOf(next);
    },
  );
}
