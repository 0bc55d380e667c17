/**
 * Missed-delivery recovery (`github.recover_deliveries`, every few minutes): lists the App's webhook
 * deliveries (GET /app/hook/deliveries, newest first, paged by cursor) back to the previous run's
 * newest (or DELIVERY_RECOVERY_HOURS on the first run), and for every delivery (GUID) that is not
 * in the event log asks GitHub to send it again (POST /app/hook/deliveries/{id}/attempts). The
 * redelivery arrives through the normal endpoint with the same GUID, so it deduplicates.
 *
 * A GUID is asked for at most 3 times, at least 30 minutes apart (the first redelivery may fail
 * too, if Switchyard is still unreachable from GitHub). Deliveries older than the processed-receipt
 * retention are never asked for (they may have been processed and since deleted).
 */
import type { Database } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { scrubSecrets } from '../log/index.js';
import type { GitHubClients } from './client.js';

export const RECOVER_DELIVERIES_JOB = 'github.recover_deliveries';

const MAX_ATTEMPTS = 3;
const RETRY_AFTER_MS = 30 * 60_000;
/** Re-scan this much before the previous run's newest delivery (deliveries still in flight then). */
const OVERLAP_MS = 10 * 60_000;
const MAX_PAGES = 100;

interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
}

export interface RecoveryRun {
  id: string;
  scanned: number;
  missing: number;
  redelivered: number;
  failed: number;
}

export interface RecoverDeps {
  db: Database;
  clients: GitHubClients;
  log: Logger;
  windowHours: number;
  retentionDays: number;
}

export async function recoverDeliveries(deps: RecoverDeps, trigger: 'schedule' | 'manual' | 'start'): Promise<RecoveryRun> {
  const { db, clients, log } = deps;
  const now = Date.now();
  const runId = newId();
  const startedAt = nowIso();
  await db.kysely
    .insertInto('delivery_recovery_runs')
    .values({ id: runId, status: 'running', trigger, scanned: 0, missing: 0, redelivered: 0, newest_delivered_at: null, error_message: null, started_at: startedAt, finished_at: null, created_at: startedAt })
    .execute();
  const run: RecoveryRun = { id: runId, scanned: 0, missing: 0, redelivered: 0, failed: 0 };
  let newest: string | null = null;
  try {
    const previous = await db.kysely
      .selectFrom('delivery_recovery_runs')
      .select('newest_delivered_at')
      .where('status', '=', 'completed')
      .where('newest_delivered_at', 'is not', null)
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const windowStart = now - deps.windowHours * 3_600_000;
    const since = Math.max(windowStart, previous?.newest_delivered_at ? Date.parse(previous.newest_delivered_at) - OVERLAP_MS : windowStart);
    const retentionCutoff = now - deps.retentionDays * 86_400_000;

    // Newest first: stop at the first page that reaches back past `since`.
    const byGuid = new Map<string, HookDelivery[]>();
    let pages = 0;
    for await (const page of clients.app().paginate.iterator('GET /app/hook/deliveries', { per_page: 100 })) {
      pages++;
      const items = page.data as unknown as HookDelivery[];
      let reachedEnd = false;
      for (const d of items) {
        const at = Date.parse(d.delivered_at);
        if (at < since) {
          reachedEnd = true;
          continue;
        }
        run.scanned++;
        if (!newest || d.delivered_at > newest) newest = d.delivered_at;
        const list = byGuid.get(d.guid) ?? [];
        list.push(d);
        byGuid.set(d.guid, list);
      }
      if (reachedEnd || pages >= MAX_PAGES) break;
    }

    const guids = [...byGuid.keys()];
    const present = new Set<string>();
    const asked = new Map<string, { attempts: number; requested_at: string }>();
    for (let i = 0; i < guids.length; i += 500) {
      const chunk = guids.slice(i, i + 500);
      for (const r of await db.kysely.selectFrom('event_receipts').select('delivery_id').where('delivery_id', 'in', chunk).execute()) present.add(r.delivery_id);
      for (const r of await db.kysely.selectFrom('delivery_redeliveries').select(['guid', 'attempts', 'requested_at']).where('guid', 'in', chunk).execute()) {
        asked.set(r.guid, { attempts: Number(r.attempts), requested_at: r.requested_at });
      }
    }

    for (const [guid, attempts] of byGuid) {
      if (present.has(guid)) continue;
      const latest = attempts.reduce((a, b) => (a.delivered_at >= b.delivered_at ? a : b));
      const first = attempts.reduce((a, b) => (a.delivered_at <= b.delivered_at ? a : b));
      if (Date.parse(first.delivered_at) < retentionCutoff) continue;
      run.missing++;
      const prior = asked.get(guid);
      if (prior && (prior.attempts >= MAX_ATTEMPTS || now - Date.parse(prior.requested_at) < RETRY_AFTER_MS)) continue;
      let outcome: 'requested' | 'failed' = 'requested';
      let error: string | null = null;
      try {
        await clients.app().request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: latest.id });
        run.redelivered++;
      } catch (err) {
        outcome = 'failed';
        run.failed++;
        error = scrubSecrets(err instanceof Error ? err.message : String(err)).slice(0, 500);
        log.warn({ guid, deliveryId: latest.id, err: error }, 'asking GitHub to redeliver failed');
      }
      const values = {
        guid,
        github_delivery_id: latest.id,
        event: latest.event,
        action: latest.action,
        delivered_at: latest.delivered_at,
        github_status: latest.status,
        run_id: runId,
        outcome,
        attempts: 1,
        error_message: error,
        requested_at: nowIso(),
      };
      await db.kysely
        .insertInto('delivery_redeliveries')
        .values(values)
        .onConflict((oc) =>
          oc.column('guid').doUpdateSet((eb) => ({
            github_delivery_id: values.github_delivery_id,
            run_id: runId,
            outcome,
            error_message: error,
            requested_at: values.requested_at,
            attempts: eb('delivery_redeliveries.attempts', '+', 1),
          })),
        )
        .execute();
    }
    await db.kysely
      .updateTable('delivery_recovery_runs')
      .set({ status: 'completed', scanned: run.scanned, missing: run.missing, redelivered: run.redelivered, newest_delivered_at: newest ?? previous?.newest_delivered_at ?? null, finished_at: nowIso() })
      .where('id', '=', runId)
      .execute();
    if (run.missing > 0 || run.redelivered > 0) log.info(run, 'missed deliveries redelivered');
    return run;
  } catch (err) {
    const message = scrubSecrets(err instanceof Error ? err.message : String(err)).slice(0, 1000);
    await db.kysely
      .updateTable('delivery_recovery_runs')
      .set({ status: 'failed', scanned: run.scanned, missing: run.missing, redelivered: run.redelivered, error_message: message, finished_at: nowIso() })
      .where('id', '=', runId)
      .execute();
    throw err;
  }
}

/** Deliveries recovered so far: asked for, and since arrived in the event log. */
export async function countRecovered(db: Database): Promise<{ requested: number; arrived: number; failed: number }> {
  const rows = await db.kysely
    .selectFrom('delivery_redeliveries as d')
    .leftJoin('event_receipts as e', 'e.delivery_id', 'd.guid')
    .select((eb) => [
      'd.outcome',
      eb.fn.countAll<number>().as('n'),
      eb.fn.count<number>('e.id').as('arrived'),
    ])
    .groupBy('d.outcome')
    .execute();
  let requested = 0;
  let arrived = 0;
  let failed = 0;
  for (const r of rows) {
    if (r.outcome === 'failed') failed += Number(r.n);
    else requested += Number(r.n);
    arrived += Number(r.arrived);
  }
  return { requested, arrived, failed };
}
