/** Input counting for reservations, and the periods budgets are aligned to. */
import { describe, expect, it } from 'vitest';
import { countInputTokens, estimateInputTokens } from './count-tokens.js';
import { periodEnd, periodKey, periodStart } from './periods.js';
import { usd } from './errors.js';

describe('countInputTokens', () => {
  it('counts with the model family encoding plus the chat framing', () => {
    // "hello world" is 2 tokens in both o200k_base and cl100k_base; 4 framing per message, 3 for the reply.
    expect(countInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello world' }] })).toBe(2 + 4 + 3);
    expect(countInputTokens({ model: 'gpt-4-0613', messages: [{ role: 'user', content: 'hello world' }] })).toBe(2 + 4 + 3);
    // The encodings differ on other text: "こんにちは世界" is 1 token in o200k_base, 5 in cl100k_base.
    const jp = { messages: [{ role: 'user' as const, content: 'こんにちは世界' }] };
    expect(countInputTokens({ model: 'gpt-4o', ...jp })).toBeLessThan(countInputTokens({ model: 'gpt-3.5-turbo', ...jp }));
  });

  it('counts the system prompt, tool calls, tool results, tool definitions and the JSON schema', () => {
    const base = countInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    const more = countInputTokens({
      model: 'gpt-4o',
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'read', arguments: '{"path":"a"}' }] },
        { role: 'tool', toolCallId: 'call_1', name: 'read', content: 'file body' },
      ],
      tools: [{ name: 'read', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
      jsonSchema: { name: 'plan', schema: { type: 'object' } },
    });
    expect(more - base).toBeGreaterThan(40);
  });

  it('applies the margin, rounding up', () => {
    const input = { model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: 'hello world' }] };
    expect(estimateInputTokens(input, 1.5)).toBe(Math.ceil(9 * 1.5));
    expect(estimateInputTokens(input, 0.5)).toBe(9);
  });
});

describe('periods (UTC)', () => {
  it('days start at 00:00, weeks on Monday, months on the 1st', () => {
    const sunday = new Date('2026-03-01T23:59:59.999Z');
    expect(periodKey('daily', sunday)).toBe('2026-03-01');
    expect(periodKey('weekly', sunday)).toBe('2026-02-23');
    expect(periodKey('monthly', sunday)).toBe('2026-03-01');
    expect(periodEnd('weekly', sunday).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(periodStart('weekly', new Date('2026-03-02T00:00:00Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(periodEnd('monthly', new Date('2026-12-31T12:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(periodEnd('daily', new Date('2028-02-28T05:00:00Z')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('usd', () => {
  it('shows nano-dollars exactly', () => {
    expect(usd(0)).toBe('0.00');
    expect(usd(2_500_000_000)).toBe('2.50');
    expect(usd(3_500_000)).toBe('0.0035');
    expect(usd(1)).toBe('0.000000001');
    expect(usd(-1_234_567_891)).toBe('-1.234567891');
  });
});
