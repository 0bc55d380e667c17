/**
 * LLM providers, prices and budgets (src/llm): provider rows (keys encrypted), admin price
 * overrides with start dates, budget limits with their per-period counters and the open
 * reservations held against them, one `token_usage` row per call and the daily roll-up reports
 * read (`token_usage_daily`). Scope columns (project, agent, agent type, task, conversation) are
 * plain ids: the agents slice's tables come later and own their own references.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';
import { columnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  const trueValue = dialect === 'postgres' ? sql`true` : sql`1`;

  await db.schema
    .createTable('llm_providers')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull()) // openai, openai-compatible, anthropic
    .addColumn('base_url', 'text') // null: the vendor's own
    .addColumn('api_key', 'text') // encrypted, write-only
    .addColumn('price_provider', 'text') // @pydantic/genai-prices provider id (openai, anthropic, groq, …)
    .addColumn('token_margin', 'real') // input-count margin for non-OpenAI tokenizers (null: default per kind)
    .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(trueValue))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('llm_price_overrides')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull()) // the model name as the provider reports it (exact)
    .addColumn('price_provider', 'text') // null: any provider
    .addColumn('input_nano_per_mtok', t.bigint, (c) => c.notNull()) // nano-dollars per million tokens
    .addColumn('output_nano_per_mtok', t.bigint, (c) => c.notNull())
    .addColumn('cache_read_nano_per_mtok', t.bigint)
    .addColumn('cache_write_nano_per_mtok', t.bigint)
    .addColumn('max_output_tokens', 'integer')
    .addColumn('starts_at', t.timestamp, (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('llm_price_overrides_model').on('llm_price_overrides').columns(['model', 'starts_at']).execute();

  await db.schema
    .createTable('budget_limits')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('scope', 'text', (c) => c.notNull()) // global, project, agent, agent_type
    .addColumn('scope_key', 'text', (c) => c.notNull()) // '' for global; the project/agent id or the agent type
    .addColumn('period', 'text', (c) => c.notNull()) // daily, weekly, monthly
    .addColumn('amount_nano_usd', t.bigint, (c) => c.notNull())
    .addColumn('alert_threshold', 'real', (c) => c.notNull().defaultTo(0.8))
    .addColumn('action_on_exceed', 'text', (c) => c.notNull()) // warn, block
    .addColumn('installation_id', t.bigint) // who is told (null: administrators)
    .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(trueValue))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('budget_limits_scope_period', ['scope', 'scope_key', 'period'])
    .execute();

  await db.schema
    .createTable('budget_counters')
    .addColumn('budget_id', t.id, (c) => c.notNull().references('budget_limits.id').onDelete('cascade'))
    .addColumn('period_start', 'text', (c) => c.notNull()) // YYYY-MM-DD (UTC)
    .addColumn('spent_nano_usd', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_nano_usd', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('warned_at', t.timestamp)
    .addColumn('critical_at', t.timestamp)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_counters_pk', ['budget_id', 'period_start'])
    .execute();

  await db.schema
    .createTable('budget_reservations')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('amount_nano_usd', t.bigint) // null: an unpriced model under warn budgets only
    .addColumn('counters', t.json, (c) => c.notNull()) // [{budget_id, period_start}]
    .addColumn('call', t.json, (c) => c.notNull()) // provider, model, scope, estimate: what an interrupted settle records
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('budget_reservations_expires').on('budget_reservations').column('expires_at').execute();

  await db.schema
    .createTable('token_usage')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('usage_date', 'text', (c) => c.notNull()) // YYYY-MM-DD (UTC) of the call
    .addColumn('provider_id', t.id)
    .addColumn('provider_kind', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull()) // as the provider reported it
    .addColumn('requested_model', 'text', (c) => c.notNull())
    .addColumn('installation_id', t.bigint)
    .addColumn('project_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('agent_type', 'text')
    .addColumn('task_id', 'text')
    .addColumn('conversation_id', 'text')
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('cache_read_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cache_write_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reasoning_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_nano_usd', t.bigint) // null: unpriced
    .addColumn('cost_status', 'text', (c) => c.notNull()) // priced, unpriced, interrupted, repriced
    .addColumn('price_source', 'text') // genai-prices@<version>, override:<id>
    .addColumn('reserved_nano_usd', t.bigint)
    .addColumn('estimated_input_tokens', 'integer') // counted locally before the call (margin checks)
    .addColumn('provider_request_id', 'text')
    .addColumn('reservation_id', t.id)
    .addColumn('interrupted', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_usage_reservation').on('token_usage').column('reservation_id').execute();
  await db.schema.createIndex('token_usage_unpriced').on('token_usage').columns(['cost_status', 'id']).execute();
  await db.schema.createIndex('token_usage_task').on('token_usage').columns(['task_id', 'id']).execute();

  await db.schema
    .createTable('token_usage_daily')
    .addColumn('usage_date', 'text', (c) => c.notNull())
    .addColumn('installation_id', t.bigint, (c) => c.notNull()) // 0: none
    .addColumn('project_id', 'text', (c) => c.notNull()) // '': none
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('agent_type', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addColumn('input_tokens', t.bigint, (c) => c.notNull())
    .addColumn('output_tokens', t.bigint, (c) => c.notNull())
    .addColumn('cache_read_tokens', t.bigint, (c) => c.notNull())
    .addColumn('cache_write_tokens', t.bigint, (c) => c.notNull())
    .addColumn('reasoning_tokens', t.bigint, (c) => c.notNull())
    .addColumn('cost_nano_usd', t.bigint, (c) => c.notNull()) // priced calls only
    .addColumn('unpriced_calls', 'integer', (c) => c.notNull())
    .addColumn('interrupted_calls', 'integer', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('token_usage_daily_pk', ['usage_date', 'installation_id', 'project_id', 'agent_id', 'agent_type', 'model'])
    // SQLite: stored in key order, so a month's report reads one contiguous range.
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();
}
