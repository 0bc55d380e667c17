/**
 * OpenAI and OpenAI-compatible endpoints through the official `openai` SDK (6.x: 7.x needs Node
 * 22): Chat Completions, always streamed with `stream_options.include_usage`, so a stream that
 * ends without its usage chunk is known to be interrupted. SDK retries are off (`maxRetries: 0`):
 * every attempt passes the budget guard.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { LlmToolCall } from '../contract.js';
import { classifySdkError, ProviderCallError, type ProviderAdapter, type ProviderCall, type ProviderReply } from './provider-call.js';

export interface OpenAiAdapterOptions {
  apiKey: string;
  baseURL?: string | null;
  /** `openai` sends `max_completion_tokens`; compatible servers mostly know only `max_tokens`. */
  compatible: boolean;
  scrub: (text: string) => string;
}

function toOpenAiMessages(req: ProviderCall): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (req.system) out.push({ role: 'system', content: req.system });
  for (const m of req.messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    else {
      const calls = m.toolCalls ?? [];
      out.push({
        role: 'assistant',
        content: m.content,
        ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
      });
    }
  }
  return out;
}

const STOP: Record<string, ProviderReply['stopReason']> = { stop: 'end', tool_calls: 'tool_use', function_call: 'tool_use', length: 'max_tokens' };

export function createOpenAiAdapter(options: OpenAiAdapterOptions): ProviderAdapter {
  // Everything explicit: nothing is read from the environment (OPENAI_BASE_URL, OPENAI_ORG_ID …).
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? 'https://api.openai.com/v1', organization: null, project: null, maxRetries: 0, timeout: 600_000 });
  return {
    usageFormat: { providerId: 'openai', flavor: 'chat' },
    async call(req) {
      const body: ChatCompletionCreateParamsStreaming = {
        model: req.model,
        messages: toOpenAiMessages(req),
        stream: true,
        stream_options: { include_usage: true },
        ...(options.compatible ? { max_tokens: req.maxTokens } : { max_completion_tokens: req.maxTokens }),
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        ...(req.tools && req.tools.length > 0
          ? { tools: req.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) }
          : {}),
        ...(req.jsonSchema ? { response_format: { type: 'json_schema' as const, json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema } } } : {}),
      };
      let started = false;
      try {
        const { data: stream, request_id } = await client.chat.completions.create(body, { signal: req.signal }).withResponse();
        started = true;
        let text = '';
        let model = req.model;
        let finish: string | null = null;
        let usage: Record<string, unknown> | null = null;
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        for await (const chunk of stream) {
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = chunk.usage as unknown as Record<string, unknown>;
          for (const choice of chunk.choices ?? []) {
            if (choice.delta?.content) text += choice.delta.content;
            for (const tc of choice.delta?.tool_calls ?? []) {
              const c = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
              if (tc.id) c.id = tc.id;
              if (tc.function?.name) c.name += tc.function.name;
              if (tc.function?.arguments) c.arguments += tc.function.arguments;
              calls.set(tc.index, c);
            }
            if (choice.finish_reason) finish = choice.finish_reason;
          }
        }
        if (!usage) throw new ProviderCallError('the stream ended without its usage chunk (interrupted)', 'interrupted', null, null);
        const toolCalls: LlmToolCall[] = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
        return { text, toolCalls, stopReason: (finish ? STOP[finish] : undefined) ?? 'other', model, rawUsage: usage, requestId: request_id ?? null };
      } catch (err) {
        if (err instanceof ProviderCallError) throw err;
        throw classifySdkError(err, options.scrub, started);
      }
    },
  };
}
