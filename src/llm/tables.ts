/**
 * The LLM slice's tables (migration 0007_llm), merged into the shared Schema type.
 *
 * Glossary:
 * - budget: a limit (`budget_limits`) on what calls of one scope may cost per period; `warn`
 *   budgets only notify, `block` budgets refuse the call that would cross them.
 * - counter: a budget's spent and reserved nano-dollars in one period (`budget_counters`).
 * - reservation: a call's worst-case cost held on every applicable counter until it settles
 *   (`budget_reservations`; deleted when settled).
 */
import type { Bool, JsonText } from '../db/schema.js';

export type ProviderKind = 'openai' | 'openai-compatible' | 'anthropic';
/** `task`: a task's own budget (the agents' per-task limit), made by the guard, period `lifetime`. */
export type BudgetScope = 'global' | 'project' | 'agent' | 'agent_type' | 'task';
export type BudgetPeriod = 'daily' | 'weekly' | 'monthly' | 'lifetime';
export type BudgetAction = 'warn' | 'block';
/** priced: from the price table; unpriced: no price (cost null); interrupted: charged at the reservation; repriced: priced later by `llm reprice`. */
export type CostStatus = 'priced' | 'unpriced' | 'interrupted' | 'repriced';

export interface LlmProvidersTable {
  id: string;
  name: string;
  kind: ProviderKind;
  base_url: string | null;
  /** Encrypted (`llm_providers.api_key`); never returned by the API. */
  api_key: string | null;
  price_provider: string | null;
  token_margin: number | null;
  enabled: Bool;
  created_at: string;
  updated_at: string;
}

export interface LlmPriceOverridesTable {
  id: string;
  model: string;
  price_provider: string | null;
  input_nano_per_mtok: number;
  output_nano_per_mtok: number;
  cache_read_nano_per_mtok: number | null;
  cache_write_nano_per_mtok: number | null;
  max_output_tokens: number | null;
  starts_at: string;
  note: string | null;
  created_at: string;
}

export interface BudgetLimitsTable {
  id: string;
  name: string | null;
  scope: BudgetScope;
  scope_key: string;
  period: BudgetPeriod;
  amount_nano_usd: number;
  alert_threshold: number;
  action_on_exceed: BudgetAction;
  installation_id: number | null;
  enabled: Bool;
  created_at: string;
  updated_at: string;
}

export interface BudgetCountersTable {
  budget_id: string;
  period_start: string;
  spent_nano_usd: number;
  reserved_nano_usd: number;
  warned_at: string | null;
  critical_at: string | null;
  updated_at: string;
}

export interface BudgetReservationsTable {
  id: string;
  amount_nano_usd: number | null;
  counters: JsonText;
  call: JsonText;
  expires_at: string;
  created_at: string;
}

export interface TokenUsageTable {
  id: string;
  usage_date: string;
  provider_id: string | null;
  provider_kind: string;
  model: string;
  requested_model: string;
  installation_id: number | null;
  project_id: string | null;
  agent_id: string | null;
  agent_type: string | null;
  task_id: string | null;
  conversation_id: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: number | null;
  cost_status: CostStatus;
  price_source: string | null;
  reserved_nano_usd: number | null;
  estimated_input_tokens: number | null;
  provider_request_id: string | null;
  reservation_id: string | null;
  interrupted: Bool;
  created_at: string;
}

export interface TokenUsageDailyTable {
  usage_date: string;
  installation_id: number;
  project_id: string;
  agent_id: string;
  agent_type: string;
  model: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: number;
  unpriced_calls: number;
  interrupted_calls: number;
  updated_at: string;
}

declare module '../db/schema.js' {
  interface Schema {
    llm_providers: LlmProvidersTable;
    llm_price_overrides: LlmPriceOverridesTable;
    budget_limits: BudgetLimitsTable;
    budget_counters: BudgetCountersTable;
    budget_reservations: BudgetReservationsTable;
    token_usage: TokenUsageTable;
    token_usage_daily: TokenUsageDailyTable;
  }
}
