/**
 * The agents' pipeline: one job (`agents.step`, keyed by task and turn) runs ONE turn of one task,
 * saves it (messages, worktree commit, push) and queues the next turn in the transaction that
 * records it. A job of an older turn finds `step_seq` moved on and does nothing, so a worker killed
 * mid-turn (kill -9) leaves the job to run again after its lease, from the last saved turn: one
 * branch, one pull request, one status comment.
 *
 * Phases of a task (who acts next):
 *   orchestrator → plan (≤ 5 tasks) │ architect → design note │ coder → edits, commits, draft PR
 *   → tester (declared tests; failures back to the coder, ≤ 3 rounds) → reviewer (a COMMENT review;
 *   changes back to the coder, ≤ 2 rounds) → completed.
 * A task that cannot call the model waits (`waiting_on`): budget (until the period resets or the
 * limit is raised), provider (retry-after), human (a model without a price, a refused provider).
 */
import path from 'node:path';
import type { Config } from '../../config/index.js';
import type { Database, Executor } from '../../db/index.js';
import { nowIso, parseJson } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { LLM_ERROR_CODES, type LlmClient, type LlmMessage, type LlmRequest, type LlmResult, type LlmToolCall } from '../../llm/contract.js';
import { ensureDraftPullRequest, postReview, repoRef, upsertStatusComment } from './github-effects.js';
import { PLAN_JSON_SCHEMA, REVIEW_JSON_SCHEMA, parseJsonAnswer, systemPrompt } from './prompts.js';
import { selectMemory } from './memory.js';
import * as repo from './repo.js';
import type { Agent, ConversationRow, MessageRow, Project, TaskRow } from './repo.js';
import { runSandboxed, SandboxUnavailable } from './sandbox.js';
import { GLOBAL_RUNNING_TASKS, planSchema, reviewSchema } from './schema.js';
import { addedLines, redact, scanText, type ScanOptions } from './secret-scan.js';
import { renderStatus } from './status-comment.js';
import type { AgentRole, TaskPhase, TaskStatus, WaitingOn } from './tables.js';
import { READ_TOOLS, WRITE_TOOLS, runTool } from './tools.js';
import { quoteUntrusted } from './untrusted.js';
import * as wt from './worktree.js';

export const STEP_JOB = 'agents.step';

export interface PipelineDeps {
  db: Database;
  queue: Queue;
  log: Logger;
  config: Pick<Config, 'agents' | 'github' | 'mirror' | 'jobLeaseSeconds'>;
  clients: () => GitHubClients;
  /** The LLM layer (null until one is composed: tasks then wait on a human). */
  llm: LlmClient | null;
  scan: ScanOptions;
  /**
   * Status-comment refreshes of each conversation, chained: each reads the state when its turn
   * comes, so the last one posts the newest state (a slow refresh never overwrites a newer one).
   */
  statusChains: Map<string, Promise<void>>;
  /** The model calls in flight in this process, by conversation (their task ids): a cancel aborts them. */
  inFlight: Map<string, Map<AbortController, string>>;
  /** How often a call in flight looks for a cancel made by another process (default 1 s). */
  cancelPollMs?: number;
}

/**
 * A command's wall clock: 10 minutes, but never past the turn's job lease (a job still running
 * when its lease ends counts as failed and would run twice): raise JOB_LEASE_SECONDS for long tests.
 */
export function commandWallMs(config: Pick<Config, 'jobLeaseSeconds'>): number {
  return Math.max(30_000, Math.min(10 * 60_000, (config.jobLeaseSeconds - 60) * 1000));
}

export interface StepPayload {
  taskId: string;
  seq: number;
}

/** Queues the turn `seq` of a task (in the caller's transaction). */
export async function enqueueStep(queue: Queue, exec: Executor, taskId: string, seq: number, runAt?: Date): Promise<void> {
  await queue.enqueue(exec, STEP_JOB, { taskId, seq } satisfies StepPayload, { key: `${taskId}:${seq}`, maxAttempts: 5, ...(runAt ? { runAt } : {}) });
}

/** Moves a task to its next turn: applies `patch`, bumps `step_seq` and queues that turn. */
async function advance(deps: PipelineDeps, task: TaskRow, patch: Partial<TaskRow>, runAt?: Date, exec: Executor = deps.db.kysely): Promise<void> {
  const seq = task.step_seq + 1;
  const run = async (tx: Executor) => {
    await repo.updateTask(tx, task.id, { ...patch, step_seq: seq });
    await enqueueStep(deps.queue, tx, task.id, seq, runAt);
  };
  if (exec === deps.db.kysely) await deps.db.kysely.transaction().execute(run);
  else await run(exec);
}

type Outcome =
  | { kind: 'continue'; patch?: Partial<TaskRow> }
  | { kind: 'phase'; phase: TaskPhase; status: TaskStatus; patch?: Partial<TaskRow> }
  | { kind: 'complete'; result?: string | null }
  | { kind: 'fail'; message: string }
  | { kind: 'wait'; on: WaitingOn; until: Date | null; message: string };

interface TurnContext {
  deps: PipelineDeps;
  task: TaskRow;
  conversation: ConversationRow;
  project: Project;
  agent: Agent;
  log: Logger;
}

/** Runs one turn of a task (the `agents.step` job). Safe to run twice: an old turn does nothing. */
export async function runStep(deps: PipelineDeps, p: StepPayload, log: Logger): Promise<void> {
  const task = await repo.getTask(deps.db.kysely, p.taskId);
  if (!task || task.step_seq !== p.seq || task.status === 'completed' || task.status === 'failed') return;
  const conversation = await repo.getConversation(deps.db.kysely, task.conversation_id);
  if (conversation.status === 'cancelled') return;
  const project = await repo.findProject(deps.db.kysely, task.project_id);
  if (!project) return;

  if (task.status === 'pending') {
    const status: TaskStatus = task.phase === 'tester' ? 'testing' : task.phase === 'reviewer' ? 'review' : 'in_progress';
    if (!(await repo.claimSlot(deps.db, { id: task.id, projectId: project.id, status }, { project: project.limits.max_running_tasks, all: GLOBAL_RUNNING_TASKS }))) {
      log.debug({ task: task.id }, 'no free slot: the task waits for one');
      return advance(deps, task, {}, new Date(Date.now() + 2000));
    }
    task.status = status;
    task.started_at = nowIso();
    if (conversation.status === 'planning' && task.position > 0) await repo.setConversationStatus(deps.db.kysely, conversation.id, 'running');
    if (task.waiting_on) {
      task.waiting_on = null;
      await repo.updateTask(deps.db.kysely, task.id, { waiting_on: null, wait_until: null });
    }
  } else if (task.waiting_on) {
    // A waiting task holds no slot: going on again takes one, or it keeps waiting for one.
    if (!(await repo.resumeWithSlot(deps.db, { id: task.id, projectId: project.id }, { project: project.limits.max_running_tasks, all: GLOBAL_RUNNING_TASKS }))) {
      log.debug({ task: task.id }, 'no free slot: the waiting task waits for one');
      return advance(deps, task, {}, new Date(Date.now() + 2000));
    }
    task.waiting_on = null;
  }

  const started = task.started_at ? Date.parse(task.started_at) : Date.now();
  if (Date.now() - started > project.limits.task_minutes * 60_000) return finish(deps, task, conversation, { kind: 'fail', message: `the task ran past its ${project.limits.task_minutes}-minute limit` });
  if (Number(task.cost_nano) >= project.limits.task_budget_usd * 1e9) return finish(deps, task, conversation, { kind: 'fail', message: `the task spent its budget of $${project.limits.task_budget_usd}` });

  const role = task.phase === 'done' ? null : task.phase;
  if (!role) return finish(deps, task, conversation, { kind: 'complete' });
  const agent = await repo.findAgent(deps.db.kysely, project.id, role);
  if (!agent || !agent.enabled) return finish(deps, task, conversation, { kind: 'wait', on: 'human', until: null, message: `the project has no enabled ${role} agent` });
  if (!deps.llm) return finish(deps, task, conversation, { kind: 'wait', on: 'human', until: null, message: 'no LLM layer is configured' });
  await repo.joinConversation(deps.db.kysely, conversation.id, agent);

  const ctx: TurnContext = { deps, task, conversation, project, agent, log: log.child({ task: task.id, phase: role }) };
  let outcome: Outcome;
  try {
    outcome = await PHASES[role](ctx);
  } catch (err) {
    outcome = llmWait(err) ?? (() => { throw err; })();
  }
  await finish(deps, task, conversation, outcome);
}

/** What an LLM error means for the task (null: not an LLM error; the job retries it). */
function llmWait(err: unknown): Outcome | null {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === LLM_ERROR_CODES.budgetExceeded) {
    // The task's own budget never resets: the task is over.
    const budget = (err as { budget?: { scope?: string; amountNanoUsd?: number } }).budget;
    if (budget?.scope === 'task') return { kind: 'fail', message: `the task spent its budget of $${(Number(budget.amountNanoUsd ?? 0) / 1e9).toFixed(2)} (the next call could cost more than is left)` };
    const resetsAt = (err as { resetsAt?: Date | string }).resetsAt;
    return { kind: 'wait', on: 'budget', until: resetsAt ? new Date(resetsAt) : new Date(Date.now() + 3600_000), message };
  }
  if (code === LLM_ERROR_CODES.providerRetryable) {
    const ms = (err as { retryAfterMs?: number | null }).retryAfterMs ?? 30_000;
    return { kind: 'wait', on: 'provider', until: new Date(Date.now() + Math.max(ms, 100)), message };
  }
  if (code === LLM_ERROR_CODES.modelUnpriced || code === LLM_ERROR_CODES.providerFailed) return { kind: 'wait', on: 'human', until: null, message };
  return null;
}

/** Applies a turn's outcome: next turn, next phase, completion (then the next task), failure or a wait. */
async function finish(deps: PipelineDeps, task: TaskRow, conversation: ConversationRow, o: Outcome): Promise<void> {
  const now = nowIso();
  // Cancelled while this turn ran (`/switchyard stop`), or the task cancelled or retried: its outcome changes nothing.
  if ((await repo.getConversation(deps.db.kysely, conversation.id)).status === 'cancelled') return;
  if (await repo.cancelledOrMoved(deps.db.kysely, task.id, task.step_seq)) return;
  switch (o.kind) {
    case 'continue':
      await advance(deps, task, { turns: task.turns + 1, ...o.patch });
      break;
    case 'phase':
      await advance(deps, task, { phase: o.phase, status: o.status, turns: 0, ...o.patch });
      break;
    case 'wait':
      if (o.until) await advance(deps, task, { waiting_on: o.on, wait_until: o.until.toISOString(), error_message: o.message }, o.until);
      else await repo.updateTask(deps.db.kysely, task.id, { waiting_on: o.on, wait_until: null, error_message: o.message, step_seq: task.step_seq + 1 });
      deps.log.info({ task: task.id, waitingOn: o.on, until: o.until }, 'agents task waits');
      break;
    case 'fail':
      await deps.db.kysely.transaction().execute(async (tx) => {
        await repo.updateTask(tx, task.id, { status: 'failed', phase: task.phase, error_message: o.message, completed_at: now, waiting_on: null, step_seq: task.step_seq + 1 });
        await repo.setConversationStatus(tx, conversation.id, 'failed', o.message);
      });
      deps.log.warn({ task: task.id, reason: o.message }, 'agents task failed');
      break;
    case 'complete':
      await deps.db.kysely.transaction().execute(async (tx) => {
        await repo.updateTask(tx, task.id, { status: 'completed', phase: 'done', completed_at: now, waiting_on: null, error_message: null, step_seq: task.step_seq + 1, ...(o.result !== undefined ? { result: o.result } : {}) });
        await startNextTask(deps, tx, conversation.id);
      });
      break;
  }
  await refreshStatusComment(deps, conversation.id).catch((err: unknown) => deps.log.warn({ err, conversation: conversation.id }, 'could not update the status comment'));
}

/** Queues the next pending task of a conversation, or closes the conversation when none is left. */
export async function startNextTask(deps: PipelineDeps, tx: Executor, conversationId: string): Promise<void> {
  const tasks = await repo.tasksOf(tx, conversationId);
  if (tasks.some((t) => t.status !== 'pending' && t.status !== 'completed' && t.status !== 'failed')) return;
  const next = tasks.filter((t) => t.status === 'pending').sort((a, b) => a.priority - b.priority || a.position - b.position)[0];
  if (next) {
    await repo.setConversationStatus(tx, conversationId, 'running');
    await repo.updateTask(tx, next.id, { step_seq: next.step_seq + 1 });
    await enqueueStep(deps.queue, tx, next.id, next.step_seq + 1);
    return;
  }
  const failed = tasks.some((t) => t.status === 'failed');
  await repo.setConversationStatus(tx, conversationId, failed ? 'failed' : 'completed');
}

// ---- shared pieces ---------------------------------------------------------------------------------

function gh(ctx: TurnContext) {
  if (ctx.project.installationId === null) throw new Error('the repository has no installation');
  return ctx.deps.clients().installation(ctx.project.installationId);
}

function worktreeOf(deps: PipelineDeps, conversation: ConversationRow, project: Project): wt.Worktree {
  const base = path.join(deps.config.agents.workDir, conversation.id);
  return {
    dir: path.join(base, 'work'),
    gitDir: path.join(base, 'git'),
    branch: conversation.branch,
    remoteUrl: `${deps.config.github.gitUrl}/${project.fullName}.git`,
    git: deps.config.mirror.git,
    credential: async () => {
      if (project.installationId === null) throw new Error('the repository has no installation');
      const auth = (await deps.clients().installation(project.installationId).auth({ type: 'installation' })) as { token: string };
      return { url: deps.config.github.gitUrl, username: 'x-access-token', password: auth.token };
    },
  };
}

async function ensureWorktree(ctx: TurnContext): Promise<wt.Worktree> {
  const w = worktreeOf(ctx.deps, ctx.conversation, ctx.project);
  await wt.ensureWorktree(w, ctx.conversation.base_branch ?? ctx.project.defaultBranch);
  return w;
}

function toLlmMessages(rows: MessageRow[]): LlmMessage[] {
  return rows.map((m): LlmMessage => {
    if (m.role === 'assistant') {
      const calls = parseJson<LlmToolCall[]>(m.tool_calls, []);
      return calls.length > 0 ? { role: 'assistant', content: m.content, toolCalls: calls } : { role: 'assistant', content: m.content };
    }
    if (m.role === 'tool') return { role: 'tool', toolCallId: m.tool_call_id ?? '', name: m.tool_name ?? '', content: m.content };
    if (m.role === 'human') return { role: 'user', content: quoteUntrusted(`a reply from ${m.author ?? 'a person'}`, m.content) };
    return { role: 'user', content: m.content };
  });
}

/** The project's memory that joins a call: the most important unexpired facts, within ~1,500 tokens. */
async function memoryBlock(ctx: TurnContext): Promise<string> {
  const now = nowIso();
  const lines = selectMemory(await repo.memoryFor(ctx.deps.db.kysely, ctx.project.id, ctx.agent.id, now), now);
  return lines.length ? quoteUntrusted('project memory (facts agents saved earlier)', lines.join('\n')) : '';
}

function thread(task: TaskRow, role: AgentRole): string {
  if (role === 'coder') return `coder:${task.test_rounds + task.review_rounds}`;
  if (role === 'tester') return `tester:${task.test_rounds}`;
  if (role === 'reviewer') return `reviewer:${task.review_rounds}`;
  return `${role}:0`;
}

async function saveMessage(ctx: TurnContext, m: Partial<repo.NewMessage> & { role: repo.NewMessage['role']; content: string; thread: string }, exec: Executor = ctx.deps.db.kysely): Promise<string> {
  return repo.insertMessage(exec, {
    conversation_id: ctx.conversation.id,
    task_id: ctx.task.id,
    agent_id: ctx.agent.id,
    author: ctx.agent.role,
    tool_calls: null,
    tool_call_id: null,
    tool_name: null,
    model: null,
    input_tokens: null,
    output_tokens: null,
    cost_nano: null,
    token_usage_id: null,
    ...m,
  });
}

/** One LLM call under the agent's model configuration; the reply is saved as a message with its usage. */
async function call(ctx: TurnContext, threadName: string, messages: LlmMessage[], extra: Partial<LlmRequest> = {}): Promise<{ result: LlmResult; messageId: string }> {
  const m = ctx.agent.model;
  // A cancel (`/switchyard stop`, the API, the CLI) aborts the call in flight, in any process.
  const abort = new AbortController();
  const stopWatching = watchCancel(ctx.deps, ctx.task, abort);
  const result = await ctx.deps.llm!.complete({
    provider: m.provider,
    model: m.model,
    system: systemPrompt(ctx.agent.role, ctx.agent.systemPrompt),
    messages,
    maxTokens: m.max_tokens,
    temperature: m.temperature,
    scope: {
      projectId: ctx.project.id,
      agentId: ctx.agent.id,
      agentType: ctx.agent.role,
      taskId: ctx.task.id,
      conversationId: ctx.conversation.id,
      installationId: ctx.project.installationId,
      taskBudgetNanoUsd: Math.round(ctx.project.limits.task_budget_usd * 1e9),
    },
    signal: abort.signal,
    ...extra,
  }).finally(stopWatching);
  const tokens = result.usage.inputTokens + result.usage.outputTokens;
  const cost = result.costNanoUsd ?? 0;
  let messageId = '';
  await ctx.deps.db.kysely.transaction().execute(async (tx) => {
    messageId = await saveMessage(
      ctx,
      {
        role: 'assistant',
        thread: threadName,
        content: result.text,
        tool_calls: result.toolCalls.length ? JSON.stringify(result.toolCalls) : null,
        model: result.model,
        input_tokens: result.usage.inputTokens,
        output_tokens: result.usage.outputTokens,
        cost_nano: result.costNanoUsd,
        token_usage_id: result.tokenUsageId,
      },
      tx,
    );
    await repo.addUsage(tx, ctx.task.id, ctx.conversation.id, tokens, cost);
  });
  ctx.task.cost_nano = Number(ctx.task.cost_nano) + cost;
  return { result, messageId };
}

/**
 * Aborts `abort` when the task is cancelled: at once when the cancel runs in this process
 * (`inFlight`), else when a look at the database every `cancelPollMs` finds the conversation
 * cancelled or the task moved on (cancelled or retried). Returns the function that stops watching.
 */
function watchCancel(deps: PipelineDeps, task: TaskRow, abort: AbortController): () => void {
  let set = deps.inFlight.get(task.conversation_id);
  if (!set) deps.inFlight.set(task.conversation_id, (set = new Map()));
  set.set(abort, task.id);
  let looking = false;
  const timer = setInterval(() => {
    if (looking || abort.signal.aborted) return;
    looking = true;
    void repo
      .cancelledOrMoved(deps.db.kysely, task.id, task.step_seq)
      .then((gone) => {
        if (gone) abort.abort(new Error('the task was cancelled'));
      })
      .catch(() => undefined)
      .finally(() => {
        looking = false;
      });
  }, deps.cancelPollMs ?? 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    set.delete(abort);
    if (set.size === 0 && deps.inFlight.get(task.conversation_id) === set) deps.inFlight.delete(task.conversation_id);
  };
}

/** Aborts the model calls in flight in this process for a conversation (or one task of it). */
export function abortInFlight(deps: Pick<PipelineDeps, 'inFlight'>, conversationId: string, taskId?: string): number {
  let n = 0;
  for (const [abort, id] of deps.inFlight.get(conversationId) ?? []) {
    if (taskId && id !== taskId) continue;
    abort.abort(new Error('the task was cancelled'));
    n++;
  }
  return n;
}

async function issueBlock(ctx: TurnContext): Promise<string> {
  const c = ctx.conversation;
  return quoteUntrusted(`GitHub issue #${c.issue_number} of ${ctx.project.fullName} (title and body, written by users)`, `${c.issue_title}\n\n${c.issue_body ?? ''}`);
}

function taskBlock(task: TaskRow): string {
  const dod = parseJson<string[]>(task.definition_of_done, []);
  return `Task: ${task.title}\nDefinition of done:\n${dod.map((d) => `- ${d}`).join('\n')}`;
}

// ---- phases ------------------------------------------------------------------------------------------

const PHASES: Record<AgentRole, (ctx: TurnContext) => Promise<Outcome>> = {
  orchestrator: planPhase,
  architect: (ctx) => toolPhase(ctx, false),
  coder: (ctx) => toolPhase(ctx, true),
  tester: testPhase,
  reviewer: reviewPhase,
};

/** The orchestrator's plan: ≤ 5 tasks as structured output, saved as tasks 1…n. */
async function planPhase(ctx: TurnContext): Promise<Outcome> {
  const name = thread(ctx.task, 'orchestrator');
  let rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  if (rows.length === 0) {
    const commands = Object.entries(ctx.project.commands).map(([k, v]) => `${k}: ${v}`).join('\n') || '(none declared)';
    const content = [`Plan the work on this issue of ${ctx.project.fullName}.`, `The project's declared commands:\n${commands}`, await memoryBlock(ctx), await issueBlock(ctx)].filter(Boolean).join('\n\n');
    await saveMessage(ctx, { role: 'user', thread: name, content, author: 'switchyard' });
    rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  }
  const last = rows[rows.length - 1]!;
  let text: string;
  if (last.role === 'assistant') text = last.content;
  else {
    if (ctx.task.turns >= 3) return { kind: 'fail', message: 'the orchestrator gave no valid plan in 3 tries' };
    text = (await call(ctx, name, toLlmMessages(rows), { jsonSchema: { name: 'plan', schema: PLAN_JSON_SCHEMA as unknown as Record<string, unknown> } })).result.text;
  }
  let plan;
  try {
    plan = planSchema.parse(parseJsonAnswer(text));
  } catch (err) {
    await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: `That was not a valid plan (${err instanceof Error ? err.message.slice(0, 500) : 'invalid'}). Answer with the JSON object only.` });
    return { kind: 'continue' };
  }
  await ctx.deps.db.kysely.transaction().execute(async (tx) => {
    let position = 1;
    for (const t of plan.tasks) {
      const start: TaskPhase = t.agent_type;
      await repo.insertTask(tx, { conversationId: ctx.conversation.id, projectId: ctx.project.id, position: position++, title: t.title, agentType: t.agent_type, priority: t.priority, definitionOfDone: t.definition_of_done, phase: start });
    }
  });
  return { kind: 'complete', result: plan.summary };
}

/** Architect (read-only) and coder (writes, commands, commits): one model turn, then its tools. */
async function toolPhase(ctx: TurnContext, write: boolean): Promise<Outcome> {
  const role = ctx.agent.role;
  const name = thread(ctx.task, role);
  const w = await ensureWorktree(ctx);
  let rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  if (rows.length === 0) {
    await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: await firstToolMessage(ctx, w, write) });
    rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  }
  const last = rows[rows.length - 1]!;
  const pending = pendingToolCalls(rows);
  let calls: LlmToolCall[];
  let text: string;
  if (pending) {
    // A restart after the model answered but before its tools ran: run them now, no new call.
    calls = pending;
    text = '';
  } else if (last.role === 'assistant') {
    return doneWith(ctx, last.content, write);
  } else {
    if (write) {
      // Whatever an interrupted turn left unpublished goes out before the model is asked again.
      const refused = await publishTurn(ctx, w);
      if (refused) {
        await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: refused });
        rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
      }
    }
    if (ctx.task.turns >= ctx.agent.model.max_turns) return doneWith(ctx, 'Stopped at the turn limit.', write);
    // People's replies since the thread's last message join it (as data) before the next call.
    const replies = await repo.humanRepliesAfter(ctx.deps.db.kysely, ctx.conversation.id, last.id);
    for (const h of replies) await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: quoteUntrusted(`a reply from ${h.author ?? 'a person'} in the conversation`, h.content) });
    if (replies.length) rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
    const { result } = await call(ctx, name, toLlmMessages(rows), { tools: write ? WRITE_TOOLS : READ_TOOLS });
    calls = result.toolCalls;
    text = result.text;
    if (calls.length === 0) return doneWith(ctx, text, write);
  }
  const toolCtx = {
    worktree: w,
    commands: ctx.project.commands,
    sandbox: ctx.deps.config.agents.sandbox,
    wallMs: commandWallMs(ctx.deps.config),
    canWrite: write,
    remember: async (m: { category: string; key: string; value: string; importance: number; expiresInDays?: number }) => {
      await repo.remember(ctx.deps.db.kysely, { projectId: ctx.project.id, agentId: null, category: m.category, key: m.key, value: m.value, importance: m.importance, expiresAt: m.expiresInDays ? new Date(Date.now() + m.expiresInDays * 86_400_000).toISOString() : null });
    },
  };
  let changed = false;
  for (const c of calls) {
    const out = await runTool(toolCtx, c);
    changed ||= out.changed;
    await saveMessage(ctx, { role: 'tool', thread: name, content: out.content, tool_call_id: c.id, tool_name: c.name });
  }
  if (write && changed) {
    const refused = await publishTurn(ctx, w);
    if (refused) await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: refused });
  }
  return { kind: 'continue' };
}

/** Tool calls of the last assistant message that have no result yet (null when none). */
function pendingToolCalls(rows: MessageRow[]): LlmToolCall[] | null {
  let i = rows.length - 1;
  const answered = new Set<string>();
  while (i >= 0 && rows[i]!.role === 'tool') answered.add(rows[i--]!.tool_call_id ?? '');
  const a = rows[i];
  if (!a || a.role !== 'assistant') return null;
  const calls = parseJson<LlmToolCall[]>(a.tool_calls, []).filter((c) => !answered.has(c.id));
  return calls.length > 0 ? calls : null;
}

async function firstToolMessage(ctx: TurnContext, w: wt.Worktree, write: boolean): Promise<string> {
  const parts = [taskBlock(ctx.task)];
  if (write) {
    const notes = (await repo.tasksOf(ctx.deps.db.kysely, ctx.conversation.id)).filter((t) => t.agent_type === 'architect' && t.status === 'completed' && t.result);
    for (const n of notes) parts.push(quoteUntrusted(`the architect's design note (task "${n.title}")`, n.result!));
    if (ctx.task.result && (ctx.task.test_rounds > 0 || ctx.task.review_rounds > 0)) parts.push(quoteUntrusted('feedback from the last test or review round', ctx.task.result));
  }
  const rules = ctx.agent.rulesFilePath ?? 'AGENTS.md';
  const rulesFile = path.join(w.dir, rules);
  const fs = await import('node:fs');
  if (!rules.includes('..') && fs.existsSync(rulesFile) && fs.statSync(rulesFile).isFile()) parts.push(quoteUntrusted(`the repository's rules file ${rules}`, fs.readFileSync(rulesFile, 'utf8'), 20_000));
  const commands = Object.keys(ctx.project.commands).join(', ') || 'none';
  parts.push(`Declared commands you may run: ${commands}.`);
  parts.push(await memoryBlock(ctx));
  const humans = await repo.humanRepliesAfter(ctx.deps.db.kysely, ctx.conversation.id, null);
  for (const h of humans.slice(-5)) parts.push(quoteUntrusted(`a reply from ${h.author ?? 'a person'} in the conversation`, h.content));
  parts.push(await issueBlock(ctx));
  return parts.filter(Boolean).join('\n\n');
}

/** The end of an architect's or coder's run: the note is the task's result; the coder goes to testing. */
async function doneWith(ctx: TurnContext, text: string, write: boolean): Promise<Outcome> {
  if (!write) return { kind: 'complete', result: text };
  if (ctx.project.commands.test) return { kind: 'phase', phase: 'tester', status: 'testing' };
  return { kind: 'phase', phase: 'reviewer', status: 'review' };
}

/**
 * Commits what the turn changed, unless it touches `.github/workflows` (those paths are dropped) or
 * carries a secret or an external image (the whole turn is dropped); then pushes and makes sure the
 * draft pull request exists. Also run before each coder turn, so a turn interrupted after its
 * tools (a crash, a failed push, GitHub down) is published before the model is asked again.
 * Returns a note for the model when something was refused.
 */
async function publishTurn(ctx: TurnContext, w: wt.Worktree): Promise<string | null> {
  const notes: string[] = [];
  let staged = await wt.stageAll(w);
  const workflows = staged.filter((p) => /^\.github\/workflows(\/|$)/i.test(p));
  if (workflows.length) {
    await wt.discard(w, workflows);
    notes.push(`changes under .github/workflows were discarded (${workflows.length} file(s)): agents may not change workflows`);
    staged = await wt.stageAll(w);
  }
  const note = () => (notes.length ? `Switchyard: ${notes.join('; ')}.` : null);
  if (staged.length > 0) {
    const findings = scanText(addedLines(await wt.stagedDiff(w)), ctx.deps.scan, { links: false });
    if (findings.length) {
      await wt.discard(w);
      ctx.log.warn({ findings }, 'refused to commit an agent’s changes');
      notes.push(`this turn's changes were discarded, nothing was committed: they contained ${findings.join(', ')}`);
      return note();
    }
    const message = redact(`switchyard(${ctx.agent.role}): ${ctx.task.title}\n\nTurn ${ctx.task.turns + 1} of task ${ctx.task.position} for #${ctx.conversation.issue_number}.`, ctx.deps.scan);
    await wt.commit(w, message);
  }
  const c = ctx.conversation;
  const baseBranch = c.base_branch ?? ctx.project.defaultBranch;
  const head = await wt.headSha(w);
  // Nothing on the branch yet, or everything already pushed with its pull request: done.
  if (head === (await wt.revParse(w, `refs/remotes/origin/${baseBranch}`))) return note();
  if (head === c.head_sha && c.pr_number !== null) return note();
  await wt.push(w);
  let pr = c.pr_number;
  if (pr === null) {
    pr = await ensureDraftPullRequest(gh(ctx), repoRef(ctx.project.fullName), {
      branch: c.branch,
      base: baseBranch,
      title: `Switchyard: ${c.issue_title}`,
      body: `Draft changes by Switchyard's agents for #${c.issue_number}. Review before marking it ready; nothing here is merged automatically.`,
      scan: ctx.deps.scan,
    });
    c.pr_number = pr;
  }
  c.head_sha = head;
  await repo.updateConversation(ctx.deps.db.kysely, c.id, { head_sha: head, pr_number: pr });
  return note();
}

/** Runs the declared tests in the sandbox; the tester tells the coder what failed. */
async function testPhase(ctx: TurnContext): Promise<Outcome> {
  const name = thread(ctx.task, 'tester');
  const w = await ensureWorktree(ctx);
  let rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  if (rows.length === 0) {
    const line = ctx.project.commands.test;
    let r: { exitCode: number | null; output: string; timedOut: boolean } = { exitCode: 0, output: 'no test command is declared', timedOut: false };
    try {
      if (line) r = await runSandboxed({ kind: ctx.deps.config.agents.sandbox, workDir: w.dir, command: line, limits: { wallMs: commandWallMs(ctx.deps.config) } });
    } catch (err) {
      if (err instanceof SandboxUnavailable) return { kind: 'wait', on: 'human', until: null, message: err.message };
      throw err;
    }
    // The run may have written files (caches, reports): they are not the coder's change.
    await wt.discard(w);
    const content = `exit code: ${r.exitCode ?? 'none'}${r.timedOut ? ' (stopped at the time limit)' : ''}\n${taskBlock(ctx.task)}\n\n${quoteUntrusted('output of the test command', r.output)}`;
    await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content });
    rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  }
  const passed = /^exit code: 0(\n| )/.test(rows[0]!.content) || rows[0]!.content.startsWith('exit code: 0\n');
  const last = rows[rows.length - 1]!;
  const summary = last.role === 'assistant' ? last.content : (await call(ctx, name, toLlmMessages(rows))).result.text;
  const taskType = ctx.task.agent_type;
  if (passed) return taskType === 'tester' ? { kind: 'complete', result: summary } : { kind: 'phase', phase: 'reviewer', status: 'review' };
  const rounds = ctx.task.test_rounds + 1;
  if (rounds > ctx.project.limits.test_rounds) return { kind: 'fail', message: `the tests still fail after ${ctx.project.limits.test_rounds} rounds` };
  return { kind: 'phase', phase: 'coder', status: 'in_progress', patch: { test_rounds: rounds, result: `The tests failed.\n${summary}\n\n${rows[0]!.content}` } };
}

/** The reviewer judges each done-item and posts a COMMENT review; changes go back to the coder. */
async function reviewPhase(ctx: TurnContext): Promise<Outcome> {
  const name = thread(ctx.task, 'reviewer');
  const w = await ensureWorktree(ctx);
  let rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  const base = ctx.conversation.base_branch ?? ctx.project.defaultBranch;
  if (rows.length === 0) {
    const diff = await wt.diffAgainst(w, base);
    await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: `${taskBlock(ctx.task)}\n\n${quoteUntrusted(`the pull request's diff against ${base}`, diff || '(no changes)')}\n\n${await issueBlock(ctx)}` });
    rows = await repo.threadMessages(ctx.deps.db.kysely, ctx.task.id, name);
  }
  const last = rows[rows.length - 1]!;
  if (last.role !== 'assistant' && ctx.task.turns >= 3) return { kind: 'fail', message: 'the reviewer gave no valid review in 3 tries' };
  const text = last.role === 'assistant' ? last.content : (await call(ctx, name, toLlmMessages(rows), { jsonSchema: { name: 'review', schema: REVIEW_JSON_SCHEMA as unknown as Record<string, unknown> } })).result.text;
  let verdict;
  try {
    verdict = reviewSchema.parse(parseJsonAnswer(text));
  } catch (err) {
    await saveMessage(ctx, { role: 'user', thread: name, author: 'switchyard', content: `That was not a valid review (${err instanceof Error ? err.message.slice(0, 500) : 'invalid'}). Answer with the JSON object only.` });
    return { kind: 'continue' };
  }
  const body = [
    `**Switchyard reviewer** (task ${ctx.task.position}: ${ctx.task.title})`,
    '',
    verdict.summary,
    '',
    ...verdict.items.map((i) => `- ${i.met ? '✅' : '❌'} ${i.done_item}: ${i.comment}`),
    '',
    verdict.changes_requested ? '_Changes go back to the coder._' : '_Every done-item is met; a person decides whether to mark this ready._',
  ].join('\n');
  if (ctx.conversation.pr_number !== null) {
    const head = await wt.headSha(w);
    await postReview(gh(ctx), repoRef(ctx.project.fullName), { pullNumber: ctx.conversation.pr_number, body, commitId: head, scan: ctx.deps.scan });
  }
  if (!verdict.changes_requested) return { kind: 'complete', result: verdict.summary };
  const rounds = ctx.task.review_rounds + 1;
  if (rounds > ctx.project.limits.review_rounds) return { kind: 'complete', result: `${verdict.summary}\n(review rounds used up; left for a person)` };
  return { kind: 'phase', phase: 'coder', status: 'in_progress', patch: { review_rounds: rounds, result: `The reviewer asked for changes.\n${body}` } };
}

// ---- the status comment ----------------------------------------------------------------------------

/** Creates or updates the one status comment of a conversation from its current state (chained per conversation). */
export function refreshStatusComment(deps: Pick<PipelineDeps, 'db' | 'clients' | 'scan' | 'statusChains'>, conversationId: string): Promise<void> {
  const previous = deps.statusChains.get(conversationId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => postStatus(deps, conversationId));
  deps.statusChains.set(conversationId, next);
  const forget = () => {
    if (deps.statusChains.get(conversationId) === next) deps.statusChains.delete(conversationId);
  };
  next.then(forget, forget);
  return next;
}

/** A claim on posting the first status comment older than this may be taken again (its process died). */
const STATUS_CLAIM_STALE_MS = 60_000;

async function postStatus(deps: Pick<PipelineDeps, 'db' | 'clients' | 'scan'>, conversationId: string): Promise<void> {
  let conversation = await repo.getConversation(deps.db.kysely, conversationId);
  const project = await repo.findProject(deps.db.kysely, conversation.project_id);
  if (!project || project.installationId === null || !deps.clients().configured) return;
  // One comment per issue across processes: the first post is claimed in the database; the others
  // wait for its id and update it in place.
  let claimedAt: string | null = null;
  if (conversation.status_comment_id === null) {
    const now = nowIso();
    if (await repo.claimStatusComment(deps.db.kysely, conversationId, now, new Date(Date.now() - STATUS_CLAIM_STALE_MS).toISOString())) claimedAt = now;
    else {
      conversation = await until(async () => {
        const c = await repo.getConversation(deps.db.kysely, conversationId);
        return c.status_comment_id !== null ? c : null;
      }, STATUS_CLAIM_STALE_MS);
    }
  }
  const tasks = await repo.tasksOf(deps.db.kysely, conversationId);
  const body = renderStatus(conversation, tasks);
  let id: number;
  try {
    id = await upsertStatusComment(deps.clients().installation(project.installationId), repoRef(project.fullName), {
      issueNumber: conversation.issue_number,
      conversationId,
      commentId: conversation.status_comment_id === null ? null : Number(conversation.status_comment_id),
      body,
      scan: deps.scan,
    });
  } catch (err) {
    if (claimedAt) await repo.releaseStatusComment(deps.db.kysely, conversationId, claimedAt).catch(() => undefined);
    throw err;
  }
  if (Number(conversation.status_comment_id) !== id) await repo.updateConversation(deps.db.kysely, conversationId, { status_comment_id: id });
}

/** Polls `fn` until it answers (every 100 ms) or `timeoutMs` passes (then throws). */
async function until<T>(fn: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error('the status comment being posted by another process did not appear');
    await new Promise((r) => setTimeout(r, 100));
  }
}
