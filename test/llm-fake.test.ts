/**
 * The fake LLM servers' own checks: the validator they use really rejects what the providers'
 * descriptions do not allow (so an empty `specErrors` means something), the OpenAPI 3.0
 * `nullable` fix converts what the descriptions' README counts, and non-streamed answers match too.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeLlm, type FakeLlm } from './support/fake-llm/index.js';
import { normaliseNullable, SPECS_DIR, specValidator } from './support/fake-llm/spec-validator.js';

const validator = specValidator();

describe.skipIf(!validator)('fake LLM servers against the API descriptions', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('the validator rejects bodies the descriptions do not allow', () => {
    expect(validator!.check('openai', 'CreateChatCompletionResponse', { id: 'x' }).length).toBeGreaterThan(0);
    expect(validator!.check('openai', 'CompletionUsage', { prompt_tokens: 'many' }).length).toBeGreaterThan(0);
    expect(validator!.check('anthropic', 'MessageDeltaEvent', { type: 'message_delta', delta: {} }).length).toBeGreaterThan(0);
    expect(validator!.check('anthropic', 'ErrorResponse', { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' }, request_id: null })).toEqual([]);
  });

  it('turns every OpenAPI 3.0 nullable of the OpenAI description into 3.1 (111 at this commit)', () => {
    const doc = YAML.parse(fs.readFileSync(path.join(SPECS_DIR, 'openai-openapi.yaml'), 'utf8')) as unknown;
    expect(normaliseNullable(doc)).toBe(111);
  }, 30_000);

  it('non-streamed answers (text and tool use) validate, and the SDKs read them', async () => {
    const openai = new OpenAI({ apiKey: 'sk-test-nonstream', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    fake.script({ text: 'plain', usage: { input: 5, output: 1 } });
    const a = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 10 });
    expect(a.choices[0]!.message.content).toBe('plain');
    expect(a.usage?.prompt_tokens).toBe(5);
    const anthropic = new Anthropic({ apiKey: 'sk-ant-test-nonstream', baseURL: fake.anthropicBaseUrl, maxRetries: 0 });
    fake.script({ toolCalls: [{ name: 'go', arguments: { x: 1 } }], usage: { input: 50, output: 4, cacheRead: 30 } });
    const b = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(b.content[0]).toMatchObject({ type: 'tool_use', name: 'go', input: { x: 1 } });
    expect(b.usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 30, output_tokens: 4 });
    expect(fake.specErrors).toEqual([]);
  });

  it('records a request that breaks the description', async () => {
    const before = fake.specErrors.length;
    await fetch(`${fake.baseUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: 'not a list' }) }).then((r) => r.text());
    expect(fake.specErrors.length).toBeGreaterThan(before);
    fake.specErrors.length = before;
  });
});
