/**
 * `switchyard agents run owner/name#123 | tasks | show | cancel | retry | resume`: the LLM agents
 * from a terminal. `run` starts them on an issue as the label would (a running worker does the
 * work); `show` prints a conversation with its tasks and messages, tokens and cost.
 */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard } from '../app.js';
import { parseJson } from '../db/index.js';
import { agentsRepo, cancelConversation, cancelTask, formatUsd, resumeTask, retryTask } from '../automations/agents/index.js';
import { findRepositoryId } from '../state/index.js';

const ALL = { all: true } as const;
const ISSUE = /^([\w.-]+\/[\w.-]+)#(\d+)$/;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

type App = Awaited<ReturnType<typeof createSwitchyard>>;

async function withApp(configOrExit: () => Promise<Config>, fn: (app: App) => Promise<void>): Promise<void> {
  const config = await configOrExit();
  const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    // Enqueue only (the queue must be started to enqueue on PostgreSQL); workers do the work.
    await app.queue.start({ work: false, schedule: false });
    await fn(app);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  } finally {
    await app.stop();
  }
}

/** A conversation by id or by owner/name#123. */
async function conversationOf(app: App, ref: string) {
  const m = ISSUE.exec(ref);
  if (m) {
    const id = await findRepositoryId(app.db, m[1]!, ALL);
    const c = id ? await agentsRepo.findConversationByIssue(app.db.kysely, id, Number(m[2])) : null;
    if (!c) fail(`No agents conversation for ${ref}`);
    return c;
  }
  const c = /^[0-9a-f-]{36}$/.test(ref) ? await agentsRepo.findConversation(app.db.kysely, ref, ALL) : null;
  if (!c) fail(`No agents conversation ${ref} (give its id or owner/name#123)`);
  return c;
}

async function taskOf(app: App, id: string) {
  const t = /^[0-9a-f-]{36}$/.test(id) ? await agentsRepo.getTask(app.db.kysely, id) : null;
  if (!t) fail(`No task ${id}`);
  return t;
}

function taskLine(t: { id: string; position: number; title: string; agent_type: string; status: string; waiting_on: string | null; cost_nano: number; tokens: number; error_message: string | null }): string {
  const wait = t.waiting_on ? ` (waiting on ${t.waiting_on})` : '';
  const err = t.status === 'failed' && t.error_message ? ` — ${t.error_message}` : '';
  return `${t.id}  ${t.position}. ${t.title}  [${t.agent_type}] ${t.status}${wait}  ${Number(t.tokens)} tokens  ${formatUsd(Number(t.cost_nano))}${err}`;
}

export function registerAgentsCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const agents = program.command('agents').description('LLM agents on GitHub issues');

  agents
    .command('run <issue>')
    .description('start the agents on an issue (owner/name#123) now, as the label would; a running worker does the work')
    .action(async (ref: string) => {
      const m = ISSUE.exec(ref);
      if (!m) fail('name the issue as owner/name#123');
      await withApp(configOrExit, async (app) => {
        if (!app.appCredentials.current()) fail('No GitHub App is configured (run `switchyard setup`, or set APP_ID and PRIVATE_KEY)');
        const r = await app.agents.startOnIssue(m[1]!, Number(m[2]), 'cli', 'cli');
        console.log(r.created ? `Started: conversation ${r.conversationId} (the orchestrator plans next).` : `Already running or done: conversation ${r.conversationId}.`);
      });
    });

  agents
    .command('tasks')
    .description('tasks, newest first')
    .option('-s, --status <status>', 'pending, in_progress, testing, review, completed or failed')
    .option('-n, --limit <n>', 'how many', (v) => Number(v), 30)
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; limit: number; json?: boolean }) => {
      await withApp(configOrExit, async (app) => {
        const rows = await agentsRepo.listTasks(app.db.kysely, ALL, { limit: Math.max(1, Math.min(500, opts.limit || 30)), status: opts.status as never });
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('No tasks.');
        for (const t of rows) console.log(`${t.full_name}#${t.issue_number}  ${taskLine(t)}`);
      });
    });

  agents
    .command('show <conversation>')
    .description('a conversation (its id or owner/name#123): tasks, then messages with tokens and cost')
    .option('--json', 'print JSON')
    .option('-n, --messages <n>', 'how many of the latest messages', (v) => Number(v), 50)
    .action(async (ref: string, opts: { json?: boolean; messages: number }) => {
      await withApp(configOrExit, async (app) => {
        const c = await conversationOf(app, ref);
        const tasks = await agentsRepo.tasksOf(app.db.kysely, c.id);
        const messages = (await agentsRepo.listMessages(app.db.kysely, c.id, { limit: Math.max(1, Math.min(500, opts.messages || 50)) })).reverse();
        if (opts.json) return console.log(JSON.stringify({ conversation: c, tasks, messages }, null, 2));
        console.log(`#${c.issue_number} ${c.issue_title}`);
        console.log(`status ${c.status} · branch ${c.branch}${c.pr_number ? ` · PR #${c.pr_number}` : ''} · ${Number(c.total_tokens)} tokens · ${formatUsd(Number(c.total_cost_nano))}`);
        console.log('\nTasks:');
        for (const t of tasks) console.log(`  ${taskLine(t)}`);
        console.log('\nMessages:');
        for (const m of messages) {
          const calls = parseJson<Array<{ name: string }>>(m.tool_calls, []).map((x) => x.name);
          const usage = m.input_tokens !== null ? ` (${Number(m.input_tokens)}+${Number(m.output_tokens)} tokens, ${formatUsd(Number(m.cost_nano ?? 0))}, ${m.model})` : '';
          const text = m.content.replace(/\s+/g, ' ').slice(0, 200);
          console.log(`  ${m.created_at} ${m.author ?? m.role}/${m.role}${usage}: ${text}${calls.length ? ` → ${calls.join(', ')}` : ''}`);
        }
      });
    });

  agents
    .command('cancel <target>')
    .description('cancel a conversation (owner/name#123 or its id: every unfinished task) or one task (its id)')
    .action(async (ref: string) => {
      await withApp(configOrExit, async (app) => {
        const task = /^[0-9a-f-]{36}$/.test(ref) ? await agentsRepo.getTask(app.db.kysely, ref) : null;
        if (task) {
          await cancelTask(app.agents.service, task, 'cli');
          return console.log(`Task ${task.id} cancelled.`);
        }
        const c = await conversationOf(app, ref);
        await cancelConversation(app.agents.service, c.id, 'cli');
        console.log(`Conversation ${c.id} cancelled.`);
      });
    });

  agents
    .command('retry <task>')
    .description('run a failed task again')
    .action(async (id: string) => {
      await withApp(configOrExit, async (app) => {
        await retryTask(app.agents.service, await taskOf(app, id));
        console.log(`Task ${id} queued again.`);
      });
    });

  agents
    .command('resume <task>')
    .description('resume a waiting task now (after raising a budget, adding a price, fixing a provider)')
    .action(async (id: string) => {
      await withApp(configOrExit, async (app) => {
        await resumeTask(app.agents.service, await taskOf(app, id));
        console.log(`Task ${id} resumes.`);
      });
    });
}
