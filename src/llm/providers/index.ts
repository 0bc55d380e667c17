/** Provider adapters by kind, built from a provider row with its key opened. */
import { scrubSecrets } from '../../log/index.js';
import type { ProviderKind } from '../tables.js';
import { createAnthropicAdapter } from './anthropic-adapter.js';
import { createOpenAiAdapter } from './openai-adapter.js';
import type { ProviderAdapter } from './provider-call.js';

export type { ProviderAdapter, ProviderCall, ProviderReply, FailureKind } from './provider-call.js';
export { ProviderCallError, retryAfterMs } from './provider-call.js';

/** Removes the key (and anything shaped like a vendor key) from text headed for a log or an error. */
export function keyScrubber(apiKey: string): (text: string) => string {
  return (text) => scrubSecrets(text, [apiKey]).replace(/\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_-]{8,}/g, '$1***');
}

export function createAdapter(p: { kind: ProviderKind; apiKey: string; baseUrl: string | null }): ProviderAdapter {
  const scrub = keyScrubber(p.apiKey);
  if (p.kind === 'anthropic') return createAnthropicAdapter({ apiKey: p.apiKey, baseURL: p.baseUrl, scrub });
  return createOpenAiAdapter({ apiKey: p.apiKey, baseURL: p.baseUrl, compatible: p.kind === 'openai-compatible', scrub });
}
