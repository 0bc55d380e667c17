/**
 * Cron expressions (always UTC) for schedules.
 *
 * Glossary:
 * - slot: an instant a cron expression names (e.g. 03:17:00 every day for `17 3 * * *`).
 */
import { CronExpressionParser } from 'cron-parser';

/** Throws a readable error unless `cron` parses (5 fields, or 6 with seconds first). */
export function assertCron(cron: string): void {
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' });
  } catch (err) {
    throw new TypeError(`Invalid cron expression ${JSON.stringify(cron)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The latest slot at or before `now`. */
export function latestSlot(cron: string, now: Date): Date {
  // prev() is strictly before currentDate; one millisecond later includes a slot exactly at `now`.
  return CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(now.getTime() + 1) }).prev().toDate();
}

/** The first slot after `now`. */
export function nextSlot(cron: string, now: Date): Date {
  return CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: now }).next().toDate();
}
