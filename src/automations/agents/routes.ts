/**
 * The agents API, scoped by installation like every other route: projects and their agents,
 * conversations and their messages (keyset; human replies), tasks (retry, cancel, resume), memory,
 * and starting the agents on an issue by hand. Changes to projects and agents are for
 * administrators.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isUuid, nowIso, parseJson } from '../../db/index.js';
import { adminOf, authOf, type Auth, type Scope } from '../../http/auth-context.js';
import { AppError } from '../../http/app-error.js';
import { errorResponse } from '../../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../../http/paging.js';
import { findRepositoryId } from '../../state/index.js';
import { ConversationNotFound, ProjectNotFound, TaskNotFound } from './errors.js';
import { refreshStatusComment, type PipelineDeps } from './pipeline.js';
import * as repo from './repo.js';
import { commandsSchema, limitsSchema, modelConfigSchema, roleSchema, ROLES } from './schema.js';
import { cancelConversation, cancelTask, resumeTask, retryTask, startConversation, type ServiceDeps } from './service.js';
import { formatUsd } from './status-comment.js';

const fullName = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name');
const idParam = z.object({ id: z.string().refine(isUuid, 'must be an id') });

const agentItem = z.object({
  id: z.string(),
  role: roleSchema,
  name: z.string(),
  model_config: modelConfigSchema,
  system_prompt: z.string().nullable(),
  rules_file_path: z.string().nullable(),
  enabled: z.boolean(),
});

const projectItem = z.object({
  id: z.string(),
  repository: z.string(),
  name: z.string(),
  trigger_label: z.string(),
  assignee_logins: z.array(z.string()),
  commands: commandsSchema,
  limits: limitsSchema,
  enabled: z.boolean(),
  agents: z.array(agentItem),
});

const taskItem = z.object({
  id: z.string(),
  conversation_id: z.string(),
  repository: z.string(),
  issue_number: z.number(),
  issue_title: z.string(),
  pr_number: z.number().nullable(),
  position: z.number(),
  title: z.string(),
  agent_type: roleSchema,
  priority: z.number(),
  definition_of_done: z.array(z.string()),
  status: z.enum(['pending', 'in_progress', 'testing', 'review', 'completed', 'failed']),
  waiting_on: z.enum(['budget', 'human', 'provider']).nullable(),
  wait_until: z.string().nullable(),
  phase: z.string(),
  turns: z.number(),
  test_rounds: z.number(),
  review_rounds: z.number(),
  result: z.string().nullable(),
  tokens: z.number(),
  cost_usd: z.string(),
  cost_nano_usd: z.number(),
  error_message: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  updated_at: z.string(),
});

const conversationItem = z.object({
  id: z.string(),
  project_id: z.string(),
  issue_number: z.number(),
  issue_title: z.string(),
  status: z.string(),
  trigger: z.string().nullable(),
  triggered_by: z.string().nullable(),
  branch: z.string(),
  pr_number: z.number().nullable(),
  total_tokens: z.number(),
  total_cost_usd: z.string(),
  total_cost_nano_usd: z.number(),
  error_message: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const messageItem = z.object({
  id: z.string(),
  task_id: z.string().nullable(),
  thread: z.string().nullable(),
  role: z.string(),
  author: z.string().nullable(),
  content: z.string(),
  tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
  tool_name: z.string().nullable(),
  model: z.string().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  cost_usd: z.string().nullable(),
  created_at: z.string(),
});

const memoryItem = z.object({ id: z.string(), agent_id: z.string().nullable(), category: z.string(), key: z.string(), value: z.string(), importance: z.number(), expires_at: z.string().nullable(), updated_at: z.string() });

type TaskJoined = NonNullable<Awaited<ReturnType<typeof repo.findTaskScoped>>>;

function presentTask(t: TaskJoined): z.infer<typeof taskItem> {
  return {
    id: t.id,
    conversation_id: t.conversation_id,
    repository: t.full_name,
    issue_number: Number(t.issue_number),
    issue_title: t.issue_title,
    pr_number: t.pr_number === null ? null : Number(t.pr_number),
    position: Number(t.position),
    title: t.title,
    agent_type: t.agent_type,
    priority: Number(t.priority),
    definition_of_done: parseJson<string[]>(t.definition_of_done, []),
    status: t.status,
    waiting_on: t.waiting_on,
    wait_until: t.wait_until,
    phase: t.phase,
    turns: Number(t.turns),
    test_rounds: Number(t.test_rounds),
    review_rounds: Number(t.review_rounds),
    result: t.result,
    tokens: Number(t.tokens),
    cost_usd: formatUsd(Number(t.cost_nano)),
    cost_nano_usd: Number(t.cost_nano),
    error_message: t.error_message,
    started_at: t.started_at,
    completed_at: t.completed_at,
    updated_at: t.updated_at,
  };
}

function presentConversation(c: repo.ConversationRow): z.infer<typeof conversationItem> {
  return {
    id: c.id,
    project_id: c.project_id,
    issue_number: Number(c.issue_number),
    issue_title: c.issue_title,
    status: c.status,
    trigger: c.trigger,
    triggered_by: c.triggered_by,
    branch: c.branch,
    pr_number: c.pr_number === null ? null : Number(c.pr_number),
    total_tokens: Number(c.total_tokens),
    total_cost_usd: formatUsd(Number(c.total_cost_nano)),
    total_cost_nano_usd: Number(c.total_cost_nano),
    error_message: c.error_message,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

function presentMessage(m: repo.MessageRow): z.infer<typeof messageItem> {
  return {
    id: m.id,
    task_id: m.task_id,
    thread: m.thread,
    role: m.role,
    author: m.author,
    content: m.content,
    tool_calls: parseJson(m.tool_calls, [] as Array<{ id: string; name: string; arguments: string }>),
    tool_name: m.tool_name,
    model: m.model,
    input_tokens: m.input_tokens === null ? null : Number(m.input_tokens),
    output_tokens: m.output_tokens === null ? null : Number(m.output_tokens),
    cost_usd: m.cost_nano === null ? null : formatUsd(Number(m.cost_nano)),
    created_at: m.created_at,
  };
}

function viewerName(auth: Auth): string {
  return auth.viewer.kind === 'user' ? auth.viewer.username : 'operator';
}

export interface AgentsRoutesDeps extends ServiceDeps {
  pipeline: PipelineDeps;
  /** The issue's title and body from GitHub (starting by hand). */
  fetchIssue(installationId: number, fullName: string, number: number): Promise<{ title: string; body: string | null; isPullRequest: boolean }>;
}

export async function agentsRoutes(app: FastifyInstance, deps: AgentsRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const projectOr404 = async (id: string, scope: Scope) => {
    if (!isUuid(id)) throw new ProjectNotFound(id);
    const p = await repo.findProject(db.kysely, id, scope);
    if (!p) throw new ProjectNotFound(id);
    return p;
  };
  const presentProject = async (p: repo.Project): Promise<z.infer<typeof projectItem>> => ({
    id: p.id,
    repository: p.fullName,
    name: p.name,
    trigger_label: p.triggerLabel,
    assignee_logins: p.assigneeLogins,
    commands: p.commands,
    limits: p.limits,
    enabled: p.enabled,
    agents: (await repo.listAgents(db.kysely, p.id)).map((a) => ({ id: a.id, role: a.role, name: a.name, model_config: a.model, system_prompt: a.systemPrompt, rules_file_path: a.rulesFilePath, enabled: a.enabled })),
  });
  const taskOr404 = async (id: string, scope: Scope) => {
    const t = isUuid(id) ? await repo.findTaskScoped(db.kysely, id, scope) : null;
    if (!t) throw new TaskNotFound(id);
    return t;
  };
  const conversationOr404 = async (id: string, scope: Scope) => {
    const c = isUuid(id) ? await repo.findConversation(db.kysely, id, scope) : null;
    if (!c) throw new ConversationNotFound(id);
    return c;
  };

  // ---- projects and agents ----------------------------------------------------------------------

  r.get(
    '/api/agents/projects',
    { schema: { tags: ['agents'], summary: 'Agents projects, newest first', querystring: z.object({ limit: limitSchema, cursor: cursorSchema }), response: { 200: z.object({ items: z.array(projectItem), next_cursor: z.string().nullable() }), 400: errorResponse } } },
    async (req) => {
      const { scope } = authOf(req);
      const before = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const page = pageOf(await repo.listProjects(db.kysely, scope, { limit: req.query.limit, before }), req.query.limit, (p) => p.id);
      return { items: await Promise.all(page.items.map(presentProject)), next_cursor: page.next_cursor };
    },
  );

  const agentInput = z.object({
    role: roleSchema,
    name: z.string().min(1).max(100).optional(),
    model_config: modelConfigSchema,
    system_prompt: z.string().max(20_000).nullable().optional(),
    rules_file_path: z.string().max(300).regex(/^[^/.][^\0]*$/, 'a path inside the repository').nullable().optional(),
    enabled: z.boolean().default(true),
  });

  r.post(
    '/api/agents/projects',
    {
      schema: {
        tags: ['agents'],
        summary: 'Run agents on a repository (administrators): trigger, declared commands, limits, and the five agents',
        body: z.object({
          repository: fullName,
          name: z.string().min(1).max(100).optional(),
          trigger_label: z.string().min(1).max(50).default('switchyard'),
          assignee_logins: z.array(z.string().min(1).max(39)).max(20).default([]),
          commands: commandsSchema.default({}),
          limits: limitsSchema.default(limitsSchema.parse({})),
          enabled: z.boolean().default(true),
          agents: z.array(agentInput).max(5).default([]),
        }),
        response: { 201: projectItem, 400: errorResponse, 403: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    async (req, reply) => {
      const { scope } = adminOf(req);
      const b = req.body;
      const repositoryId = await findRepositoryId(db, b.repository, scope);
      if (!repositoryId) throw new AppError('REPOSITORY_NOT_FOUND', 404, `No repository ${b.repository}`);
      if (await repo.findProjectByRepository(db.kysely, repositoryId)) throw new AppError('AGENT_PROJECT_EXISTS', 409, `${b.repository} already has an agents project`);
      const id = await db.kysely.transaction().execute(async (tx) => {
        const pid = await repo.insertProject(tx, repositoryId, { name: b.name ?? b.repository, triggerLabel: b.trigger_label, assigneeLogins: b.assignee_logins, commands: b.commands, limits: b.limits, enabled: b.enabled });
        for (const a of b.agents) await repo.upsertAgent(tx, pid, { role: a.role, name: a.name ?? a.role, model: a.model_config, systemPrompt: a.system_prompt ?? null, rulesFilePath: a.rules_file_path ?? null, enabled: a.enabled });
        return pid;
      });
      reply.code(201);
      return presentProject((await repo.findProject(db.kysely, id))!);
    },
  );

  r.get(
    '/api/agents/projects/:id',
    { schema: { tags: ['agents'], summary: 'An agents project with its agents', params: idParam, response: { 200: projectItem, 404: errorResponse } } },
    async (req) => presentProject(await projectOr404(req.params.id, authOf(req).scope)),
  );

  r.patch(
    '/api/agents/projects/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Change a project (administrators); fields left out keep their value',
        params: idParam,
        body: z.object({ name: z.string().min(1).max(100).optional(), trigger_label: z.string().min(1).max(50).optional(), assignee_logins: z.array(z.string().min(1).max(39)).max(20).optional(), commands: commandsSchema.optional(), limits: limitsSchema.optional(), enabled: z.boolean().optional() }),
        response: { 200: projectItem, 403: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const p = await projectOr404(req.params.id, adminOf(req).scope);
      const b = req.body;
      await repo.updateProject(db.kysely, p.id, { name: b.name, triggerLabel: b.trigger_label, assigneeLogins: b.assignee_logins, commands: b.commands, limits: b.limits, enabled: b.enabled });
      return presentProject((await repo.findProject(db.kysely, p.id))!);
    },
  );

  r.put(
    '/api/agents/projects/:id/agents/:role',
    {
      schema: {
        tags: ['agents'],
        summary: 'Create or replace the agent of one role (administrators)',
        params: idParam.extend({ role: roleSchema }),
        body: agentInput.omit({ role: true }),
        response: { 200: projectItem, 400: errorResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const p = await projectOr404(req.params.id, adminOf(req).scope);
      const a = req.body;
      await repo.upsertAgent(db.kysely, p.id, { role: req.params.role, name: a.name ?? req.params.role, model: a.model_config, systemPrompt: a.system_prompt ?? null, rulesFilePath: a.rules_file_path ?? null, enabled: a.enabled });
      // The answer shows the agent as saved (the project read before the change would not).
      return presentProject((await repo.findProject(db.kysely, p.id))!);
    },
  );

  // ---- memory ----------------------------------------------------------------------------------------

  r.get(
    '/api/agents/projects/:id/memory',
    { schema: { tags: ['agents'], summary: 'What the project’s agents remember, most important first', params: idParam, response: { 200: z.object({ items: z.array(memoryItem) }), 404: errorResponse } } },
    async (req) => {
      const p = await projectOr404(req.params.id, authOf(req).scope);
      const rows = await repo.listMemory(db.kysely, p.id);
      return { items: rows.map((m) => ({ id: m.id, agent_id: m.agent_id, category: m.category, key: m.key, value: m.value, importance: Number(m.importance), expires_at: m.expires_at, updated_at: m.updated_at })) };
    },
  );

  r.post(
    '/api/agents/projects/:id/memory',
    {
      schema: {
        tags: ['agents'],
        summary: 'Add or replace a fact (administrators)',
        params: idParam,
        body: z.object({ agent_id: z.string().refine(isUuid).nullable().default(null), category: z.string().min(1).max(50), key: z.string().min(1).max(200), value: z.string().min(1).max(2000), importance: z.number().int().min(1).max(10), expires_at: z.iso.datetime({ offset: true }).nullable().default(null) }),
        response: { 201: z.object({ id: z.string() }), 403: errorResponse, 404: errorResponse },
      },
    },
    async (req, reply) => {
      const p = await projectOr404(req.params.id, adminOf(req).scope);
      const b = req.body;
      const id = await repo.remember(db.kysely, { projectId: p.id, agentId: b.agent_id, category: b.category, key: b.key, value: b.value, importance: b.importance, expiresAt: b.expires_at ? new Date(b.expires_at).toISOString() : null });
      reply.code(201);
      return { id };
    },
  );

  r.delete(
    '/api/agents/projects/:id/memory/:memory_id',
    { schema: { tags: ['agents'], summary: 'Forget a fact (administrators)', params: idParam.extend({ memory_id: z.string().refine(isUuid) }), response: { 204: z.null(), 403: errorResponse, 404: errorResponse } } },
    async (req, reply) => {
      const p = await projectOr404(req.params.id, adminOf(req).scope);
      if (!(await repo.deleteMemory(db.kysely, p.id, req.params.memory_id))) throw new AppError('MEMORY_NOT_FOUND', 404, 'No such fact');
      return reply.code(204).send(null);
    },
  );

  // ---- starting by hand -------------------------------------------------------------------------------

  r.post(
    '/api/agents/run',
    {
      schema: {
        tags: ['agents'],
        summary: 'Start the agents on an issue now (as the trigger would); answers the conversation',
        body: z.object({ repository: fullName, issue: z.number().int().positive() }),
        response: { 200: conversationItem, 201: conversationItem, 400: errorResponse, 404: errorResponse, 502: errorResponse },
      },
    },
    async (req, reply) => {
      const auth = authOf(req);
      const repositoryId = await findRepositoryId(db, req.body.repository, auth.scope);
      if (!repositoryId) throw new AppError('REPOSITORY_NOT_FOUND', 404, `No repository ${req.body.repository}`);
      const project = await repo.findProjectByRepository(db.kysely, repositoryId);
      if (!project) throw new ProjectNotFound(`for ${req.body.repository}`);
      if (project.installationId === null) throw new AppError('NO_INSTALLATION', 400, `${req.body.repository} has no installation`);
      let issue;
      try {
        issue = await deps.fetchIssue(project.installationId, project.fullName, req.body.issue);
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404) throw new AppError('ISSUE_NOT_FOUND', 404, `GitHub has no issue #${req.body.issue} in ${req.body.repository}`);
        throw new AppError('GITHUB_UNAVAILABLE', 502, `GitHub could not be read${status ? ` (HTTP ${status})` : ''}`, { cause: err });
      }
      if (issue.isPullRequest) throw new AppError('NOT_AN_ISSUE', 400, `#${req.body.issue} is a pull request`);
      const started = await startConversation(deps, { project, issueNumber: req.body.issue, title: issue.title, body: issue.body, triggeredBy: viewerName(auth), trigger: 'api' });
      reply.code(started.created ? 201 : 200);
      return presentConversation(await repo.getConversation(db.kysely, started.conversationId));
    },
  );

  // ---- conversations and messages -----------------------------------------------------------------------

  r.get(
    '/api/agents/conversations',
    {
      schema: {
        tags: ['agents'],
        summary: 'Conversations (one per issue), newest first',
        querystring: z.object({ project: z.string().refine(isUuid).optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(conversationItem), next_cursor: z.string().nullable() }), 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const before = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const page = pageOf(await repo.listConversations(db.kysely, scope, { limit: req.query.limit, before, projectId: req.query.project }), req.query.limit, (c) => c.id);
      return { items: page.items.map(presentConversation), next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/agents/conversations/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'A conversation with its repository, participants and tasks',
        params: idParam,
        response: {
          200: conversationItem.extend({ repository: z.string(), participants: z.array(z.object({ agent_id: z.string(), role: roleSchema, name: z.string(), joined_at: z.string() })), tasks: z.array(taskItem) }),
          404: errorResponse,
        },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const c = await conversationOr404(req.params.id, scope);
      const tasks = await repo.listTasks(db.kysely, scope, { limit: 50, conversationId: c.id });
      const project = await repo.findProject(db.kysely, c.project_id);
      return {
        ...presentConversation(c),
        repository: project?.fullName ?? '',
        participants: (await repo.participants(db.kysely, c.id)).map((p) => ({ ...p, role: p.role })),
        tasks: tasks.sort((a, b) => a.position - b.position).map(presentTask),
      };
    },
  );

  r.get(
    '/api/agents/conversations/:id/messages',
    {
      schema: {
        tags: ['agents'],
        summary: 'A conversation’s messages: newest first by cursor, or with `after` the ones after a message, oldest first (live view)',
        params: idParam,
        querystring: z.object({ after: z.string().refine(isUuid).optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(messageItem), next_cursor: z.string().nullable() }), 400: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const c = await conversationOr404(req.params.id, authOf(req).scope);
      const before = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const rows = await repo.listMessages(db.kysely, c.id, { limit: req.query.limit, before, after: req.query.after });
      const page = pageOf(rows, req.query.limit, (m) => m.id);
      return { items: page.items.map(presentMessage), next_cursor: req.query.after ? null : page.next_cursor };
    },
  );

  r.post(
    '/api/agents/conversations/:id/messages',
    {
      schema: {
        tags: ['agents'],
        summary: 'Reply in a conversation as a person: the agents read it (as data) on their next turn; a task waiting on a human resumes',
        params: idParam,
        body: z.object({ content: z.string().trim().min(1).max(20_000) }),
        response: { 201: messageItem, 400: errorResponse, 404: errorResponse },
      },
    },
    async (req, reply) => {
      const auth = authOf(req);
      const c = await conversationOr404(req.params.id, auth.scope);
      const id = await repo.insertMessage(db.kysely, { conversation_id: c.id, task_id: null, agent_id: null, thread: null, role: 'human', author: viewerName(auth), content: req.body.content, tool_calls: null, tool_call_id: null, tool_name: null, model: null, input_tokens: null, output_tokens: null, cost_nano: null, token_usage_id: null });
      for (const t of await repo.tasksOf(db.kysely, c.id)) if (t.waiting_on === 'human') await resumeTask(deps, t);
      const row = (await repo.listMessages(db.kysely, c.id, { limit: 1 })).find((m) => m.id === id) ?? { id, conversation_id: c.id, task_id: null, agent_id: null, thread: null, role: 'human' as const, author: viewerName(auth), content: req.body.content, tool_calls: null, tool_call_id: null, tool_name: null, model: null, input_tokens: null, output_tokens: null, cost_nano: null, token_usage_id: null, created_at: nowIso() };
      reply.code(201);
      return presentMessage(row);
    },
  );

  r.post(
    '/api/agents/conversations/:id/cancel',
    { schema: { tags: ['agents'], summary: 'Stop the agents on this issue (as `/switchyard stop` does)', params: idParam, response: { 200: conversationItem, 404: errorResponse, 409: errorResponse } } },
    async (req) => {
      const auth = authOf(req);
      const c = await conversationOr404(req.params.id, auth.scope);
      if (c.status === 'cancelled' || c.status === 'completed') throw new AppError('AGENT_CONVERSATION_STATE', 409, `The conversation is already ${c.status}`);
      await cancelConversation(deps, c.id, viewerName(auth));
      await refreshStatusComment(deps.pipeline, c.id).catch(() => undefined);
      return presentConversation(await repo.getConversation(db.kysely, c.id));
    },
  );

  // ---- tasks -------------------------------------------------------------------------------------------

  r.get(
    '/api/agents/tasks',
    {
      schema: {
        tags: ['agents'],
        summary: 'Tasks across conversations, newest first (the task board)',
        querystring: z.object({ status: taskItem.shape.status.optional(), project: z.string().refine(isUuid).optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(taskItem), next_cursor: z.string().nullable() }), 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const before = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const rows = await repo.listTasks(db.kysely, scope, { limit: req.query.limit, before, status: req.query.status, projectId: req.query.project });
      const page = pageOf(rows, req.query.limit, (t) => t.id);
      return { items: page.items.map(presentTask), next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/agents/tasks/:id',
    { schema: { tags: ['agents'], summary: 'One task', params: idParam, response: { 200: taskItem, 404: errorResponse } } },
    async (req) => presentTask(await taskOr404(req.params.id, authOf(req).scope)),
  );

  for (const action of ['retry', 'cancel', 'resume'] as const) {
    r.post(
      `/api/agents/tasks/:id/${action}`,
      {
        schema: {
          tags: ['agents'],
          summary: action === 'retry' ? 'Run a failed task again' : action === 'cancel' ? 'Cancel a task (the conversation goes on with the next one)' : 'Resume a waiting task now (e.g. after raising a budget)',
          params: idParam,
          response: { 200: taskItem, 404: errorResponse, 409: errorResponse },
        },
      },
      async (req) => {
        const auth = authOf(req);
        const t = await taskOr404(req.params.id, auth.scope);
        if (action === 'retry') await retryTask(deps, t);
        else if (action === 'cancel') await cancelTask(deps, t, viewerName(auth));
        else await resumeTask(deps, t);
        await refreshStatusComment(deps.pipeline, t.conversation_id).catch(() => undefined);
        return presentTask((await repo.findTaskScoped(db.kysely, t.id, auth.scope))!);
      },
    );
  }
}

export { ROLES };
