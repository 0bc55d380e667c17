/**
 * Anthropic's Messages API through `@anthropic-ai/sdk`, always streamed: usage arrives in
 * `message_start` (input, cache reads and writes) and `message_delta` (output, cumulative); a
 * stream without `message_stop` was interrupted. Structured output is a forced tool call whose
 * input is the JSON object. SDK retries are off (`maxRetries: 0`).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsStreaming, MessageParam, ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { LlmToolCall } from '../contract.js';
import { classifySdkError, ProviderCallError, type ProviderAdapter, type ProviderCall, type ProviderReply } from './provider-call.js';

export interface AnthropicAdapterOptions {
  apiKey: string;
  baseURL?: string | null;
  scrub: (text: string) => string;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return { _raw: text };
  }
}

function toAnthropicMessages(req: ProviderCall): MessageParam[] {
  const out: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = out[out.length - 1];
    // Consecutive turns of one role are one message (tool results answer as one user turn).
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of req.messages) {
    if (m.role === 'user') push('user', [{ type: 'text', text: m.content }]);
    else if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }]);
    else {
      const blocks: ContentBlockParam[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseArguments(c.arguments) });
      push('assistant', blocks);
    }
  }
  return out;
}

const STOP: Record<string, ProviderReply['stopReason']> = { end_turn: 'end', stop_sequence: 'end', tool_use: 'tool_use', max_tokens: 'max_tokens' };

export function createAnthropicAdapter(options: AnthropicAdapterOptions): ProviderAdapter {
  // Everything explicit: nothing is read from the environment (ANTHROPIC_BASE_URL, config profiles).
  const client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL ?? 'https://api.anthropic.com', maxRetries: 0, timeout: 600_000 });
  return {
    usageFormat: { providerId: 'anthropic', flavor: 'default' },
    async call(req) {
      const tools = (req.tools ?? []).map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as Anthropic.Tool.InputSchema }));
      if (req.jsonSchema) tools.push({ name: req.jsonSchema.name, description: 'Answer with this JSON object.', input_schema: req.jsonSchema.schema as Anthropic.Tool.InputSchema });
      const body: MessageCreateParamsStreaming = {
        model: req.model,
        max_tokens: req.maxTokens,
        messages: toAnthropicMessages(req),
        stream: true,
        ...(req.system ? { system: req.system } : {}),
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        ...(tools.length > 0 ? { tools } : {}),
        ...(req.jsonSchema ? { tool_choice: { type: 'tool' as const, name: req.jsonSchema.name } } : {}),
      };
      let started = false;
      try {
        const { data: stream, request_id } = await client.messages.create(body, { signal: req.signal }).withResponse();
        started = true;
        let model = req.model;
        let usage: Record<string, unknown> | null = null;
        let stop: string | null = null;
        let stopped = false;
        const blocks = new Map<number, { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; json: string }>();
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start':
              model = event.message.model;
              usage = { ...(event.message.usage as unknown as Record<string, unknown>) };
              break;
            case 'content_block_start':
              if (event.content_block.type === 'text') blocks.set(event.index, { type: 'text', text: event.content_block.text ?? '' });
              else if (event.content_block.type === 'tool_use') blocks.set(event.index, { type: 'tool_use', id: event.content_block.id, name: event.content_block.name, json: '' });
              break;
            case 'content_block_delta': {
              const b = blocks.get(event.index);
              if (b?.type === 'text' && event.delta.type === 'text_delta') b.text += event.delta.text;
              else if (b?.type === 'tool_use' && event.delta.type === 'input_json_delta') b.json += event.delta.partial_json;
              break;
            }
            case 'message_delta': {
              stop = event.delta.stop_reason ?? stop;
              // Cumulative counts: what message_delta says replaces message_start's (nulls do not).
              const delta = Object.fromEntries(Object.entries(event.usage as unknown as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined));
              usage = { ...(usage ?? {}), ...delta };
              break;
            }
            case 'message_stop':
              stopped = true;
              break;
            default:
              break;
          }
        }
        if (!stopped || !usage) throw new ProviderCallError('the stream ended before message_stop (interrupted)', 'interrupted', null, null);
        let text = '';
        const toolCalls: LlmToolCall[] = [];
        for (const [, b] of [...blocks.entries()].sort((x, y) => x[0] - y[0])) {
          if (b.type === 'text') text += b.text;
          else if (req.jsonSchema && b.name === req.jsonSchema.name) text += b.json || '{}';
          else toolCalls.push({ id: b.id, name: b.name, arguments: b.json || '{}' });
        }
        const stopReason = req.jsonSchema && stop === 'tool_use' && toolCalls.length === 0 ? 'end' : ((stop ? STOP[stop] : undefined) ?? 'other');
        return { text, toolCalls, stopReason, model, rawUsage: usage, requestId: request_id ?? null };
      } catch (err) {
        if (err instanceof ProviderCallError) throw err;
        throw classifySdkError(err, options.scrub, started);
      }
    },
  };
}
