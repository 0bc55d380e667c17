/**
 * Cron schedules for the embedded (SQLite) queue.
 *
 * Glossary:
 * - last slot: `schedule_runs.last_slot`, the latest slot of a schedule that has fired. A slot
 *   fires by moving last_slot forward and enqueueing the job in one transaction, so it fires once,
 *   also across restarts.
 * - catch-up: slots missed while the process was down fire once at start (only the latest one).
 * - baseline: a schedule seen for the first time records its latest slot without firing; it first
 *   fires at its next slot.
 *
 * The timer wakes at each schedule's next slot and at least every `checkMs` (cheap: in-memory
 * unless a slot is due).
 */
import type { Database, Executor } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { latestSlot, nextSlot } from './cron.js';

export interface CronSchedule {
  name: string;
  cron: string;
  payload: object;
}

export interface SqliteScheduler {
  start(): void;
  stop(): Promise<void>;
}

/** Creates the schedule timer; `enqueue` adds the job inside the slot's transaction. */
export function createSqliteScheduler(opts: {
  db: Database;
  log: Logger;
  schedules: readonly CronSchedule[];
  checkMs: number;
  enqueue: (exec: Executor, name: string, payload: object) => Promise<void>;
}): SqliteScheduler {
  const { db, log, schedules } = opts;
  /** Latest slot known to have fired (or been recorded), per schedule name. */
  const known = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const fireIfDue = async (s: CronSchedule, now: Date): Promise<void> => {
    const slot = latestSlot(s.cron, now).toISOString();
    const last = known.get(s.name);
    if (last !== undefined && last >= slot) return;
    const recorded = await db.kysely.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('schedule_runs').select('last_slot').where('name', '=', s.name).executeTakeFirst();
      const updatedAt = new Date().toISOString();
      if (!row) {
        await trx.insertInto('schedule_runs').values({ name: s.name, last_slot: slot, updated_at: updatedAt }).execute();
        return slot;
      }
      if (row.last_slot >= slot) return row.last_slot;
      await trx.updateTable('schedule_runs').set({ last_slot: slot, updated_at: updatedAt }).where('name', '=', s.name).execute();
      await opts.enqueue(trx, s.name, s.payload);
      log.debug({ schedule: s.name, slot }, 'schedule fired');
      return slot;
    });
    known.set(s.name, recorded);
  };

  const tick = async (): Promise<void> => {
    const now = new Date();
    for (const s of schedules) {
      if (stopped) return;
      try {
        await fireIfDue(s, now);
      } catch (err) {
        log.error({ err, schedule: s.name }, 'schedule check failed');
      }
    }
  };

  const arm = () => {
    if (stopped) return;
    const now = Date.now();
    let delay = opts.checkMs;
    for (const s of schedules) delay = Math.min(delay, nextSlot(s.cron, new Date(now)).getTime() - now + 5);
    timer = setTimeout(run, Math.max(10, delay));
  };

  function run(): void {
    timer = undefined;
    running = tick().finally(() => {
      running = undefined;
      arm();
    });
  }

  return {
    start() {
      if (!stopped || schedules.length === 0) return;
      stopped = false;
      run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
