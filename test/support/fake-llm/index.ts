/**
 * Fake LLM providers for tests: one HTTP server that speaks OpenAI's Chat Completions
 * (`POST /v1/chat/completions`) and Anthropic's Messages API (`POST /v1/messages`), streamed (SSE
 * with usage: `stream_options.include_usage`; `message_start`/`message_delta`) or not, and answers
 * what each test scripts. The real `openai` and `@anthropic-ai/sdk` clients talk to it. Every
 * request and every answer (body or stream event) is validated against the providers' own API
 * descriptions (../shared/api-specs; see spec-validator.ts): `specErrors` lists what did not match.
 *
 * @example
 * const llm = await startFakeLlm();
 * llm.script({ text: 'Hello', usage: { input: 12, output: 3 } }, { error: 429, retryAfter: 2 });
 * // provider rows: kind 'openai' with base_url llm.openaiBaseUrl, or kind 'anthropic' with llm.anthropicBaseUrl
 * expect(llm.requests).toHaveLength(2);
 * expect(llm.specErrors).toEqual([]);
 * await llm.close();
 *
 * Replies are taken in order, whichever API asks; when none is scripted the fallback answers
 * (text "ok" unless `setFallback` changed it).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { specValidator } from './spec-validator.js';

/** Token counts a reply reports. `input` counts every input token, cache reads and writes included. */
export interface FakeUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

interface ReplyCommon {
  /** The model the answer names (default: the requested one). Dated names test pricing. */
  model?: string;
  usage?: FakeUsage;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type FakeReply =
  | (ReplyCommon & { text: string; stop?: 'end' | 'max_tokens' })
  | (ReplyCommon & { toolCalls: Array<{ id?: string; name: string; arguments: string | Record<string, unknown> }>; text?: string })
  /** An HTTP error instead of an answer (429 with `retryAfter` seconds, 500, 529 …). */
  | { error: number; retryAfter?: number; retryAfterMs?: number; message?: string; delayMs?: number }
  /** 200, some text, then an error event inside the stream. */
  | (ReplyCommon & { midStreamError: true; text?: string; message?: string })
  /** The connection is destroyed: before any header, or after some of the stream. */
  | (ReplyCommon & { drop: 'before-headers' | 'mid-stream'; text?: string })
  /** The stream ends cleanly but without its usage chunk (OpenAI) or `message_stop` (Anthropic). */
  | (ReplyCommon & { truncated: true; text?: string })
  /** Never answers (until the client gives up). */
  | { hang: true };

export interface FakeLlmRequest {
  api: 'openai' | 'anthropic';
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeLlm {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** For the openai SDK (`baseURL`): `${baseUrl}/v1`. */
  openaiBaseUrl: string;
  /** For @anthropic-ai/sdk (`baseURL`): the origin (the SDK adds /v1/messages). */
  anthropicBaseUrl: string;
  /** Queues replies, answered in order. */
  script(...replies: FakeReply[]): void;
  /** The answer when nothing is scripted (null: answer 500 "nothing scripted"). */
  setFallback(reply: FakeReply | null): void;
  /** Replies still queued. */
  pending(): number;
  /** Every request received, in order. */
  requests: FakeLlmRequest[];
  /** Requests and answers that did not match the providers' API descriptions. */
  specErrors: string[];
  close(): Promise<void>;
}

function roughTokens(body: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4));
}

let seq = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++seq).toString(36).padStart(6, '0')}`;

export async function startFakeLlm(options: { validate?: boolean } = {}): Promise<FakeLlm> {
  const queue: FakeReply[] = [];
  let fallback: FakeReply | null = { text: 'ok' };
  const requests: FakeLlmRequest[] = [];
  const specErrors: string[] = [];
  const validator = options.validate === false ? null : specValidator();
  const sockets = new Set<Socket>();

  const check = (vendor: 'openai' | 'anthropic', schema: string, data: unknown, where: string) => {
    if (!validator) return;
    for (const e of validator.check(vendor, schema, data)) specErrors.push(`${where}: ${e}`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          body = {};
        }
        const path = (req.url ?? '').split('?')[0] ?? '';
        const api = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/v1/messages') ? 'anthropic' : null;
        if (!api || req.method !== 'POST') {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `fake-llm: no route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: null } }));
          return;
        }
        requests.push({ api, path, headers: req.headers, body });
        if (api === 'openai') check('openai', 'CreateChatCompletionRequest', body, 'request');
        else check('anthropic', 'CreateMessageParams', body, 'request');
        const reply = queue.shift() ?? fallback;
        if (!reply) {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake-llm: nothing scripted', type: 'server_error', param: null, code: null } }));
          return;
        }
        if ('delayMs' in reply && reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if ('hang' in reply) return; // the client's timeout or abort ends it
        if (api === 'openai') answerOpenAi(req, res, body, reply, check);
        else answerAnthropic(req, res, body, reply, check);
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    openaiBaseUrl: `${baseUrl}/v1`,
    anthropicBaseUrl: baseUrl,
    script: (...replies) => void queue.push(...replies),
    setFallback: (r) => void (fallback = r),
    pending: () => queue.length,
    requests,
    specErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type Check = (vendor: 'openai' | 'anthropic', schema: string, data: unknown, where: string) => void;

interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

function usageOf(reply: FakeReply, body: Record<string, unknown>, text: string): Usage {
  const u = 'usage' in reply && reply.usage ? reply.usage : {};
  return {
    input: u.input ?? roughTokens(body.messages) + roughTokens(body.system ?? '') + roughTokens(body.tools ?? ''),
    output: u.output ?? Math.max(1, Math.ceil(text.length / 4)),
    cacheRead: u.cacheRead ?? 0,
    cacheWrite: u.cacheWrite ?? 0,
    reasoning: u.reasoning ?? 0,
  };
}

function errorFor(status: number): { openai: string; anthropic: string } {
  if (status === 429) return { openai: 'rate_limit_exceeded', anthropic: 'rate_limit_error' };
  if (status === 529) return { openai: 'server_error', anthropic: 'overloaded_error' };
  if (status === 401) return { openai: 'invalid_api_key', anthropic: 'authentication_error' };
  if (status === 403) return { openai: 'permission_denied', anthropic: 'permission_error' };
  if (status === 404) return { openai: 'not_found', anthropic: 'not_found_error' };
  if (status === 400) return { openai: 'invalid_request_error', anthropic: 'invalid_request_error' };
  return { openai: 'server_error', anthropic: 'api_error' };
}

function retryHeaders(reply: { retryAfter?: number; retryAfterMs?: number }): Record<string, string> {
  const h: Record<string, string> = {};
  if (reply.retryAfter !== undefined) h['retry-after'] = String(reply.retryAfter);
  if (reply.retryAfterMs !== undefined) h['retry-after-ms'] = String(reply.retryAfterMs);
  return h;
}

function sse(res: http.ServerResponse, data: string, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${data}\n\n`);
}

// --- OpenAI ----------------------------------------------------------------------------------

function openAiUsage(u: Usage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, audio_tokens: 0, ...(u.cacheWrite ? { cache_write_tokens: u.cacheWrite } : {}) },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function answerOpenAi(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>, reply: FakeReply, check: Check): void {
  const requestId = nextId('req_');
  if ('hang' in reply) return;
  if ('error' in reply) {
    const e = { error: { message: reply.message ?? `fake-llm: error ${reply.error}`, type: errorFor(reply.error).openai, param: null, code: errorFor(reply.error).openai } };
    check('openai', 'ErrorResponse', e, `openai ${reply.error}`);
    res.writeHead(reply.error, { 'content-type': 'application/json', 'x-request-id': requestId, ...retryHeaders(reply) }).end(JSON.stringify(e));
    return;
  }
  if ('drop' in reply && reply.drop === 'before-headers') {
    req.socket.destroy();
    return;
  }
  const model = reply.model ?? String(body.model ?? 'unknown');
  const id = nextId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const text = 'text' in reply && reply.text ? reply.text : '';
  const toolCalls =
    'toolCalls' in reply
      ? reply.toolCalls.map((c) => ({ id: c.id ?? nextId('call_'), type: 'function' as const, function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } }))
      : [];
  const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop' in reply && reply.stop === 'max_tokens' ? 'length' : 'stop';
  const usage = openAiUsage(usageOf(reply, body, text + JSON.stringify(toolCalls)));

  if (body.stream !== true) {
    const out = {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: toolCalls.length && !text ? null : text, refusal: null, annotations: [], ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, logprobs: null, finish_reason: finish }],
      usage,
    };
    check('openai', 'CreateChatCompletionResponse', out, 'openai response');
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId }).end(JSON.stringify(out));
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': requestId });
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
    const c = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, ...(includeUsage ? { usage: null } : {}), ...extra };
    check('openai', 'CreateChatCompletionStreamResponse', c, 'openai chunk');
    sse(res, JSON.stringify(c));
  };
  chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
  const pieces = text.match(/.{1,8}/gs) ?? [];
  for (const p of pieces) chunk([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }]);
  if ('drop' in reply) {
    req.socket.destroy();
    return;
  }
  if ('midStreamError' in reply) {
    const e = { error: { message: reply.message ?? 'fake-llm: the server had an error while processing your request', type: 'server_error', param: null, code: null } };
    check('openai', 'ErrorResponse', e, 'openai stream error');
    sse(res, JSON.stringify(e));
    res.end();
    return;
  }
  toolCalls.forEach((tc, index) => {
    chunk([{ index: 0, delta: { tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] }, logprobs: null, finish_reason: null }]);
    for (const a of tc.function.arguments.match(/.{1,16}/gs) ?? []) chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: a } }] }, logprobs: null, finish_reason: null }]);
  });
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
  if ('truncated' in reply) {
    res.end();
    return;
  }
  if (includeUsage) {
    const last = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage };
    check('openai', 'CreateChatCompletionStreamResponse', last, 'openai usage chunk');
    sse(res, JSON.stringify(last));
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

// --- Anthropic -------------------------------------------------------------------------------

function anthropicUsage(u: Usage) {
  return {
    input_tokens: Math.max(0, u.input - u.cacheRead - u.cacheWrite),
    output_tokens: u.output,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
  };
}

function answerAnthropic(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>, reply: FakeReply, check: Check): void {
  const requestId = nextId('req_');
  if ('hang' in reply) return;
  if ('error' in reply) {
    const e = { type: 'error', error: { type: errorFor(reply.error).anthropic, message: reply.message ?? `fake-llm: error ${reply.error}` }, request_id: requestId };
    check('anthropic', 'ErrorResponse', e, `anthropic ${reply.error}`);
    res.writeHead(reply.error, { 'content-type': 'application/json', 'request-id': requestId, ...retryHeaders(reply) }).end(JSON.stringify(e));
    return;
  }
  if ('drop' in reply && reply.drop === 'before-headers') {
    req.socket.destroy();
    return;
  }
  const model = reply.model ?? String(body.model ?? 'unknown');
  const id = nextId('msg_');
  const text = 'text' in reply && reply.text ? reply.text : '';
  const toolCalls = 'toolCalls' in reply ? reply.toolCalls.map((c) => ({ id: c.id ?? nextId('toolu_'), name: c.name, input: typeof c.arguments === 'string' ? (JSON.parse(c.arguments) as unknown) : c.arguments })) : [];
  const stop = toolCalls.length > 0 ? 'tool_use' : 'stop' in reply && reply.stop === 'max_tokens' ? 'max_tokens' : 'end_turn';
  const u = usageOf(reply, body, text + JSON.stringify(toolCalls));
  const usage = anthropicUsage(u);
  const content = [
    ...(text ? [{ type: 'text', text, citations: null }] : []),
    ...toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input })),
  ];

  if (body.stream !== true) {
    const out = { id, type: 'message', role: 'assistant', model, content, stop_reason: stop, stop_sequence: null, usage, container: null };
    check('anthropic', 'Message', out, 'anthropic response');
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId }).end(JSON.stringify(out));
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': requestId });
  const event = (name: string, data: Record<string, unknown>, schema: string | null) => {
    if (schema) check('anthropic', schema, data, `anthropic ${name}`);
    sse(res, JSON.stringify(data), name);
  };
  event('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 }, container: null } }, 'MessageStartEvent');
  event('ping', { type: 'ping' }, null);
  let index = 0;
  if (text || toolCalls.length === 0) {
    event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } }, 'ContentBlockStartEvent');
    for (const p of text.match(/.{1,8}/gs) ?? []) event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } }, 'ContentBlockDeltaEvent');
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    if ('midStreamError' in reply) {
      const e = { type: 'error', error: { type: 'overloaded_error', message: reply.message ?? 'Overloaded' }, request_id: requestId };
      check('anthropic', 'ErrorResponse', e, 'anthropic stream error');
      sse(res, JSON.stringify(e), 'error');
      res.end();
      return;
    }
    event('content_block_stop', { type: 'content_block_stop', index }, 'ContentBlockStopEvent');
    index++;
  }
  for (const c of toolCalls) {
    event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }, 'ContentBlockStartEvent');
    for (const p of JSON.stringify(c.input).match(/.{1,16}/gs) ?? []) event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } }, 'ContentBlockDeltaEvent');
    event('content_block_stop', { type: 'content_block_stop', index }, 'ContentBlockStopEvent');
    index++;
  }
  event(
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: stop, stop_sequence: null, container: null },
      usage: { output_tokens: u.output, input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens, server_tool_use: null },
    },
    'MessageDeltaEvent',
  );
  if ('truncated' in reply) {
    res.end();
    return;
  }
  event('message_stop', { type: 'message_stop' }, 'MessageStopEvent');
  res.end();
}
