/**
 * The LLM slice against the fake providers through the real SDKs: text, tool calls, structured
 * output, usage from the stream, dated model names priced, one token_usage row per call, the
 * provider's errors mapped (429 with retry-after, 500, 529, mid-stream error, dropped connection,
 * truncated stream, timeout), and no key anywhere but the request's own header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './support/databases.js';
import { startLlmHarness, type LlmHarness } from './support/fake-llm/harness.js';
import { ProviderFailedError, ProviderRetryableError } from '../src/llm/index.js';

const ask = (provider: string, model: string, extra: Record<string, unknown> = {}) => ({
  provider,
  model,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: 'Say hello.' }],
  maxTokens: 200,
  scope: { projectId: 'p1', agentId: 'a1', agentType: 'coder', taskId: 't1' },
  ...extra,
});

describe.each(dialects)('LLM providers (%s)', (dialect) => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await startLlmHarness(dialect);
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(['openai', 'anthropic'])('a streamed answer through the real %s SDK: text, usage, the reported (dated) model priced', async (provider) => {
    const model = provider === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5';
    const dated = provider === 'openai' ? 'gpt-4o-2024-08-06' : 'claude-sonnet-4-5-20250929';
    h.fake.script({ text: 'Hello there, friend.', model: dated, usage: { input: 1000, output: 100, cacheRead: 200 } });
    const r = await h.llm.complete(ask(provider, model));
    expect(r.text).toBe('Hello there, friend.');
    expect(r.model).toBe(dated);
    expect(r.stopReason).toBe('end');
    expect(r.usage).toEqual({ inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200, cacheWriteTokens: 0, reasoningTokens: 0 });
    // gpt-4o: $2.50 in, $1.25 cached, $10 out per Mtok; claude-sonnet-4-5: $3 in, $0.30 cache read, $15 out.
    const expected = provider === 'openai' ? 800 * 2500 + 200 * 1250 + 100 * 10000 : 800 * 3000 + 200 * 300 + 100 * 15000;
    expect(r.costNanoUsd).toBe(expected);
    const row = await h.t.db.kysely.selectFrom('token_usage').selectAll().where('id', '=', r.tokenUsageId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ model: dated, requested_model: model, input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200, cost_status: 'priced', project_id: 'p1', agent_type: 'coder', task_id: 't1' });
    expect(Number(row.cost_nano_usd)).toBe(expected);
    expect(row.provider_request_id).toBe(r.providerRequestId);
    expect(r.providerRequestId).toMatch(/^req_/);
    const sent = h.fake.requests.at(-1)!;
    expect(sent.body.stream).toBe(true);
    if (provider === 'openai') expect(sent.body.stream_options).toEqual({ include_usage: true });
    expect(h.fake.specErrors).toEqual([]);
  });

  it.each(['openai', 'anthropic'])('tool calls come back with their ids and arguments (%s), and go back as tool results', async (provider) => {
    const model = provider === 'openai' ? 'gpt-4.1' : 'claude-sonnet-4-5';
    h.fake.script({ toolCalls: [{ id: 'call_1', name: 'read_file', arguments: { path: 'README.md' } }, { id: 'call_2', name: 'list', arguments: { dir: '.' } }] });
    const tools = [
      { name: 'read_file', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
      { name: 'list', description: 'Lists a folder', parameters: { type: 'object', properties: { dir: { type: 'string' } }, required: ['dir'] } },
    ];
    const r = await h.llm.complete(ask(provider, model, { tools }));
    expect(r.stopReason).toBe('tool_use');
    expect(r.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])).toEqual([
      ['call_1', 'read_file', { path: 'README.md' }],
      ['call_2', 'list', { dir: '.' }],
    ]);
    h.fake.script({ text: 'Done.' });
    const r2 = await h.llm.complete(
      ask(provider, model, {
        tools,
        messages: [
          { role: 'user', content: 'Read it.' },
          { role: 'assistant', content: '', toolCalls: r.toolCalls },
          { role: 'tool', toolCallId: 'call_1', name: 'read_file', content: '# Title' },
          { role: 'tool', toolCallId: 'call_2', name: 'list', content: 'README.md' },
        ],
      }),
    );
    expect(r2.text).toBe('Done.');
    const body = h.fake.requests.at(-1)!.body as { messages: Array<Record<string, unknown>> };
    if (provider === 'openai') expect(body.messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(['call_1', 'call_2']);
    else expect((body.messages.at(-1)!.content as Array<{ type: string; tool_use_id: string }>).map((b) => [b.type, b.tool_use_id])).toEqual([['tool_result', 'call_1'], ['tool_result', 'call_2']]);
    expect(h.fake.specErrors).toEqual([]);
  });

  it('structured output: a JSON schema becomes response_format (OpenAI) or a forced tool (Anthropic)', async () => {
    const jsonSchema = { name: 'plan', schema: { type: 'object', properties: { tasks: { type: 'array', items: { type: 'string' } } }, required: ['tasks'] } };
    h.fake.script({ text: '{"tasks":["a"]}' });
    const a = await h.llm.complete(ask('openai', 'gpt-4o-mini', { jsonSchema }));
    expect(JSON.parse(a.text)).toEqual({ tasks: ['a'] });
    expect(h.fake.requests.at(-1)!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'plan' } });
    h.fake.script({ toolCalls: [{ name: 'plan', arguments: { tasks: ['b'] } }] });
    const b = await h.llm.complete(ask('anthropic', 'claude-sonnet-4-5', { jsonSchema }));
    expect(JSON.parse(b.text)).toEqual({ tasks: ['b'] });
    expect(b.toolCalls).toEqual([]);
    expect(h.fake.requests.at(-1)!.body.tool_choice).toEqual({ type: 'tool', name: 'plan' });
    expect(h.fake.specErrors).toEqual([]);
  });

  it('max_tokens is always sent and clamped to the model output limit', async () => {
    h.fake.script({ text: 'x' }, { text: 'y' });
    await h.llm.complete(ask('openai', 'gpt-4o', { maxTokens: 1_000_000 }));
    expect(h.fake.requests.at(-1)!.body.max_completion_tokens).toBe(16_384);
    await h.llm.complete(ask('anthropic', 'claude-3-5-haiku-20241022', { maxTokens: 1_000_000 }));
    expect(h.fake.requests.at(-1)!.body.max_tokens).toBe(8_192);
  });

  it.each([
    ['openai', 429],
    ['anthropic', 429],
    ['openai', 500],
    ['anthropic', 529],
  ] as const)('%s %i: ProviderRetryableError with retry-after, nothing charged, no token_usage row', async (provider, status) => {
    const before = await h.t.db.kysely.selectFrom('token_usage').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    h.fake.script({ error: status, retryAfter: 7 });
    const err = await h.llm.complete(ask(provider, provider === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRetryableError);
    expect((err as ProviderRetryableError).retryAfterMs).toBe(7000);
    expect((err as ProviderRetryableError).providerStatus).toBe(status);
    expect((err as ProviderRetryableError).interrupted).toBe(false);
    const after = await h.t.db.kysely.selectFrom('token_usage').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const open = await h.t.db.kysely.selectFrom('budget_reservations').selectAll().execute();
    expect(open).toEqual([]);
    expect(h.fake.specErrors).toEqual([]);
  });

  it.each([
    ['openai', { midStreamError: true as const, text: 'partial answer' }],
    ['anthropic', { midStreamError: true as const, text: 'partial answer' }],
    ['openai', { drop: 'mid-stream' as const, text: 'partial answer' }],
    ['anthropic', { drop: 'mid-stream' as const, text: 'partial answer' }],
    ['openai', { drop: 'before-headers' as const }],
    ['openai', { truncated: true as const, text: 'no usage follows' }],
    ['anthropic', { truncated: true as const, text: 'no message_stop follows' }],
  ])('%s %j: retryable, settled at the reservation and flagged interrupted', async (provider, reply) => {
    h.fake.script(reply);
    const err = await h.llm.complete(ask(provider, provider === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRetryableError);
    expect((err as ProviderRetryableError).interrupted).toBe(true);
    const row = await h.t.db.kysely.selectFrom('token_usage').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row.cost_status).toBe('interrupted');
    expect(Number(row.interrupted)).toBe(1);
    expect(Number(row.cost_nano_usd)).toBe(Number(row.reserved_nano_usd));
    expect(Number(row.cost_nano_usd)).toBeGreaterThan(0);
  });

  it('a timeout ends the call: retryable, interrupted, settled at the reservation', async () => {
    h.fake.script({ hang: true });
    const err = await h.llm.complete(ask('openai', 'gpt-4o', { timeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRetryableError);
    expect((err as ProviderRetryableError).interrupted).toBe(true);
    const row = await h.t.db.kysely.selectFrom('token_usage').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row.cost_status).toBe('interrupted');
  });

  it("the caller's abort: ProviderFailedError, interrupted", async () => {
    h.fake.script({ hang: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err = await h.llm.complete(ask('anthropic', 'claude-sonnet-4-5', { signal: ac.signal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailedError);
    expect((err as ProviderFailedError).interrupted).toBe(true);
  });

  it('a 401 is not retryable, and the key appears in no error, log or stored row', async () => {
    h.fake.script({ error: 401, message: `Incorrect API key provided: ${h.keys.openai}` });
    const err = await h.llm.complete(ask('openai', 'gpt-4o')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderFailedError);
    expect((err as Error).message).not.toContain(h.keys.openai);
    expect((err as Error).message).toContain('401');
    const sent = h.fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${h.keys.openai}`);
    h.fake.script({ error: 401, message: `invalid x-api-key ${h.keys.anthropic}` });
    const err2 = await h.llm.complete(ask('anthropic', 'claude-sonnet-4-5')).catch((e: unknown) => e);
    expect((err2 as Error).message).not.toContain(h.keys.anthropic);
    // @anthropic-ai/sdk 1.x sends the key as a bearer token.
    const h2 = h.fake.requests.at(-1)!.headers;
    expect([h2['x-api-key'], h2.authorization]).toContain(h2['x-api-key'] ? h.keys.anthropic : `Bearer ${h.keys.anthropic}`);
    const logs = h.logs.join('');
    expect(logs).not.toContain(h.keys.openai);
    expect(logs).not.toContain(h.keys.anthropic);
    const stored = await h.t.db.kysely.selectFrom('llm_providers').select('api_key').execute();
    for (const s of stored) {
      expect(s.api_key).toMatch(/^enc:v1:/);
      expect(s.api_key).not.toContain(h.keys.openai.slice(8));
    }
  });
});
