/**
 * `LlmClient.complete`: the one way Switchyard calls a model. In order: find the provider, price
 * the requested model, clamp `max_tokens`, count the input, reserve the worst case on every
 * applicable budget (committed before the request leaves), call the provider once (streamed, no
 * SDK retries, a wall clock), then settle at the usage the provider reports priced for the model
 * it reports — or at the reservation when the call was interrupted, or release it when the
 * provider refused before working.
 */
import type { Database } from '../db/index.js';
import type { SecretBox } from '../identity/index.js';
import type { Logger } from '../log/index.js';
import type { LlmClient, LlmRequest, LlmResult } from './contract.js';
import { DEFAULT_MARGIN, estimateInputTokens } from './count-tokens.js';
import { LlmProviderNotFound, ProviderFailedError, ProviderRetryableError } from './errors.js';
import type { BudgetGuard, ReservedCall, SettledCall } from './guard.js';
import type { PriceQuote, PriceTable } from './prices.js';
import { createAdapter, keyScrubber, ProviderCallError, type ProviderAdapter, type ProviderReply } from './providers/index.js';
import { findProviderRow, type ProviderRow } from './repo.js';
import { toBool } from '../db/index.js';
import { readUsage, toLlmUsage } from './usage.js';
import type { Executor } from '../db/index.js';

/** The provider rows' encrypted column (AES-GCM associated data). */
export const API_KEY_COLUMN = 'llm_providers.api_key';

export const DEFAULT_TIMEOUT_MS = 120_000;
/** How long after its wall clock a reservation may stay open before the expiry job settles it. */
export const RESERVATION_GRACE_MS = 60_000;
/** max_tokens for models whose output limit is unknown (and above which nothing is reserved). */
export const UNKNOWN_MODEL_MAX_TOKENS = 32_768;

export interface LlmRequestExtras {
  /** Runs inside the settle transaction (e.g. task and message totals), with the call's token_usage row id. */
  onSettle?: (tx: Executor, settled: SettledCall) => Promise<void>;
}

export interface ClientDeps {
  db: Database;
  box: SecretBox;
  log: Logger;
  guard: BudgetGuard;
  prices: PriceTable;
  now: () => Date;
  /** Told once per model that has no price (admins). */
  unpriced: (model: string) => Promise<void>;
}

interface ResolvedProvider {
  row: ProviderRow;
  adapter: ProviderAdapter;
  scrub: (s: string) => string;
}

export function createLlmClient(deps: ClientDeps): LlmClient & { complete(request: LlmRequest & LlmRequestExtras): Promise<LlmResult> } {
  const log = deps.log.child({ slice: 'llm' });
  const adapters = new Map<string, { updatedAt: string; resolved: ResolvedProvider }>();

  async function provider(ref: string): Promise<ResolvedProvider> {
    const row = await findProviderRow(deps.db.kysely, ref);
    if (!row || !toBool(row.enabled)) throw new LlmProviderNotFound(ref);
    const cached = adapters.get(row.id);
    if (cached && cached.updatedAt === row.updated_at) return cached.resolved;
    const apiKey = deps.box.openNullable(row.api_key, API_KEY_COLUMN) ?? 'none';
    const resolved = { row, adapter: createAdapter({ kind: row.kind, apiKey, baseUrl: row.base_url }), scrub: keyScrubber(apiKey) };
    adapters.set(row.id, { updatedAt: row.updated_at, resolved });
    return resolved;
  }

  function priceProviderOf(row: ProviderRow): string | null {
    return row.price_provider ?? (row.kind === 'anthropic' ? 'anthropic' : row.kind === 'openai' ? 'openai' : null);
  }

  async function complete(request: LlmRequest & LlmRequestExtras): Promise<LlmResult> {
    const { row, adapter, scrub } = await provider(request.provider);
    const priceProvider = priceProviderOf(row);
    const at = deps.now();
    const quote = await deps.prices.quote(request.model, priceProvider, at);
    const maxTokens = Math.max(1, Math.min(Math.floor(request.maxTokens), quote?.maxOutputTokens ?? UNKNOWN_MODEL_MAX_TOKENS));
    const margin = row.token_margin ?? DEFAULT_MARGIN[row.kind];
    const estimatedInputTokens = estimateInputTokens(request, margin);
    const worstCase = quote ? deps.prices.worstCase(quote, estimatedInputTokens, maxTokens, at) : null;
    if (!quote) await deps.unpriced(request.model);
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const call: ReservedCall = { providerId: row.id, providerKind: row.kind, model: request.model, scope: request.scope, estimatedInputTokens, maxTokens };
    const reservation = await deps.guard.reserve({ amountNanoUsd: worstCase, call, ttlMs: timeoutMs + RESERVATION_GRACE_MS });

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    let reply: ProviderReply;
    try {
      reply = await adapter.call({
        model: request.model,
        system: request.system,
        messages: request.messages,
        tools: request.tools,
        maxTokens,
        temperature: request.temperature,
        jsonSchema: request.jsonSchema,
        signal,
      });
    } catch (err) {
      clearTimeout(timer);
      const failure = err instanceof ProviderCallError ? err : new ProviderCallError(scrub(err instanceof Error ? err.message : String(err)), 'interrupted', null, null);
      const interrupted = failure.kind === 'interrupted';
      if (interrupted) {
        await deps.guard.settle({
          reservationId: reservation.id,
          call,
          model: request.model,
          usage: { inputTokens: estimatedInputTokens, outputTokens: maxTokens, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
          costNanoUsd: null,
          costStatus: 'interrupted',
          priceSource: null,
          providerRequestId: null,
          interrupted: true,
          onSettle: request.onSettle,
        });
      } else {
        await deps.guard.release(reservation.id);
      }
      const message = scrub(`${row.name}: ${failure.message}`);
      log.warn({ provider: row.name, model: request.model, kind: failure.kind, status: failure.status, interrupted }, message);
      if (request.signal?.aborted) throw new ProviderFailedError(`${row.name}: the call was aborted`, null, interrupted);
      if (failure.kind === 'refused') throw new ProviderFailedError(message, failure.status, false);
      // 429/5xx/529, a dropped or cut-short stream, our own wall clock: worth another attempt later.
      throw new ProviderRetryableError(message, failure.retryAfterMs, failure.status, interrupted);
    }
    clearTimeout(timer);

    const usage = readUsage(adapter.usageFormat, reply.model, reply.rawUsage);
    // Price the model the provider reports (dated names); fall back to the requested model's price.
    const reportedQuote: PriceQuote | null = reply.model === request.model ? quote : ((await deps.prices.quote(reply.model, priceProvider, at)) ?? quote);
    const cost = reportedQuote ? deps.prices.cost(reportedQuote, usage, at) : null;
    if (!reportedQuote && reply.model !== request.model) await deps.unpriced(reply.model);
    const settled = await deps.guard.settle({
      reservationId: reservation.id,
      call,
      model: reply.model,
      usage: toLlmUsage(usage),
      costNanoUsd: cost,
      costStatus: cost === null ? 'unpriced' : 'priced',
      priceSource: reportedQuote?.source ?? null,
      providerRequestId: reply.requestId,
      interrupted: false,
      onSettle: request.onSettle,
    });
    if (reservation.amountNanoUsd !== null && cost !== null && cost > reservation.amountNanoUsd) {
      log.warn({ model: reply.model, cost, reserved: reservation.amountNanoUsd }, 'a call cost more than its reservation (input counted low: raise the provider token_margin)');
    }
    return {
      text: reply.text,
      toolCalls: reply.toolCalls,
      stopReason: reply.stopReason,
      model: reply.model,
      usage: toLlmUsage(usage),
      costNanoUsd: settled.costNanoUsd,
      tokenUsageId: settled.tokenUsageId,
      providerRequestId: reply.requestId,
    };
  }

  return { complete };
}
