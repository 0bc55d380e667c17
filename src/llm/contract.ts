/**
 * The contract between the LLM layer (src/llm: providers, prices, budget guard, usage) and its
 * callers (src/automations/agents). Types only: the LLM slice implements `LlmClient`; agents call
 * `complete` and never talk to a provider SDK or the budget tables themselves.
 *
 * Glossary:
 * - scope: what a call is charged to; every budget whose scope matches (global, the project, the
 *   agent, the agent type) is checked before the call and charged after it.
 * - reservation: the worst-case cost of a call (input counted locally + max_tokens), held on every
 *   applicable budget before the request leaves; settled at actual usage afterwards.
 * - nano-dollars: money is an integer number of 1e-9 USD everywhere; shown as USD at the edges.
 */

/** One message of a conversation as the model sees it. */
export type LlmMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: LlmToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface LlmToolCall {
  id: string;
  name: string;
  /** The arguments as the model sent them (JSON text, parsed by the caller with zod). */
  arguments: string;
}

export interface LlmToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments (e.g. from z.toJSONSchema). */
  parameters: Record<string, unknown>;
}

/** What a call is charged to. */
export interface LlmScope {
  projectId?: string | null;
  agentId?: string | null;
  /** orchestrator | architect | coder | tester | reviewer */
  agentType?: string | null;
  taskId?: string | null;
  conversationId?: string | null;
  /** Installation whose people see the call's usage (scoping of reports and notices). */
  installationId?: number | null;
  /**
   * The task's own limit in nano-dollars (with `taskId`): reserved on like every other budget, in
   * the same transaction; a call that would cross it is refused (`BudgetExceededError`, scope `task`).
   */
  taskBudgetNanoUsd?: number | null;
}

export interface LlmRequest {
  /** An `llm_providers` row id, or a provider name configured by the administrator. */
  provider: string;
  model: string;
  system?: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  /** Always set; clamped to the model's output limit. */
  maxTokens: number;
  temperature?: number;
  /** Ask for a JSON object matching this JSON Schema (structured output). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  scope: LlmScope;
  /** Aborts the request; the call then settles at its reserved amount, flagged interrupted. */
  signal?: AbortSignal;
  /** Per-call wall clock (default 120 s). */
  timeoutMs?: number;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface LlmResult {
  text: string;
  toolCalls: LlmToolCall[];
  stopReason: 'end' | 'tool_use' | 'max_tokens' | 'other';
  /** The model the provider reports (e.g. a dated name). */
  model: string;
  usage: LlmUsage;
  /** Null when the model is unpriced (only possible under warn budgets). */
  costNanoUsd: number | null;
  /** The `token_usage` row this call wrote. */
  tokenUsageId: string;
  providerRequestId: string | null;
}

export interface LlmClient {
  /**
   * Reserves on every applicable budget, calls the provider once (no SDK retries), settles.
   * Throws `BudgetExceededError` (before any request leaves) when a block budget would be crossed,
   * `ModelUnpricedError` when a block budget applies to an unpriced model, and
   * `ProviderRetryableError` (with `retryAfterMs`) on 429/5xx/dropped connections.
   */
  complete(request: LlmRequest): Promise<LlmResult>;
}

/** Error codes the LLM slice throws (its errors extend AppError with these codes). */
export const LLM_ERROR_CODES = {
  budgetExceeded: 'BUDGET_EXCEEDED',
  modelUnpriced: 'MODEL_UNPRICED',
  providerRetryable: 'LLM_PROVIDER_RETRYABLE',
  providerFailed: 'LLM_PROVIDER_FAILED',
} as const;
