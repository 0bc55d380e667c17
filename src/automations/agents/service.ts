/**
 * Decisions about conversations and tasks that the triggers, the API and the CLI share: start the
 * agents on an issue (once per issue), cancel, retry a failed task, resume a waiting one, and wake
 * tasks that wait on a budget.
 */
import type { Database } from '../../db/index.js';
import { newId, nowIso } from '../../db/index.js';
import type { Logger } from '../../log/index.js';
import type { Queue } from '../../jobs/index.js';
import { TaskStateConflict } from './errors.js';
import { abortInFlight, enqueueStep, startNextTask, type PipelineDeps } from './pipeline.js';
import * as repo from './repo.js';
import type { Project, TaskRow } from './repo.js';

export interface ServiceDeps {
  db: Database;
  queue: Queue;
  log: Logger;
  pipeline: PipelineDeps;
}

export interface StartInput {
  project: Project;
  issueNumber: number;
  title: string;
  body: string | null;
  triggeredBy: string | null;
  trigger: 'label' | 'assignment' | 'comment' | 'api' | 'cli';
}

/** Starts the agents on an issue: one conversation and its planning task (nothing when one exists). */
export async function startConversation(deps: ServiceDeps, s: StartInput): Promise<{ conversationId: string; created: boolean }> {
  const existing = await repo.findConversationByIssue(deps.db.kysely, s.project.repositoryId, s.issueNumber);
  if (existing) return { conversationId: existing.id, created: false };
  const id = newId();
  const now = nowIso();
  let created = false;
  await deps.db.kysely.transaction().execute(async (tx) => {
    const r = await tx
      .insertInto('conversations')
      .values({
        id,
        project_id: s.project.id,
        repository_id: s.project.repositoryId,
        installation_id: s.project.installationId,
        issue_number: s.issueNumber,
        issue_title: s.title.slice(0, 500),
        issue_body: s.body,
        status: 'planning',
        triggered_by: s.triggeredBy,
        trigger: s.trigger,
        branch: `switchyard/issue-${s.issueNumber}`,
        base_branch: s.project.defaultBranch,
        pr_number: null,
        status_comment_id: null,
        head_sha: null,
        total_tokens: 0,
        total_cost_nano: 0,
        error_message: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['repository_id', 'issue_number']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return;
    created = true;
    const taskId = await repo.insertTask(tx, { conversationId: id, projectId: s.project.id, position: 0, title: 'Plan the work', agentType: 'orchestrator', priority: 1, definitionOfDone: ['a plan of at most 5 tasks'], phase: 'orchestrator' });
    await repo.updateTask(tx, taskId, { step_seq: 1 });
    await enqueueStep(deps.queue, tx, taskId, 1);
  });
  if (!created) {
    const again = await repo.findConversationByIssue(deps.db.kysely, s.project.repositoryId, s.issueNumber);
    return { conversationId: again!.id, created: false };
  }
  deps.log.info({ conversation: id, issue: s.issueNumber, repository: s.project.fullName, trigger: s.trigger, by: s.triggeredBy }, 'agents started on an issue');
  return { conversationId: id, created: true };
}

/** Cancels a conversation: unfinished tasks fail as cancelled, and no further turn runs. */
export async function cancelConversation(deps: ServiceDeps, conversationId: string, by: string): Promise<void> {
  await deps.db.kysely.transaction().execute(async (tx) => {
    await repo.updateConversation(tx, conversationId, { status: 'cancelled', error_message: `cancelled by ${by}` });
    for (const t of await repo.tasksOf(tx, conversationId)) {
      if (t.status === 'completed' || t.status === 'failed') continue;
      await repo.updateTask(tx, t.id, { status: 'failed', error_message: `cancelled by ${by}`, waiting_on: null, step_seq: t.step_seq + 1, completed_at: nowIso() });
    }
  });
  // Calls in flight here stop now; those in other processes within a second (they watch the row).
  abortInFlight(deps.pipeline, conversationId);
  deps.log.info({ conversation: conversationId, by }, 'agents conversation cancelled');
}

/** Runs a failed task again from the start of its phase (its conversation runs again). */
export async function retryTask(deps: ServiceDeps, task: TaskRow): Promise<void> {
  if (task.status !== 'failed') throw new TaskStateConflict(`Only a failed task can be retried (this one is ${task.status})`);
  await deps.db.kysely.transaction().execute(async (tx) => {
    const phase = task.phase === 'done' ? task.agent_type : task.phase;
    await repo.updateTask(tx, task.id, { status: 'pending', phase, error_message: null, waiting_on: null, wait_until: null, started_at: null, completed_at: null, turns: 0, step_seq: task.step_seq + 1 });
    await repo.updateConversation(tx, task.conversation_id, { status: 'running', error_message: null });
    await enqueueStep(deps.queue, tx, task.id, task.step_seq + 1);
  });
}

/** Resumes a waiting task now (after a budget was raised, a price added, a provider fixed). */
export async function resumeTask(deps: ServiceDeps, task: TaskRow): Promise<void> {
  if (!task.waiting_on) throw new TaskStateConflict('The task is not waiting');
  // It keeps `waiting_on` until its turn runs and takes a slot (a waiting task holds none).
  await deps.db.kysely.transaction().execute(async (tx) => {
    await repo.updateTask(tx, task.id, { wait_until: null, step_seq: task.step_seq + 1 });
    await enqueueStep(deps.queue, tx, task.id, task.step_seq + 1);
  });
}

/** Cancels one task (its conversation goes on with the next task). */
export async function cancelTask(deps: ServiceDeps, task: TaskRow, by: string): Promise<void> {
  if (task.status === 'completed' || task.status === 'failed') throw new TaskStateConflict(`The task is already ${task.status}`);
  await deps.db.kysely.transaction().execute(async (tx) => {
    await repo.updateTask(tx, task.id, { status: 'failed', error_message: `cancelled by ${by}`, waiting_on: null, step_seq: task.step_seq + 1, completed_at: nowIso() });
    await startNextTask(deps.pipeline, tx, task.conversation_id);
  });
  abortInFlight(deps.pipeline, task.conversation_id, task.id);
}

/** Wakes every task waiting on a budget (the guard decides again: a raised limit lets it go on). */
export async function wakeBudgetWaits(deps: ServiceDeps): Promise<number> {
  const tasks = await repo.dueWaitingTasks(deps.db.kysely, 'budget', new Date(Date.now() + 365 * 86_400_000).toISOString());
  for (const t of tasks) await resumeTask(deps, t).catch(() => undefined);
  return tasks.length;
}
