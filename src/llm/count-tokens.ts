/**
 * Input tokens counted locally before a call, for the worst-case reservation: OpenAI's own
 * encodings through `gpt-tokenizer` (o200k_base for current models, cl100k_base for GPT-4 and
 * 3.5), the chat framing added per message, and a margin for vendors whose tokenizers differ
 * (Anthropic's is not public; see DEFAULT_MARGIN).
 */
import { createRequire } from 'node:module';
import type { LlmMessage, LlmToolDefinition } from './contract.js';
import type { ProviderKind } from './tables.js';

/**
 * Margin on the o200k count per provider kind. OpenAI: 1.0 (the count is the provider's own, plus
 * framing). Others: 1.5 — Anthropic's tokenizers since Claude 3 are not published, and their counts
 * run above o200k's on code and non-English text; a provider row may set its own (`token_margin`),
 * checked against `token_usage.estimated_input_tokens` vs `input_tokens`.
 */
export const DEFAULT_MARGIN: Record<ProviderKind, number> = { openai: 1.0, 'openai-compatible': 1.5, anthropic: 1.5 };

/** Tokens of framing per message and per reply (OpenAI's chat format: <|start|>role…<|end|>). */
const PER_MESSAGE = 4;
const PER_REPLY = 3;

type Count = (text: string) => number;
const requireHere = createRequire(import.meta.url);
const encodings = new Map<string, Count>();

/**
 * An encoding's counter, loaded on first use: the two encodings take ~0.7 s to load, which every
 * process that never counts a token (a webhook server without agents, each CLI command) would pay
 * at start.
 */
function encoding(name: 'o200k_base' | 'cl100k_base'): Count {
  let count = encodings.get(name);
  if (!count) {
    count = (requireHere(`gpt-tokenizer/encoding/${name}`) as { countTokens: Count }).countTokens;
    encodings.set(name, count);
  }
  return count;
}

function counter(model: string): Count {
  return encoding(/^(gpt-4(?!o|\.\d)|gpt-3\.5)/.test(model) ? 'cl100k_base' : 'o200k_base');
}

export interface InputToCount {
  model: string;
  system?: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  jsonSchema?: { name: string; schema: Record<string, unknown> };
}

/** Counts the input of a call (before the margin). */
export function countInputTokens(input: InputToCount): number {
  const count = counter(input.model);
  let n = PER_REPLY;
  if (input.system) n += PER_MESSAGE + count(input.system);
  for (const m of input.messages) {
    n += PER_MESSAGE + count(m.content);
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) n += PER_MESSAGE + count(c.name) + count(c.arguments) + count(c.id);
    if (m.role === 'tool') n += count(m.toolCallId) + count(m.name);
  }
  for (const t of input.tools ?? []) n += PER_MESSAGE + count(t.name) + count(t.description) + count(JSON.stringify(t.parameters));
  if (input.jsonSchema) n += PER_MESSAGE + count(input.jsonSchema.name) + count(JSON.stringify(input.jsonSchema.schema));
  return n;
}

/** The input estimate a reservation uses: the count times the margin, rounded up. */
export function estimateInputTokens(input: InputToCount, margin: number): number {
  return Math.ceil(countInputTokens(input) * Math.max(1, margin));
}
