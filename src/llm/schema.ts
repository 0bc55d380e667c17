/** Zod schemas of the LLM API (requests and responses), with the types inferred from them. */
import { z } from 'zod';

export const providerKind = z.enum(['openai', 'openai-compatible', 'anthropic']);

export const providerItem = z.object({
  id: z.string(),
  name: z.string(),
  kind: providerKind,
  base_url: z.string().nullable(),
  has_api_key: z.boolean().describe('Whether a key is stored (keys are write-only: never returned)'),
  price_provider: z.string().nullable().describe('@pydantic/genai-prices provider id used for prices (default: by kind)'),
  token_margin: z.number().nullable().describe('Margin on locally counted input tokens (default 1.0 for openai, 1.5 otherwise)'),
  enabled: z.boolean(),
  input_estimate: z
    .object({
      calls: z.number().describe('Recent calls compared (up to 1,000)'),
      max_ratio: z.number().nullable().describe('Largest provider-counted input ÷ local estimate (margin included); above 1 means the margin was too small'),
      over_estimate: z.number().describe('Calls whose input exceeded the estimate'),
    })
    .optional()
    .describe('How the local input count (gpt-tokenizer × token_margin) compared with what the provider counted'),
  created_at: z.string(),
  updated_at: z.string(),
});

const baseUrl = z.url().max(500).refine((u) => /^https?:\/\//.test(u), 'http(s) only');
export const createProviderBody = z.object({
  name: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ -'),
  kind: providerKind,
  base_url: baseUrl.nullable().optional(),
  api_key: z.string().min(1).max(1000).optional().describe('Write-only; stored encrypted'),
  price_provider: z.string().min(1).max(100).nullable().optional(),
  token_margin: z.number().min(1).max(5).nullable().optional(),
  enabled: z.boolean().optional(),
});
export const patchProviderBody = createProviderBody.partial().extend({ api_key: z.string().min(1).max(1000).nullable().optional().describe('Write-only; null removes it') });
export const providerParams = z.object({ provider: z.string().min(1).max(100).describe('Provider id or name') });

const money = { nano: z.number().int(), usd: z.string() };
export const budgetItem = z.object({
  id: z.string(),
  name: z.string().nullable(),
  scope: z.enum(['global', 'project', 'agent', 'agent_type']),
  scope_key: z.string(),
  period: z.enum(['daily', 'weekly', 'monthly']),
  amount_nano_usd: money.nano,
  amount_usd: money.usd,
  alert_threshold: z.number(),
  action_on_exceed: z.enum(['warn', 'block']),
  installation_id: z.number().nullable(),
  enabled: z.boolean(),
  period_start: z.string().describe('Start of the current period (UTC date)'),
  resets_at: z.string(),
  spent_nano_usd: money.nano,
  spent_usd: money.usd,
  reserved_nano_usd: money.nano.describe('Held by calls in flight'),
  reserved_usd: money.usd,
  remaining_nano_usd: money.nano,
  remaining_usd: money.usd,
  created_at: z.string(),
  updated_at: z.string(),
});
export const createBudgetBody = z.object({
  name: z.string().min(1).max(200).nullable().optional(),
  scope: z.enum(['global', 'project', 'agent', 'agent_type']),
  scope_key: z.string().max(200).optional().describe('Project id, agent id or agent type; absent for global'),
  period: z.enum(['daily', 'weekly', 'monthly']),
  amount_usd: z.number().min(0).max(1_000_000),
  alert_threshold: z.number().gt(0).max(1).optional().describe('Default 0.80'),
  action_on_exceed: z.enum(['warn', 'block']),
  installation_id: z.number().int().nullable().optional().describe('Whose people see it and are told (null: administrators)'),
  enabled: z.boolean().optional(),
});
export const patchBudgetBody = createBudgetBody.pick({ name: true, amount_usd: true, alert_threshold: true, action_on_exceed: true, installation_id: true, enabled: true }).partial();
export const idParams = z.object({ id: z.uuid() });

export const usageQuery = z.object({
  by: z.enum(['day', 'model', 'agent', 'project', 'agent_type']).default('day'),
  from: z.iso.date().optional().describe('First day (UTC), default 30 days ago'),
  to: z.iso.date().optional().describe('Last day (UTC), default today'),
  project_id: z.string().max(200).optional(),
  agent_id: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(366),
});
export const usageItem = z.object({
  key: z.string(),
  calls: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cache_write_tokens: z.number(),
  reasoning_tokens: z.number(),
  cost_nano_usd: money.nano,
  cost_usd: money.usd,
  unpriced_calls: z.number(),
  interrupted_calls: z.number(),
});
export const usageResponse = z.object({ by: z.string(), from: z.string(), to: z.string(), items: z.array(usageItem), total: usageItem.omit({ key: true }) });

export const priceOverrideItem = z.object({
  id: z.string(),
  model: z.string(),
  price_provider: z.string().nullable(),
  input_usd_per_mtok: z.number(),
  output_usd_per_mtok: z.number(),
  cache_read_usd_per_mtok: z.number().nullable(),
  cache_write_usd_per_mtok: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  starts_at: z.string(),
  note: z.string().nullable(),
  created_at: z.string(),
});
export const createPriceBody = z.object({
  model: z.string().min(1).max(200).describe('The model name as the provider reports it (exact)'),
  price_provider: z.string().min(1).max(100).nullable().optional(),
  input_usd_per_mtok: z.number().min(0).max(10_000),
  output_usd_per_mtok: z.number().min(0).max(10_000),
  cache_read_usd_per_mtok: z.number().min(0).max(10_000).nullable().optional(),
  cache_write_usd_per_mtok: z.number().min(0).max(10_000).nullable().optional(),
  max_output_tokens: z.number().int().min(1).max(10_000_000).nullable().optional(),
  starts_at: z.iso.datetime({ offset: true }).optional().describe('When it takes effect (default now)'),
  note: z.string().max(500).nullable().optional(),
});
export const pricesResponse = z.object({ bundled: z.object({ package: z.literal('@pydantic/genai-prices'), version: z.string(), auto_update: z.literal(false) }), overrides: z.array(priceOverrideItem) });
export const priceCheckQuery = z.object({ model: z.string().min(1).max(200), provider: z.string().min(1).max(100).optional().describe('An LLM provider (name or id) or a genai-prices provider id') });
export const priceCheckResponse = z.object({
  model: z.string(),
  priced: z.boolean(),
  source: z.string().nullable(),
  input_usd_per_mtok: z.number().nullable(),
  output_usd_per_mtok: z.number().nullable(),
  cache_read_usd_per_mtok: z.number().nullable(),
  cache_write_usd_per_mtok: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  context_window: z.number().nullable(),
});
export const repriceResponse = z.object({ repriced: z.number(), still_unpriced: z.number() });
