/**
 * What every provider adapter takes and gives back: one streamed request, its text and tool
 * calls, the model the provider reports and its raw usage object (read by genai-prices'
 * `extractUsage`), or a `ProviderCallError` saying whether to retry and whether the provider may
 * already have charged for it (`interrupted`).
 */
import type { LlmMessage, LlmResult, LlmToolCall, LlmToolDefinition } from '../contract.js';

export interface ProviderCall {
  model: string;
  system?: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  maxTokens: number;
  temperature?: number;
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal: AbortSignal;
}

export interface ProviderReply {
  text: string;
  toolCalls: LlmToolCall[];
  stopReason: LlmResult['stopReason'];
  /** The model the provider reports (a dated name, often). */
  model: string;
  /** The response's usage object as the provider sent it (after a stream: assembled from its events). */
  rawUsage: Record<string, unknown>;
  requestId: string | null;
}

export interface ProviderAdapter {
  /** genai-prices' provider id and API flavour whose extractor reads `rawUsage`. */
  readonly usageFormat: { providerId: string; flavor: string };
  call(req: ProviderCall): Promise<ProviderReply>;
}

export type FailureKind =
  /** 429, 5xx, 529: the provider refused before doing the work; nothing is charged. */
  | 'refused-retryable'
  /** 4xx other than 429: a request that will never succeed as it is. */
  | 'refused'
  /** The request never left (connection refused, no such host). */
  | 'not-sent'
  /** The response started (or may have) and did not finish: dropped, timed out, aborted, error event mid-stream. */
  | 'interrupted';

export class ProviderCallError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly status: number | null,
    readonly retryAfterMs: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderCallError';
  }
}

/** Reads `retry-after-ms` / `retry-after` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(headers: Headers | undefined | null, now = Date.now()): number | null {
  if (!headers) return null;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (!ra) return null;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Maps an SDK error (openai and @anthropic-ai/sdk share the shape) to a ProviderCallError. */
export function classifySdkError(err: unknown, scrub: (s: string) => string, responseStarted: boolean): ProviderCallError {
  const e = err as { status?: number; headers?: Headers; name?: string; message?: string; cause?: { code?: string; cause?: { code?: string } } };
  const message = scrub(e?.message ?? String(err));
  const status = typeof e?.status === 'number' ? e.status : null;
  if (status !== null && !responseStarted) {
    const retryable = status === 429 || status === 408 || status === 409 || status >= 500;
    return new ProviderCallError(`provider answered ${status}: ${message}`, retryable ? 'refused-retryable' : 'refused', status, retryable ? retryAfterMs(e.headers) : null);
  }
  const code = e?.cause?.code ?? e?.cause?.cause?.code;
  if (!responseStarted && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    return new ProviderCallError(`provider not reachable (${code})`, 'not-sent', null, null);
  }
  return new ProviderCallError(`call interrupted: ${message}`, 'interrupted', status, null);
}
