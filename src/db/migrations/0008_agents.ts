/**
 * LLM agents on GitHub issues (src/automations/agents): projects (a repository, its trigger, its
 * declared commands and limits), agents (five roles with a model configuration), one conversation
 * per issue with its participants and messages (each LLM call with tokens, cost and model; human
 * replies), tasks (the orchestrator's plan, each with status, `waiting_on` and rounds) and agent
 * memory. token_usage and budget_limits belong to the LLM layer (0007).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);

  await db.schema
    .createTable('projects')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('repository_id', t.id, (c) => c.notNull().unique().references('repositories.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('trigger_label', 'text', (c) => c.notNull().defaultTo('switchyard'))
    .addColumn('assignee_logins', t.json, (c) => c.notNull()) // JSON array of logins whose assignment triggers
    .addColumn('commands', t.json, (c) => c.notNull()) // JSON { install?, test?, lint? }
    .addColumn('limits', t.json, (c) => c.notNull()) // JSON { max_running_tasks, task_minutes, task_budget_usd }
    .addColumn('enabled', t.bool, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('project_id', t.id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull()) // orchestrator, architect, coder, tester, reviewer
    .addColumn('model_config', t.json, (c) => c.notNull()) // JSON { provider, model, temperature, max_tokens, max_turns }
    .addColumn('system_prompt', 'text')
    .addColumn('rules_file_path', 'text') // e.g. AGENTS.md, read from the repository as data
    .addColumn('enabled', t.bool, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('agents_project_role', ['project_id', 'role'])
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('project_id', t.id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('repository_id', t.id, (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('installation_id', t.bigint)
    .addColumn('issue_number', 'integer', (c) => c.notNull())
    .addColumn('issue_title', 'text', (c) => c.notNull())
    .addColumn('issue_body', 'text') // as the trigger's payload carried it (untrusted data)
    .addColumn('status', 'text', (c) => c.notNull()) // planning, running, completed, failed, cancelled
    .addColumn('triggered_by', 'text') // GitHub login
    .addColumn('trigger', 'text') // label, assignment, comment, cli, api
    .addColumn('branch', 'text', (c) => c.notNull())
    .addColumn('base_branch', 'text')
    .addColumn('pr_number', 'integer')
    .addColumn('status_comment_id', t.bigint)
    .addColumn('head_sha', 'text')
    .addColumn('total_tokens', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('total_cost_nano', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('error_message', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('conversations_issue', ['repository_id', 'issue_number'])
    .execute();
  await db.schema.createIndex('conversations_project').on('conversations').columns(['project_id', 'id']).execute();

  await db.schema
    .createTable('conversation_participants')
    .addColumn('conversation_id', t.id, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('agent_id', t.id, (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('joined_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_participants_pk', ['conversation_id', 'agent_id'])
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('conversation_id', t.id, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('project_id', t.id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull()) // 0 = the orchestrator's planning task
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('agent_type', 'text', (c) => c.notNull()) // orchestrator, architect, coder, tester, reviewer
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('definition_of_done', t.json, (c) => c.notNull()) // JSON array of strings
    .addColumn('status', 'text', (c) => c.notNull()) // pending, in_progress, testing, review, completed, failed
    .addColumn('waiting_on', 'text') // budget, human, provider (null: not waiting)
    .addColumn('wait_until', t.timestamp)
    .addColumn('phase', 'text', (c) => c.notNull()) // who acts next: orchestrator, architect, coder, tester, reviewer, done
    .addColumn('step_seq', 'integer', (c) => c.notNull().defaultTo(0)) // the turn the next job runs (jobs of older turns are no-ops)
    .addColumn('turns', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('test_rounds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('review_rounds', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result', 'text') // the design note, the test summary, the review
    .addColumn('cost_nano', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('tokens', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('error_message', 'text')
    .addColumn('started_at', t.timestamp)
    .addColumn('completed_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('tasks_position', ['conversation_id', 'position'])
    .execute();
  await db.schema.createIndex('tasks_status').on('tasks').columns(['status', 'project_id']).execute();
  await db.schema.createIndex('tasks_waiting').on('tasks').columns(['waiting_on']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('conversation_id', t.id, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('task_id', t.id, (c) => c.references('tasks.id').onDelete('cascade'))
    .addColumn('agent_id', t.id, (c) => c.references('agents.id').onDelete('set null'))
    .addColumn('thread', 'text') // groups one agent's turns in one round (e.g. coder:0), replayed to the model
    .addColumn('role', 'text', (c) => c.notNull()) // user, assistant, tool, human, system
    .addColumn('author', 'text') // agent role or GitHub/Switchyard login
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('tool_calls', t.json) // JSON [{id, name, arguments}]
    .addColumn('tool_call_id', 'text')
    .addColumn('tool_name', 'text')
    .addColumn('model', 'text')
    .addColumn('input_tokens', 'integer')
    .addColumn('output_tokens', 'integer')
    .addColumn('cost_nano', t.bigint)
    .addColumn('token_usage_id', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute();
  await db.schema.createIndex('messages_thread').on('messages').columns(['task_id', 'thread', 'id']).execute();

  await db.schema
    .createTable('agent_memory')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('project_id', t.id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('agent_id', t.id, (c) => c.references('agents.id').onDelete('cascade')) // null: every agent of the project
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('importance', 'integer', (c) => c.notNull())
    .addColumn('expires_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agent_memory_project').on('agent_memory').columns(['project_id', 'importance']).execute();
  await db.schema.createIndex('agent_memory_key').on('agent_memory').columns(['project_id', 'category', 'key']).execute();
}
