/**
 * The LLM slice's errors, each with a stable code (see LLM_ERROR_CODES in contract.ts) and an
 * HTTP status for when one reaches the API.
 */
import { AppError } from '../http/app-error.js';
import { LLM_ERROR_CODES } from './contract.js';

/** A block budget would be crossed: the call was refused before any request left. */
export class BudgetExceededError extends AppError {
  constructor(
    readonly budget: { id: string; name: string | null; scope: string; scopeKey: string; period: string; amountNanoUsd: number },
    /** When the budget's period starts over (the call may be tried again then, or once the limit is raised). */
    readonly resetsAt: Date,
    readonly requestedNanoUsd: number,
    readonly availableNanoUsd: number,
  ) {
    const what = budget.name ?? `${budget.scope}${budget.scopeKey ? ` ${budget.scopeKey}` : ''} ${budget.period}`;
    super(
      LLM_ERROR_CODES.budgetExceeded,
      429,
      `Budget "${what}" would be exceeded (needs up to $${usd(requestedNanoUsd)}, $${usd(availableNanoUsd)} left of $${usd(budget.amountNanoUsd)}); it resets at ${resetsAt.toISOString()}`,
      { headers: { 'retry-after': String(Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / 1000))) } },
    );
  }
}

/** No price is known for the model and a block budget applies: the cost could not be bounded. */
export class ModelUnpricedError extends AppError {
  constructor(readonly model: string) {
    super(LLM_ERROR_CODES.modelUnpriced, 409, `No price is known for model "${model}" and a block budget applies: add a price override (switchyard llm prices) before calling it`);
  }
}

/** The provider answered 429/5xx/529 or the connection dropped: try again later (`retryAfterMs`). */
export class ProviderRetryableError extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
    readonly providerStatus: number | null,
    /** True when the call may have been charged (it settled at its reservation, flagged interrupted). */
    readonly interrupted: boolean,
  ) {
    super(LLM_ERROR_CODES.providerRetryable, 503, message, retryAfterMs === null ? undefined : { headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } });
  }
}

/** The provider refused the request for good (400, 401, 403, 404 …) or the call was aborted. */
export class ProviderFailedError extends AppError {
  constructor(
    message: string,
    readonly providerStatus: number | null,
    readonly interrupted = false,
  ) {
    super(LLM_ERROR_CODES.providerFailed, 502, message);
  }
}

export class LlmProviderNotFound extends AppError {
  constructor(ref: string) {
    super('LLM_PROVIDER_NOT_FOUND', 404, `No enabled LLM provider "${ref}" (add one with POST /api/llm/providers)`);
  }
}

export class BudgetNotFound extends AppError {
  constructor(id: string) {
    super('BUDGET_NOT_FOUND', 404, `No budget ${id}`);
  }
}

/** Nano-dollars as an exact USD string: at least 2 decimals, at most 9 (1234567 → "0.001234567"). */
export function usd(nano: number): string {
  const n = Math.abs(Math.round(nano));
  let frac = String(n % 1e9).padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${nano < 0 ? '-' : ''}${Math.floor(n / 1e9)}.${frac}`;
}
