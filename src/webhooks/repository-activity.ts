/**
 * How busy and how healthy each repository's deliveries are, for the overview: events per UTC day
 * (from the `(repository_id, id)` index — ids are UUIDv7, so a day is an id range and the query is
 * the same on both databases), and deliveries that are failing (waiting to retry) or dead.
 *
 * Callers pass repository ids they already scoped (the overview lists visible repositories first);
 * summaries over the whole log take the viewer's scope.
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { uuidLowerBound } from '../db/index.js';
import type { Scope } from '../http/auth-context.js';

const DAY_MS = 86_400_000;

/** The UTC days ending today, oldest first: `{ day: 'YYYY-MM-DD', start: Date }`. */
export function lastDays(count: number, now = new Date()): Array<{ day: string; start: Date }> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(today - (count - 1 - i) * DAY_MS);
    return { day: start.toISOString().slice(0, 10), start };
  });
}

export interface RepositoryActivity {
  /** Events received per UTC day, oldest first (the last entry is today so far). */
  perDay: number[];
  /** Deliveries that failed and wait to retry. */
  failing: number;
  /** Deliveries that ran out of retries. */
  dead: number;
  /** Receipt time of the newest failing or dead delivery. */
  lastFailureAt: string | null;
}

/** Events per UTC day of these repositories between two day starts (`upper` open when null). */
async function countPerDay(db: Database, repositoryIds: string[], days: Array<{ day: string; start: Date }>, upper: Date | null): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (repositoryIds.length === 0 || days.length === 0) return out;
  const bounds = days.map((d) => uuidLowerBound(d.start));
  const end = upper ? uuidLowerBound(upper) : null;
  const columns = bounds.map((lower, i) => {
    const next = bounds[i + 1] ?? end;
    const inDay = next === null ? sql`id >= ${lower}` : sql`id >= ${lower} and id < ${next}`;
    return sql<number>`sum(case when ${inDay} then 1 else 0 end)`.as(`d${i}`);
  });
  let q = db.kysely.selectFrom('event_receipts').select(['repository_id', ...columns]).where('repository_id', 'in', repositoryIds).where('id', '>=', bounds[0]!);
  if (end) q = q.where('id', '<', end);
  for (const row of await q.groupBy('repository_id').execute()) {
    const cells = row as unknown as Record<string, number | string | null>;
    if (row.repository_id) out.set(row.repository_id, days.map((_, i) => Number(cells[`d${i}`] ?? 0)));
  }
  return out;
}

export interface ActivityReader {
  /** Activity of each repository (by id) over the last `days` UTC days; repositories without events get zeros. */
  read(repositoryIds: string[], opts: { days: number; now?: Date }): Promise<Map<string, RepositoryActivity>>;
}

/**
 * Reads repository activity, remembering the counts of days that are over: a finished day's count
 * does not change (ids are the receipt time), so each repository's history is read once a day and
 * only today's receipts are counted on every call (an overview of 100 busy repositories then reads
 * one day of the log, not fourteen).
 */
export function createActivityReader(db: Database): ActivityReader {
  /** repository id → UTC day → events that day (finished days only). */
  const history = new Map<string, Map<string, number>>();
  let oldestKept = '';

  return {
    async read(repositoryIds, opts) {
      const days = lastDays(opts.days, opts.now);
      const today = days[days.length - 1]!;
      const past = days.slice(0, -1);
      const result = new Map<string, RepositoryActivity>(repositoryIds.map((id) => [id, { perDay: days.map(() => 0), failing: 0, dead: 0, lastFailureAt: null }]));
      if (repositoryIds.length === 0) return result;

      // Forget days that left the window.
      if (past[0] && past[0].day !== oldestKept) {
        oldestKept = past[0].day;
        for (const perDay of history.values()) for (const day of perDay.keys()) if (day < oldestKept) perDay.delete(day);
      }
      const missing = repositoryIds.filter((id) => {
        const known = history.get(id);
        return !known || past.some((d) => !known.has(d.day));
      });
      const [counted, todays, failures] = await Promise.all([
        countPerDay(db, missing, past, today.start),
        countPerDay(db, repositoryIds, [today], null),
        db.kysely
          .selectFrom('event_receipts')
          .select((eb) => ['repository_id', 'processing_status', eb.fn.countAll<number>().as('n'), eb.fn.max('received_at').as('last')])
          .where('processing_status', 'in', ['failed', 'dead'])
          .where('repository_id', 'in', repositoryIds)
          .groupBy(['repository_id', 'processing_status'])
          .execute(),
      ]);
      for (const id of missing) {
        const values = counted.get(id) ?? past.map(() => 0);
        history.set(id, new Map(past.map((d, i) => [d.day, values[i] ?? 0])));
      }
      for (const id of repositoryIds) {
        const known = history.get(id)!;
        result.get(id)!.perDay = [...past.map((d) => known.get(d.day) ?? 0), todays.get(id)?.[0] ?? 0];
      }
      for (const row of failures) {
        const entry = row.repository_id ? result.get(row.repository_id) : undefined;
        if (!entry) continue;
        if (row.processing_status === 'dead') entry.dead = Number(row.n);
        else entry.failing = Number(row.n);
        const last = row.last == null ? null : new Date(row.last as string).toISOString();
        if (last && (!entry.lastFailureAt || last > entry.lastFailureAt)) entry.lastFailureAt = last;
      }
      return result;
    },
  };
}

export interface DeliverySummary {
  /** Deliveries received since the start of the current UTC day. */
  today: number;
  /** Deliveries received in the last 24 hours. */
  last24h: number;
  failing: number;
  dead: number;
  /** Received or processing right now (the backlog). */
  pending: number;
}

/** Counts over the viewer's whole event log (receipts without an installation only for a scope of `all`). */
export async function deliverySummary(db: Database, scope: Scope, now = new Date()): Promise<DeliverySummary> {
  const installations = scope.all ? null : [...new Set(scope.installationIds)];
  if (installations?.length === 0) return { today: 0, last24h: 0, failing: 0, dead: 0, pending: 0 };
  const today = lastDays(1, now)[0]!.start;
  const dayAgo = new Date(now.getTime() - DAY_MS);
  const since = today < dayAgo ? today : dayAgo;
  let recent = db.kysely
    .selectFrom('event_receipts')
    .select([
      sql<number>`sum(case when id >= ${uuidLowerBound(today)} then 1 else 0 end)`.as('today'),
      sql<number>`sum(case when id >= ${uuidLowerBound(dayAgo)} then 1 else 0 end)`.as('last24h'),
    ])
    .where('id', '>=', uuidLowerBound(since));
  let byStatus = db.kysely
    .selectFrom('event_receipts')
    .select((eb) => ['processing_status', eb.fn.countAll<number>().as('n')])
    .where('processing_status', 'in', ['failed', 'dead', 'received', 'processing'])
    .groupBy('processing_status');
  if (installations) {
    recent = recent.where('installation_id', 'in', installations);
    byStatus = byStatus.where('installation_id', 'in', installations);
  }
  const [counts, statuses] = await Promise.all([recent.executeTakeFirst(), byStatus.execute()]);
  const n = (status: string) => Number(statuses.find((s) => s.processing_status === status)?.n ?? 0);
  return {
    today: Number(counts?.today ?? 0),
    last24h: Number(counts?.last24h ?? 0),
    failing: n('failed'),
    dead: n('dead'),
    pending: n('received') + n('processing'),
  };
}
