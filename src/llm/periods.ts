/**
 * Budget periods, aligned to UTC: a day from 00:00, a week from Monday 00:00, a month from the 1st;
 * `lifetime` never starts over (a task's own budget).
 */
import type { BudgetPeriod } from './tables.js';

/** The start of the period containing `at` (UTC midnight). */
export function periodStart(period: BudgetPeriod, at: Date): Date {
  if (period === 'lifetime') return new Date(0);
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (period === 'weekly') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (period === 'monthly') d.setUTCDate(1);
  return d;
}

/** The start of the next period: when a budget's counter starts over. */
export function periodEnd(period: BudgetPeriod, at: Date): Date {
  if (period === 'lifetime') return new Date(Date.UTC(9999, 11, 31));
  const d = periodStart(period, at);
  if (period === 'daily') d.setUTCDate(d.getUTCDate() + 1);
  else if (period === 'weekly') d.setUTCDate(d.getUTCDate() + 7);
  else d.setUTCMonth(d.getUTCMonth() + 1);
  return d;
}

/** A period start as stored in `budget_counters.period_start` (YYYY-MM-DD). */
export function periodKey(period: BudgetPeriod, at: Date): string {
  return periodStart(period, at).toISOString().slice(0, 10);
}

/** The UTC date of `at` (YYYY-MM-DD), as `token_usage.usage_date` stores it. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}
