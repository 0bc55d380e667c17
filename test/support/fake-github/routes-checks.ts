/**
 * Checks API (installation token): check runs of a commit, one check run, its annotations, and
 * creating/updating the app's own check runs.
 */
import { githubError, HttpError, json, paginate } from './http-kit.js';
import { checkAnnotations, checkRun } from './ci-representations.js';
import { latestPerName, type AnnotationLevel, type AnnotationRecord, type CheckConclusion, type CheckRunRecord, type CheckStatus } from './ci-state.js';
import { idParam, notFound, repoAccess, type RepoAccess } from './repo-access.js';
import type { RouteContext, Router } from './router.js';

const STATUSES: readonly CheckStatus[] = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
const CONCLUSIONS: readonly CheckConclusion[] = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'timed_out'];
const LEVELS: readonly AnnotationLevel[] = ['notice', 'warning', 'failure'];
const MAX_OUTPUT = 65535;
const MAX_ANNOTATIONS = 50;

/** Statuses only GitHub Actions may set (GitHub's docs for create/update check run). */
const ACTIONS_ONLY: ReadonlySet<string> = new Set(['waiting', 'requested', 'pending']);

function appStatus(ctx: RouteContext, body: Record<string, unknown>): CheckStatus | undefined {
  const status = member(ctx, body, 'status', STATUSES);
  if (status && ACTIONS_ONLY.has(status)) throw invalid(ctx, 'Only GitHub Actions can set a status of waiting, pending, or requested.');
  return status;
}

function invalid(ctx: RouteContext, detail: string): HttpError {
  return new HttpError(githubError(422, `Invalid request.\n\n${detail}`, ctx.docsUrl));
}

function checkRunIn(ctx: RouteContext, access: RepoAccess): CheckRunRecord {
  const found = ctx.services.state.ci.checkRuns.get(idParam(ctx, 'check_run_id'));
  if (!found || found.repoId !== access.repo.id) throw notFound(ctx);
  return found;
}

function optionalString(ctx: RouteContext, body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(ctx, `For 'properties/${key}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

function optionalDate(ctx: RouteContext, body: Record<string, unknown>, key: string): number | undefined {
  const value = optionalString(ctx, body, key);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw invalid(ctx, `For 'properties/${key}', ${JSON.stringify(value)} is not a date-time.`);
  return ms;
}

function member<T extends string>(ctx: RouteContext, body: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalid(ctx, `For 'properties/${key}', ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}.`);
  }
  return value as T;
}

interface ParsedOutput {
  title?: string;
  summary?: string;
  text?: string | null;
  annotations: AnnotationRecord[];
}

function parseOutput(ctx: RouteContext, body: Record<string, unknown>): ParsedOutput | undefined {
  const output = body.output;
  if (output === undefined || output === null) return undefined;
  if (typeof output !== 'object' || Array.isArray(output)) throw invalid(ctx, `For 'properties/output', ${JSON.stringify(output)} is not an object.`);
  const o = output as Record<string, unknown>;
  const missing = ['title', 'summary'].filter((k) => typeof o[k] !== 'string');
  if (missing.length > 0) throw invalid(ctx, `${missing.map((k) => `"${k}"`).join(', ')} ${missing.length > 1 ? "weren't" : "wasn't"} supplied.`);
  for (const key of ['summary', 'text']) {
    const value = o[key];
    if (typeof value === 'string' && value.length > MAX_OUTPUT) throw invalid(ctx, `For 'properties/${key}', Only ${MAX_OUTPUT} characters are allowed; ${value.length} were supplied.`);
  }
  const rawAnnotations = o.annotations ?? [];
  if (!Array.isArray(rawAnnotations)) throw invalid(ctx, `For 'properties/annotations', ${JSON.stringify(rawAnnotations)} is not an array.`);
  if (rawAnnotations.length > MAX_ANNOTATIONS) throw invalid(ctx, `For 'properties/annotations', only ${MAX_ANNOTATIONS} annotations are allowed per request.`);
  const annotations = rawAnnotations.map((raw: unknown, i: number): AnnotationRecord => {
    const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const absent = ['path', 'start_line', 'end_line', 'annotation_level', 'message'].filter((k) => a[k] === undefined);
    if (absent.length > 0) throw invalid(ctx, `For 'items', ${absent.map((k) => `"${k}"`).join(', ')} ${absent.length > 1 ? "weren't" : "wasn't"} supplied (annotation ${i}).`);
    if (typeof a.path !== 'string' || !Number.isInteger(a.start_line) || !Number.isInteger(a.end_line) || typeof a.message !== 'string') {
      throw invalid(ctx, `For 'items', ${JSON.stringify(raw)} is not a valid annotation.`);
    }
    if (!LEVELS.includes(a.annotation_level as AnnotationLevel)) throw invalid(ctx, `For 'properties/annotation_level', ${JSON.stringify(a.annotation_level)} is not one of ${JSON.stringify(LEVELS)}.`);
    return {
      path: a.path,
      start_line: a.start_line as number,
      end_line: a.end_line as number,
      start_column: Number.isInteger(a.start_column) ? (a.start_column as number) : null,
      end_column: Number.isInteger(a.end_column) ? (a.end_column as number) : null,
      annotation_level: a.annotation_level as AnnotationLevel,
      message: a.message,
      title: typeof a.title === 'string' ? a.title : null,
      raw_details: typeof a.raw_details === 'string' ? a.raw_details : null,
    };
  });
  return { title: o.title as string, summary: o.summary as string, text: typeof o.text === 'string' ? o.text : null, annotations };
}

/** Registers the check-runs routes. */
export function registerCheckRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['checks', 'read']]);
    const ref = ctx.params.ref ?? '';
    const sha = state.ci.resolveRef(access.repo, ref);
    if (!sha) return githubError(422, `No commit found for SHA: ${ref}`, ctx.docsUrl);
    const filter = ctx.query.get('filter') ?? 'latest';
    if (filter !== 'latest' && filter !== 'all') return githubError(422, `Invalid request.\n\nFor 'filter', ${JSON.stringify(filter)} is not one of ["latest","all"].`, ctx.docsUrl);
    const status = ctx.query.get('status');
    const name = ctx.query.get('check_name');
    const appId = ctx.query.get('app_id');
    let runs = [...state.ci.checkRuns.values()].filter((r) => r.repoId === access.repo.id && r.headSha === sha);
    if (filter === 'latest') runs = latestPerName(runs);
    runs = runs
      .filter((r) => status === null || r.status === status)
      .filter((r) => name === null || r.name === name)
      .filter((r) => appId === null || String(state.ci.checkAppId(state.ci.requireSuite(r.suiteId).app)) === appId)
      .sort((a, b) => b.id - a.id);
    const { page, link } = paginate(runs, ctx.query, ctx.publicUrl);
    const ctxCi = { urls, state };
    return json(200, { total_count: runs.length, check_runs: page.map((r) => checkRun(ctxCi, r)) }, link ? { link } : undefined);
  });

  router.add('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['checks', 'read']]);
    return json(200, checkRun({ urls, state }, checkRunIn(ctx, access)));
  });

  router.add('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['checks', 'read']]);
    const all = checkAnnotations({ urls, state }, checkRunIn(ctx, access));
    const { page, link } = paginate(all, ctx.query, ctx.publicUrl);
    return json(200, page, link ? { link } : undefined);
  });

  router.add('POST', '/repos/{owner}/{repo}/check-runs', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['checks', 'write']]);
    const body = ctx.body();
    const missing = ['name', 'head_sha'].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw invalid(ctx, `${missing.map((k) => `"${k}"`).join(', ')} ${missing.length > 1 ? "weren't" : "wasn't"} supplied.`);
    const name = optionalString(ctx, body, 'name') ?? '';
    const headSha = (optionalString(ctx, body, 'head_sha') ?? '').toLowerCase();
    if (name.trim() === '') throw invalid(ctx, `For 'properties/name', "" is too short.`);
    let status = appStatus(ctx, body);
    const conclusion = member(ctx, body, 'conclusion', CONCLUSIONS);
    const startedAt = optionalDate(ctx, body, 'started_at');
    const completedAt = optionalDate(ctx, body, 'completed_at');
    const output = parseOutput(ctx, body);
    if (conclusion !== undefined) status = 'completed';
    if (status === 'completed' && conclusion === undefined) return githubError(422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.', ctx.docsUrl);
    if (!state.ci.knowsCommit(access.repo.id, headSha)) return githubError(422, `No commit found for SHA: ${headSha}`, ctx.docsUrl);
    const record = state.ci.addCheckRun(
      access.repo.id,
      {
        name,
        headSha,
        status: status ?? 'queued',
        conclusion: conclusion ?? null,
        startedAt: startedAt === undefined ? undefined : new Date(startedAt),
        completedAt: completedAt === undefined ? undefined : new Date(completedAt),
        output: output ? { title: output.title, summary: output.summary, text: output.text } : undefined,
        externalId: optionalString(ctx, body, 'external_id') ?? '',
        detailsUrl: optionalString(ctx, body, 'details_url') ?? null,
      },
      { kind: 'fake', appId: access.app.id },
    );
    if (output?.annotations.length) state.ci.addAnnotations(record.id, output.annotations);
    return json(201, checkRun({ urls, state }, record));
  });

  router.add('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (ctx) => {
    const { state, urls } = ctx.services;
    const access = repoAccess(ctx, [['checks', 'write']]);
    const record = checkRunIn(ctx, access);
    const owner = state.ci.requireSuite(record.suiteId).app;
    const ownerId = state.ci.checkAppId(owner);
    if (owner.kind !== 'fake' || ownerId !== access.app.id) {
      return githubError(403, `Invalid app_id \`${ownerId}\` - check run can only be modified by the GitHub App that created it.`, ctx.docsUrl);
    }
    const body = ctx.body();
    const name = optionalString(ctx, body, 'name');
    if (name !== undefined && name.trim() === '') throw invalid(ctx, `For 'properties/name', "" is too short.`);
    const status = appStatus(ctx, body);
    const conclusion = member(ctx, body, 'conclusion', CONCLUSIONS);
    const startedAt = optionalDate(ctx, body, 'started_at');
    const completedAt = optionalDate(ctx, body, 'completed_at');
    const output = parseOutput(ctx, body);
    const finalStatus = conclusion !== undefined ? 'completed' : (status ?? record.status);
    if (finalStatus === 'completed' && conclusion === undefined && record.conclusion === null) {
      return githubError(422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.', ctx.docsUrl);
    }
    state.ci.updateCheckRun(record.id, {
      name,
      status: conclusion !== undefined ? 'completed' : status,
      conclusion,
      startedAt: startedAt === undefined ? undefined : new Date(startedAt),
      completedAt: completedAt === undefined ? undefined : new Date(completedAt),
      output: output ? { title: output.title, summary: output.summary, ...(output.text !== null ? { text: output.text } : {}) } : undefined,
      detailsUrl: optionalString(ctx, body, 'details_url'),
    });
    const externalId = optionalString(ctx, body, 'external_id');
    if (externalId !== undefined) record.externalId = externalId;
    if (output?.annotations.length) state.ci.addAnnotations(record.id, output.annotations);
    return json(200, checkRun({ urls, state }, record));
  });
}
