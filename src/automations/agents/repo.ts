/** Kysely queries for the agents slice's tables (projects, agents, conversations, tasks, messages, memory). */
import { sql } from 'kysely';
import type { Database, Executor } from '../../db/index.js';
import { forUpdate, newId, nowIso, parseJson, toBool } from '../../db/index.js';
import type { Scope } from '../../http/auth-context.js';
import { commandsSchema, limitsSchema, modelConfigSchema, type ModelConfig, type ProjectCommands, type ProjectLimits } from './schema.js';
import type { Selectable } from 'kysely';
import type { AgentRole, AgentsTable, ConversationsTable, MessagesTable, ProjectsTable, TaskPhase, TasksTable, TaskStatus, WaitingOn } from './tables.js';
import './tables.js';

export type ProjectRow = Selectable<ProjectsTable>;
export type AgentRow = Selectable<AgentsTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type TaskRow = Selectable<TasksTable>;
export type MessageRow = Selectable<MessagesTable>;

/** A project as the domain reads it (JSON columns parsed and validated). */
export interface Project {
  id: string;
  repositoryId: string;
  fullName: string;
  installationId: number | null;
  defaultBranch: string;
  name: string;
  triggerLabel: string;
  assigneeLogins: string[];
  commands: ProjectCommands;
  limits: ProjectLimits;
  enabled: boolean;
}

/** An agent with its model configuration parsed. */
export interface Agent {
  id: string;
  projectId: string;
  name: string;
  role: AgentRole;
  model: ModelConfig;
  systemPrompt: string | null;
  rulesFilePath: string | null;
  enabled: boolean;
}

export const ACTIVE_STATUSES: TaskStatus[] = ['in_progress', 'testing', 'review'];

const projectColumns = ['p.id', 'p.repository_id', 'p.name', 'p.trigger_label', 'p.assignee_logins', 'p.commands', 'p.limits', 'p.enabled', 'p.created_at', 'p.updated_at', 'r.full_name', 'r.installation_id', 'r.default_branch'] as const;

type ProjectJoined = ProjectRow & { full_name: string; installation_id: number | null; default_branch: string | null };

function toProject(r: ProjectJoined): Project {
  return {
    id: r.id,
    repositoryId: r.repository_id,
    fullName: r.full_name,
    installationId: r.installation_id === null ? null : Number(r.installation_id),
    defaultBranch: r.default_branch ?? 'main',
    name: r.name,
    triggerLabel: r.trigger_label,
    assigneeLogins: parseJson<string[]>(r.assignee_logins, []),
    commands: commandsSchema.parse(parseJson(r.commands, {})),
    limits: limitsSchema.parse(parseJson(r.limits, {})),
    enabled: toBool(r.enabled),
  };
}

function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    role: r.role,
    model: modelConfigSchema.parse(parseJson(r.model_config, {})),
    systemPrompt: r.system_prompt,
    rulesFilePath: r.rules_file_path,
    enabled: toBool(r.enabled),
  };
}

/** Restricts a query over `repositories as r` to a scope (null: nothing visible). */
export function scopeFilter<Q extends { where: (...args: never[]) => Q }>(q: Q, scope: Scope, column = 'r.installation_id'): Q | null {
  if (scope.all) return q;
  if (scope.installationIds.length === 0) return null;
  return (q.where as unknown as (col: string, op: string, v: number[]) => Q)(column, 'in', scope.installationIds);
}

function projectQuery(db: Executor) {
  return db.selectFrom('projects as p').innerJoin('repositories as r', 'r.id', 'p.repository_id').select([...projectColumns]);
}

export async function findProjectByRepository(db: Executor, repositoryId: string): Promise<Project | null> {
  const row = await projectQuery(db).where('p.repository_id', '=', repositoryId).executeTakeFirst();
  return row ? toProject(row) : null;
}

export async function findProject(db: Executor, id: string, scope: Scope = { all: true }): Promise<Project | null> {
  const q = scopeFilter(projectQuery(db).where('p.id', '=', id), scope);
  const row = q ? await q.executeTakeFirst() : undefined;
  return row ? toProject(row) : null;
}

export async function listProjects(db: Executor, scope: Scope, page: { limit: number; before?: string }): Promise<Project[]> {
  let q = projectQuery(db).orderBy('p.id', 'desc').limit(page.limit + 1);
  if (page.before) q = q.where('p.id', '<', page.before);
  const s = scopeFilter(q, scope);
  return s ? (await s.execute()).map(toProject) : [];
}

export interface ProjectInput {
  name: string;
  triggerLabel: string;
  assigneeLogins: string[];
  commands: ProjectCommands;
  limits: ProjectLimits;
  enabled: boolean;
}

export async function insertProject(db: Executor, repositoryId: string, p: ProjectInput): Promise<string> {
  const id = newId();
  const now = nowIso();
  await db
    .insertInto('projects')
    .values({ id, repository_id: repositoryId, name: p.name, trigger_label: p.triggerLabel, assignee_logins: JSON.stringify(p.assigneeLogins), commands: JSON.stringify(p.commands), limits: JSON.stringify(p.limits), enabled: p.enabled, created_at: now, updated_at: now })
    .execute();
  return id;
}

export async function updateProject(db: Executor, id: string, p: Partial<ProjectInput>): Promise<void> {
  await db
    .updateTable('projects')
    .set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.triggerLabel !== undefined ? { trigger_label: p.triggerLabel } : {}),
      ...(p.assigneeLogins !== undefined ? { assignee_logins: JSON.stringify(p.assigneeLogins) } : {}),
      ...(p.commands !== undefined ? { commands: JSON.stringify(p.commands) } : {}),
      ...(p.limits !== undefined ? { limits: JSON.stringify(p.limits) } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .execute();
}

export async function listAgents(db: Executor, projectId: string): Promise<Agent[]> {
  return (await db.selectFrom('agents').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute()).map(toAgent);
}

export async function findAgent(db: Executor, projectId: string, role: AgentRole): Promise<Agent | null> {
  const row = await db.selectFrom('agents').selectAll().where('project_id', '=', projectId).where('role', '=', role).executeTakeFirst();
  return row ? toAgent(row) : null;
}

/** Creates or replaces the agent of one role in a project. */
export async function upsertAgent(db: Executor, projectId: string, a: { role: AgentRole; name: string; model: ModelConfig; systemPrompt: string | null; rulesFilePath: string | null; enabled: boolean }): Promise<string> {
  const now = nowIso();
  const values = { name: a.name, model_config: JSON.stringify(a.model), system_prompt: a.systemPrompt, rules_file_path: a.rulesFilePath, enabled: a.enabled, updated_at: now };
  await db
    .insertInto('agents')
    .values({ id: newId(), project_id: projectId, role: a.role, ...values, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'role']).doUpdateSet(values))
    .execute();
  const row = await db.selectFrom('agents').select('id').where('project_id', '=', projectId).where('role', '=', a.role).executeTakeFirstOrThrow();
  return row.id;
}

// ---- conversations -------------------------------------------------------------------------------

export async function findConversationByIssue(db: Executor, repositoryId: string, issueNumber: number): Promise<ConversationRow | null> {
  return (await db.selectFrom('conversations').selectAll().where('repository_id', '=', repositoryId).where('issue_number', '=', issueNumber).executeTakeFirst()) ?? null;
}

export async function getConversation(db: Executor, id: string): Promise<ConversationRow> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function findConversation(db: Executor, id: string, scope: Scope): Promise<ConversationRow | null> {
  const q = scopeFilter(db.selectFrom('conversations').selectAll().where('id', '=', id), scope, 'installation_id');
  return (q ? await q.executeTakeFirst() : undefined) ?? null;
}

export async function listConversations(db: Executor, scope: Scope, page: { limit: number; before?: string; projectId?: string }): Promise<ConversationRow[]> {
  let q = db.selectFrom('conversations').selectAll().orderBy('id', 'desc').limit(page.limit + 1);
  if (page.before) q = q.where('id', '<', page.before);
  if (page.projectId) q = q.where('project_id', '=', page.projectId);
  const s = scopeFilter(q, scope, 'installation_id');
  return s ? s.execute() : [];
}

export async function updateConversation(db: Executor, id: string, patch: Partial<Omit<ConversationRow, 'id' | 'created_at'>>): Promise<void> {
  await db.updateTable('conversations').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute();
}

/** Sets a conversation's status unless it was cancelled meanwhile (a cancel always wins). */
export async function setConversationStatus(db: Executor, id: string, status: ConversationRow['status'], errorMessage?: string | null): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ status, ...(errorMessage !== undefined ? { error_message: errorMessage } : {}), updated_at: nowIso() })
    .where('id', '=', id)
    .where('status', '!=', 'cancelled')
    .execute();
}

export async function joinConversation(db: Executor, conversationId: string, agent: Agent): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('conversation_participants')
    .values({ conversation_id: conversationId, agent_id: agent.id, role: agent.role, joined_at: now, created_at: now })
    .onConflict((oc) => oc.columns(['conversation_id', 'agent_id']).doNothing())
    .execute();
}

export async function participants(db: Executor, conversationId: string): Promise<Array<{ agent_id: string; role: AgentRole; name: string; joined_at: string }>> {
  return db
    .selectFrom('conversation_participants as cp')
    .innerJoin('agents as a', 'a.id', 'cp.agent_id')
    .select(['cp.agent_id', 'cp.role', 'a.name', 'cp.joined_at'])
    .where('cp.conversation_id', '=', conversationId)
    .orderBy('cp.joined_at')
    .execute();
}

// ---- tasks -----------------------------------------------------------------------------------------

export async function getTask(db: Executor, id: string): Promise<TaskRow | null> {
  return (await db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The task row locked for update (PostgreSQL; SQLite's write transaction excludes others). */
export async function lockTask(tx: Executor, dialect: Database['dialect'], id: string): Promise<TaskRow | null> {
  return (await forUpdate(tx.selectFrom('tasks').selectAll().where('id', '=', id), dialect).executeTakeFirst()) ?? null;
}

export async function tasksOf(db: Executor, conversationId: string): Promise<TaskRow[]> {
  return db.selectFrom('tasks').selectAll().where('conversation_id', '=', conversationId).orderBy('position').execute();
}

export async function insertTask(
  db: Executor,
  t: { conversationId: string; projectId: string; position: number; title: string; agentType: AgentRole; priority: number; definitionOfDone: string[]; phase: TaskPhase; status?: TaskStatus },
): Promise<string> {
  const id = newId();
  const now = nowIso();
  await db
    .insertInto('tasks')
    .values({
      id,
      conversation_id: t.conversationId,
      project_id: t.projectId,
      position: t.position,
      title: t.title,
      agent_type: t.agentType,
      priority: t.priority,
      definition_of_done: JSON.stringify(t.definitionOfDone),
      status: t.status ?? 'pending',
      waiting_on: null,
      wait_until: null,
      phase: t.phase,
      step_seq: 0,
      turns: 0,
      test_rounds: 0,
      review_rounds: 0,
      result: null,
      cost_nano: 0,
      tokens: 0,
      error_message: null,
      started_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['conversation_id', 'position']).doNothing())
    .execute();
  return id;
}

export async function updateTask(db: Executor, id: string, patch: Partial<Omit<TaskRow, 'id' | 'created_at'>>): Promise<void> {
  await db.updateTable('tasks').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute();
}

const SLOT_LOCK = sql`select pg_advisory_xact_lock(hashtext('switchyard.agents.slots'))`;

/**
 * Starts a pending task if a slot is free (per project and overall), in one transaction serialised
 * across processes (an advisory lock on PostgreSQL; SQLite's write lock does it there). False: no slot.
 */
export async function claimSlot(db: Database, task: { id: string; projectId: string; status: TaskStatus }, limits: { project: number; all: number }): Promise<boolean> {
  return db.kysely.transaction().execute(async (tx) => {
    if (db.dialect === 'postgres') await SLOT_LOCK.execute(tx);
    const counts = await runningCounts(tx, task.projectId);
    if (counts.project >= limits.project || counts.all >= limits.all) return false;
    const r = await tx.updateTable('tasks').set({ status: task.status, started_at: nowIso(), updated_at: nowIso() }).where('id', '=', task.id).where('status', '=', 'pending').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  });
}

/**
 * Ends a task's wait if a slot is free, under the same lock as `claimSlot`: a waiting task holds
 * no slot, so going on again takes one like a start does. False: no slot (the task keeps waiting).
 */
export async function resumeWithSlot(db: Database, task: { id: string; projectId: string }, limits: { project: number; all: number }): Promise<boolean> {
  return db.kysely.transaction().execute(async (tx) => {
    if (db.dialect === 'postgres') await SLOT_LOCK.execute(tx);
    const counts = await runningCounts(tx, task.projectId);
    if (counts.project >= limits.project || counts.all >= limits.all) return false;
    const r = await tx.updateTable('tasks').set({ waiting_on: null, wait_until: null, updated_at: nowIso() }).where('id', '=', task.id).where('waiting_on', 'is not', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  });
}

/**
 * Claims the posting of a conversation's first status comment: true for one caller at a time
 * (none while the comment's id is known or a claim younger than `staleBefore` holds).
 */
export async function claimStatusComment(db: Executor, conversationId: string, now: string, staleBefore: string): Promise<boolean> {
  const r = await db
    .updateTable('conversations')
    .set({ status_comment_claimed_at: now })
    .where('id', '=', conversationId)
    .where('status_comment_id', 'is', null)
    .where((eb) => eb.or([eb('status_comment_claimed_at', 'is', null), eb('status_comment_claimed_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Gives a claim back (the post failed): the next refresh may claim at once. */
export async function releaseStatusComment(db: Executor, conversationId: string, claimedAt: string): Promise<void> {
  await db.updateTable('conversations').set({ status_comment_claimed_at: null }).where('id', '=', conversationId).where('status_comment_claimed_at', '=', claimedAt).where('status_comment_id', 'is', null).execute();
}

/** True when the task's conversation was cancelled or the task is past turn `seq` (cancelled, retried). */
export async function cancelledOrMoved(db: Executor, taskId: string, seq: number): Promise<boolean> {
  const row = await db.selectFrom('tasks as t').innerJoin('conversations as c', 'c.id', 't.conversation_id').select(['t.step_seq', 'c.status']).where('t.id', '=', taskId).executeTakeFirst();
  return !row || row.status === 'cancelled' || Number(row.step_seq) !== seq;
}

/** Tasks running now (active status, not waiting), in a project and overall. */
export async function runningCounts(db: Executor, projectId: string): Promise<{ project: number; all: number }> {
  const rows = await db
    .selectFrom('tasks')
    .select(['project_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ACTIVE_STATUSES)
    .where('waiting_on', 'is', null)
    .groupBy('project_id')
    .execute();
  let all = 0;
  let project = 0;
  for (const r of rows) {
    all += Number(r.n);
    if (r.project_id === projectId) project += Number(r.n);
  }
  return { project, all };
}

export async function listTasks(db: Executor, scope: Scope, page: { limit: number; before?: string; status?: TaskStatus; projectId?: string; conversationId?: string }) {
  let q = db
    .selectFrom('tasks as t')
    .innerJoin('conversations as c', 'c.id', 't.conversation_id')
    .innerJoin('repositories as r', 'r.id', 'c.repository_id')
    .selectAll('t')
    .select(['c.issue_number', 'c.issue_title', 'c.pr_number', 'r.full_name', 'c.installation_id'])
    .orderBy('t.id', 'desc')
    .limit(page.limit + 1);
  if (page.before) q = q.where('t.id', '<', page.before);
  if (page.status) q = q.where('t.status', '=', page.status);
  if (page.projectId) q = q.where('t.project_id', '=', page.projectId);
  if (page.conversationId) q = q.where('t.conversation_id', '=', page.conversationId);
  const s = scopeFilter(q, scope, 'c.installation_id');
  return s ? s.execute() : [];
}

export async function findTaskScoped(db: Executor, id: string, scope: Scope) {
  const q = scopeFilter(
    db
      .selectFrom('tasks as t')
      .innerJoin('conversations as c', 'c.id', 't.conversation_id')
      .innerJoin('repositories as r', 'r.id', 'c.repository_id')
      .selectAll('t')
      .select(['c.issue_number', 'c.issue_title', 'c.pr_number', 'r.full_name', 'c.installation_id'])
      .where('t.id', '=', id),
    scope,
    'c.installation_id',
  );
  return (q ? await q.executeTakeFirst() : undefined) ?? null;
}

/** Tasks waiting on `on`, due by now (wait_until passed or unset). */
export async function dueWaitingTasks(db: Executor, on: WaitingOn, now: string): Promise<TaskRow[]> {
  return db
    .selectFrom('tasks')
    .selectAll()
    .where('waiting_on', '=', on)
    .where('status', 'not in', ['completed', 'failed'])
    .where((eb) => eb.or([eb('wait_until', 'is', null), eb('wait_until', '<=', now)]))
    .execute();
}

// ---- messages ----------------------------------------------------------------------------------------

export type NewMessage = Omit<MessageRow, 'id' | 'created_at'>;

export async function insertMessage(db: Executor, m: NewMessage): Promise<string> {
  const id = newId();
  await db.insertInto('messages').values({ ...m, id, created_at: nowIso() }).execute();
  return id;
}

export async function threadMessages(db: Executor, taskId: string, thread: string): Promise<MessageRow[]> {
  return db.selectFrom('messages').selectAll().where('task_id', '=', taskId).where('thread', '=', thread).orderBy('id').execute();
}

export async function listMessages(db: Executor, conversationId: string, page: { limit: number; before?: string; after?: string }): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).limit(page.limit + 1);
  if (page.after) q = q.where('id', '>', page.after).orderBy('id', 'asc');
  else {
    q = q.orderBy('id', 'desc');
    if (page.before) q = q.where('id', '<', page.before);
  }
  return q.execute();
}

/** Human replies in a conversation after `afterId` (oldest first). */
export async function humanRepliesAfter(db: Executor, conversationId: string, afterId: string | null): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('role', '=', 'human').orderBy('id');
  if (afterId) q = q.where('id', '>', afterId);
  return q.execute();
}

/** Adds a call's tokens and cost to its task and conversation. */
export async function addUsage(db: Executor, taskId: string, conversationId: string, tokens: number, costNano: number): Promise<void> {
  await db.updateTable('tasks').set({ tokens: sql`tokens + ${tokens}`, cost_nano: sql`cost_nano + ${costNano}`, updated_at: nowIso() }).where('id', '=', taskId).execute();
  await db.updateTable('conversations').set({ total_tokens: sql`total_tokens + ${tokens}`, total_cost_nano: sql`total_cost_nano + ${costNano}`, updated_at: nowIso() }).where('id', '=', conversationId).execute();
}

// ---- memory --------------------------------------------------------------------------------------------

export async function memoryFor(db: Executor, projectId: string, agentId: string, now: string) {
  return db
    .selectFrom('agent_memory')
    .selectAll()
    .where('project_id', '=', projectId)
    .where((eb) => eb.or([eb('agent_id', 'is', null), eb('agent_id', '=', agentId)]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('importance', 'desc')
    .orderBy('updated_at', 'desc')
    .limit(200)
    .execute();
}

export async function listMemory(db: Executor, projectId: string) {
  return db.selectFrom('agent_memory').selectAll().where('project_id', '=', projectId).orderBy('importance', 'desc').orderBy('id', 'desc').limit(500).execute();
}

/** Saves a fact (same project, agent, category and key: replaced). */
export async function remember(db: Executor, m: { projectId: string; agentId: string | null; category: string; key: string; value: string; importance: number; expiresAt: string | null }): Promise<string> {
  const now = nowIso();
  let q = db.deleteFrom('agent_memory').where('project_id', '=', m.projectId).where('category', '=', m.category).where('key', '=', m.key);
  q = m.agentId ? q.where('agent_id', '=', m.agentId) : q.where('agent_id', 'is', null);
  await q.execute();
  const id = newId();
  await db
    .insertInto('agent_memory')
    .values({ id, project_id: m.projectId, agent_id: m.agentId, category: m.category, key: m.key, value: m.value, importance: m.importance, expires_at: m.expiresAt, created_at: now, updated_at: now })
    .execute();
  return id;
}

export async function deleteMemory(db: Executor, projectId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('agent_memory').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function purgeExpiredMemory(db: Executor, now: string): Promise<number> {
  const r = await db.deleteFrom('agent_memory').where('expires_at', 'is not', null).where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
