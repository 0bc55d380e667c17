/**
 * The GitHub state API: installations (installations-routes.ts), repositories, their pull requests
 * (with check runs and history) and issues. Each answers within the viewer's scope (read-repo.ts):
 * what is outside it is not listed, and answers 404 exactly as if it did not exist.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import { NotFound } from '../http/app-error.js';
import { authOf, type Scope } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { installationsRoutes } from './installations-routes.js';
import { findRepositoryId, getPullRequest, getRepository, listIssues, listPullRequests, listRepositories } from './read-repo.js';

const segment = z.string().min(1).max(100).regex(/^[\w.-]+$/, 'must be a GitHub owner or repository name');
const repoParams = z.object({ owner: segment, name: segment });
const page = { limit: limitSchema, cursor: cursorSchema };
const nullableString = z.string().nullable();

const repositoryItem = z.object({
  id: z.string(),
  full_name: z.string(),
  owner: z.string(),
  name: z.string(),
  github_id: z.number(),
  default_branch: nullableString,
  language: nullableString,
  description: nullableString,
  html_url: nullableString,
  is_private: z.boolean(),
  is_archived: z.boolean(),
  is_deleted: z.boolean(),
  installation_id: z.number().nullable(),
  last_event_at: nullableString,
  event_count: z.number(),
  last_commit_sha: nullableString,
  status: z.string(),
  open_pull_requests: z.number(),
  failing_checks: z.number(),
});

const pullItem = z.object({
  id: z.string(),
  number: z.number(),
  title: z.string(),
  state: z.string(),
  is_draft: z.boolean(),
  author: nullableString,
  head_sha: nullableString,
  head_ref: nullableString,
  base_ref: nullableString,
  html_url: nullableString,
  merged_at: nullableString,
  closed_at: nullableString,
  github_created_at: nullableString,
  github_updated_at: nullableString,
  last_checked_at: nullableString,
});

const pullDetail = pullItem.extend({
  check_runs: z.array(
    z.object({
      id: z.string(),
      github_id: z.number(),
      name: z.string(),
      head_sha: z.string(),
      status: z.string(),
      conclusion: nullableString,
      started_at: nullableString,
      completed_at: nullableString,
      duration_seconds: z.number().nullable(),
      details_url: nullableString,
      html_url: nullableString,
      app_slug: nullableString,
      output_title: nullableString,
      output_summary: nullableString,
    }),
  ),
  state_history: z.array(
    z.object({ from_state: nullableString, to_state: z.string(), trigger: z.string(), delivery_id: nullableString, actor: nullableString, occurred_at: z.string() }),
  ),
});

const issueItem = z.object({
  id: z.string(),
  number: z.number(),
  title: z.string(),
  state: z.string(),
  author: nullableString,
  labels: z.array(z.string()),
  assignees: z.array(z.string()),
  comments: z.number(),
  html_url: nullableString,
  closed_at: nullableString,
  github_created_at: nullableString,
  github_updated_at: nullableString,
  is_deleted: z.boolean(),
});

const pageOfSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });
const positiveNumber = (c: number) => Number.isSafeInteger(c) && c > 0;

export async function stateRoutes(app: FastifyInstance, deps: { db: Database }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  await installationsRoutes(app, { db });

  // Out of scope and missing answer alike: the same 404, so a scope does not reveal what exists beyond it.
  const repositoryOr404 = async (owner: string, name: string, scope: Scope) => {
    const repo = await getRepository(db, `${owner}/${name}`, scope);
    if (!repo) throw new NotFound(`Repository ${owner}/${name}`);
    return repo;
  };
  /** Nested routes need only the id, not the repository's counts. */
  const repositoryIdOr404 = async (owner: string, name: string, scope: Scope) => {
    const id = await findRepositoryId(db, `${owner}/${name}`, scope);
    if (!id) throw new NotFound(`Repository ${owner}/${name}`);
    return id;
  };

  r.get(
    '/api/repositories',
    { schema: { tags: ['state'], summary: 'Repositories, newest first', querystring: z.object(page), response: { 200: pageOfSchema(repositoryItem), 400: errorResponse } } },
    async (req) => {
      const { scope } = authOf(req);
      const beforeId = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      return pageOf(await listRepositories(db, { scope, beforeId, limit: req.query.limit }), req.query.limit, (l) => l.id);
    },
  );

  r.get(
    '/api/repositories/:owner/:name',
    { schema: { tags: ['state'], summary: 'One repository', params: repoParams, response: { 200: repositoryItem, 404: errorResponse } } },
    async (req) => repositoryOr404(req.params.owner, req.params.name, authOf(req).scope),
  );

  r.get(
    '/api/repositories/:owner/:name/pulls',
    {
      schema: {
        tags: ['state'],
        summary: 'Pull requests of a repository, highest number first',
        params: repoParams,
        querystring: z.object({ state: z.enum(['open', 'closed', 'merged', 'all']).default('open'), ...page }),
        response: { 200: pageOfSchema(pullItem), 400: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const repositoryId = await repositoryIdOr404(req.params.owner, req.params.name, authOf(req).scope);
      const beforeNumber = req.query.cursor ? decodeCursor(req.query.cursor, 'number', positiveNumber) : undefined;
      const state = req.query.state === 'all' ? undefined : req.query.state;
      return pageOf(await listPullRequests(db, { repositoryId, state, beforeNumber, limit: req.query.limit }), req.query.limit, (l) => l.number);
    },
  );

  r.get(
    '/api/repositories/:owner/:name/pulls/:number',
    {
      schema: {
        tags: ['state'],
        summary: 'One pull request with its check runs and state history',
        params: repoParams.extend({ number: z.coerce.number().int().positive().max(2_147_483_647) }),
        response: { 200: pullDetail, 404: errorResponse },
      },
    },
    async (req) => {
      const repositoryId = await repositoryIdOr404(req.params.owner, req.params.name, authOf(req).scope);
      const pr = await getPullRequest(db, repositoryId, req.params.number);
      if (!pr) throw new NotFound(`Pull request ${req.params.owner}/${req.params.name}#${req.params.number}`);
      return pr;
    },
  );

  r.get(
    '/api/repositories/:owner/:name/issues',
    {
      schema: {
        tags: ['state'],
        summary: 'Issues of a repository, highest number first',
        params: repoParams,
        querystring: z.object({ state: z.enum(['open', 'closed', 'all']).default('open'), ...page }),
        response: { 200: pageOfSchema(issueItem), 400: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const repositoryId = await repositoryIdOr404(req.params.owner, req.params.name, authOf(req).scope);
      const beforeNumber = req.query.cursor ? decodeCursor(req.query.cursor, 'number', positiveNumber) : undefined;
      const state = req.query.state === 'all' ? undefined : req.query.state;
      return pageOf(await listIssues(db, { repositoryId, state, beforeNumber, limit: req.query.limit }), req.query.limit, (l) => l.number);
    },
  );
}
