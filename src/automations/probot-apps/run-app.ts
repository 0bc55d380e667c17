/**
 * One app for one delivery: the `automation.run` job (the first run) and `probot-apps.run` (a
 * retry or a replay) both end here. The run's row is claimed under a row lock and says whether
 * there is anything to do, so a delivery runs each app once: a redelivered or replayed receipt, a
 * job enqueued twice, a second process — none runs a handler that already succeeded. A process
 * killed mid-handler leaves the row `running`, claimed by its job; when the queue runs that job
 * again (it does once the process is gone: at once on SQLite, after the missed heartbeats on
 * PostgreSQL) the job takes its row back and runs the handler again (handlers are at-least-once,
 * as with any queue). Another job takes a `running` row only once the row's lease is over.
 */
import type { Database } from '../../db/index.js';
import { forUpdate, newId, nowIso } from '../../db/index.js';
import type { Queue } from '../../jobs/index.js';
import { retryDelayMs } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';
import type { EventContext } from '../registry.js';
import type { AppLogs } from './app-log.js';
import { classifyError } from './classify-error.js';

export const RUN_JOB = 'probot-apps.run';

export interface RunJobPayload {
  app: string;
  receiptId: string;
  /** The run_seq this job was enqueued for (0: the delivery's first run). */
  seq: number;
  /** A retry: the attempt whose failure scheduled it (absent for a first run or a replay). */
  after?: number;
}

export interface Runnable {
  receive(event: { id: string; name: string; payload: Record<string, unknown> }): Promise<void>;
}

export interface RunDeps {
  db: Database;
  queue: Queue;
  log: Logger;
  apps: ReadonlyMap<string, Runnable>;
  logs: AppLogs;
  eventContext(receiptId: string): Promise<EventContext | null>;
  handlerTimeoutMs: number;
  /** The queue's job lease: a run `running` for longer than this lost its process. */
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  secrets(): Array<string | undefined>;
}

export class HandlerTimeout extends Error {
  readonly code = 'PROBOT_HANDLER_TIMEOUT';
}

/** Runs `p.app` for `p.receiptId` if its run still needs it; records the outcome. `job`: the queue job running this. */
export async function runApp(deps: RunDeps, p: RunJobPayload, given?: EventContext, job?: { id: string }): Promise<void> {
  const app = deps.apps.get(p.app);
  // Thrown: the job is retried, and a process that has the app loaded can take it.
  if (!app) throw new Error(`Probot app ${p.app} is not loaded in this process`);
  const ev = given ?? (await deps.eventContext(p.receiptId));
  if (!ev) return; // the receipt is gone (retention): nothing to run
  const { db } = deps;

  const claim = await db.kysely.transaction().execute(async (tx) => {
    const now = nowIso();
    await tx
      .insertInto('probot_app_runs')
      .values({
        id: newId(),
        app: p.app,
        receipt_id: p.receiptId,
        delivery_id: ev.id,
        event: ev.name,
        action: ev.action,
        installation_id: ev.installationId,
        status: 'queued',
        attempts: 0,
        run_seq: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['app', 'receipt_id']).doNothing())
      .execute();
    const row = await forUpdate(tx.selectFrom('probot_app_runs').select(['id', 'status', 'attempts', 'run_seq', 'started_at', 'claimed_by']).where('app', '=', p.app).where('receipt_id', '=', p.receiptId), db.dialect).executeTakeFirstOrThrow();
    if (row.run_seq !== p.seq) return null;
    // queued: a first run or a replay; running: by the job that claimed it, run again by the queue
    // (its previous run is over: the process died), or by another once the row's lease is over,
    // never beside a live run; retrying: only the retry that attempt scheduled (not the job of a
    // reprocessed receipt).
    const jobId = job?.id ?? given?.job?.id ?? null;
    const lost = row.status === 'running' && ((jobId !== null && row.claimed_by === jobId) || row.started_at === null || Date.parse(row.started_at) < Date.now() - deps.leaseMs);
    const mine = row.status === 'queued' || lost || (row.status === 'retrying' && p.after === row.attempts);
    if (!mine) return null;
    const attempt = row.attempts + 1;
    await tx.updateTable('probot_app_runs').set({ status: 'running', attempts: attempt, claimed_by: jobId, started_at: now, finished_at: null, next_attempt_at: null, updated_at: now }).where('id', '=', row.id).execute();
    return { id: row.id, attempt, startedAt: Date.now() };
  });
  if (!claim) return;

  const log = deps.log.child({ app: p.app, deliveryId: ev.id, attempt: claim.attempt });
  const collector = deps.logs.collect(p.app, ev.id);
  let error: unknown = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      app.receive({ id: ev.id, name: ev.name, payload: ev.payload }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HandlerTimeout(`handler did not settle within ${deps.handlerTimeoutMs} ms (SWITCHYARD_APP_TIMEOUT_MS); it was abandoned`)), deps.handlerTimeoutMs);
      }),
    ]);
  } catch (err) {
    error = err;
  } finally {
    clearTimeout(timer);
  }
  const lines = collector.stop();
  const durationMs = Date.now() - claim.startedAt;

  const verdict = error === null ? null : error instanceof HandlerTimeout ? ({ retry: false, reason: error.message } as const) : classifyError(error);
  const outcome = await db.kysely.transaction().execute(async (tx) => {
    const row = await forUpdate(tx.selectFrom('probot_app_runs').select(['status', 'run_seq', 'attempts']).where('id', '=', claim.id), db.dialect).executeTakeFirst();
    // A replay (or another process's run after our lease ended) owns the row now.
    if (!row || row.run_seq !== p.seq || row.status !== 'running' || row.attempts !== claim.attempt) return 'superseded' as const;
    const now = nowIso();
    const common = { finished_at: now, duration_ms: durationMs, log_lines: JSON.stringify(lines), updated_at: now };
    if (!verdict) {
      await tx.updateTable('probot_app_runs').set({ ...common, status: 'succeeded', error: null, next_attempt_at: null }).where('id', '=', claim.id).execute();
      return 'succeeded' as const;
    }
    const reason = scrubSecrets(verdict.reason, deps.secrets()).slice(0, 4000);
    if (verdict.retry && claim.attempt < deps.maxAttempts) {
      const delay = Math.max(retryDelayMs(claim.attempt, deps.retryBaseMs), verdict.retryAfterMs ?? 0);
      const next = new Date(Date.now() + delay);
      await tx.updateTable('probot_app_runs').set({ ...common, status: 'retrying', error: reason, next_attempt_at: next.toISOString() }).where('id', '=', claim.id).execute();
      await deps.queue.enqueue(tx, RUN_JOB, { app: p.app, receiptId: p.receiptId, seq: p.seq, after: claim.attempt } satisfies RunJobPayload, {
        runAt: next,
        key: `probot-app:${p.app}:${p.receiptId}:${p.seq}:${claim.attempt}`,
      });
      return 'retrying' as const;
    }
    const status = verdict.retry ? ('dead' as const) : ('failed' as const);
    await tx.updateTable('probot_app_runs').set({ ...common, status, error: reason, next_attempt_at: null }).where('id', '=', claim.id).execute();
    return status;
  });
  if (outcome === 'succeeded') log.info({ durationMs }, 'probot app ran');
  else if (outcome !== 'superseded') log.warn({ outcome, err: verdict?.reason }, outcome === 'retrying' ? 'probot app failed; retry scheduled' : `probot app ${outcome}`);
}

/** Runs an app again for one delivery (replay): bumps its run_seq and enqueues the run. */
export async function replayRun(deps: Pick<RunDeps, 'db' | 'queue'>, p: { app: string; receipt: { id: string; delivery_id: string; event_type: string; event_action: string | null; installation_id: number | null } }): Promise<number> {
  const { db } = deps;
  return db.kysely.transaction().execute(async (tx) => {
    const now = nowIso();
    await tx
      .insertInto('probot_app_runs')
      .values({
        id: newId(),
        app: p.app,
        receipt_id: p.receipt.id,
        delivery_id: p.receipt.delivery_id,
        event: p.receipt.event_type,
        action: p.receipt.event_action,
        installation_id: p.receipt.installation_id,
        status: 'queued',
        attempts: 0,
        run_seq: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['app', 'receipt_id']).doNothing())
      .execute();
    const row = await forUpdate(tx.selectFrom('probot_app_runs').select(['id', 'run_seq']).where('app', '=', p.app).where('receipt_id', '=', p.receipt.id), db.dialect).executeTakeFirstOrThrow();
    const seq = row.run_seq + 1;
    await tx.updateTable('probot_app_runs').set({ run_seq: seq, status: 'queued', attempts: 0, error: null, next_attempt_at: null, updated_at: now }).where('id', '=', row.id).execute();
    await deps.queue.enqueue(tx, RUN_JOB, { app: p.app, receiptId: p.receipt.id, seq } satisfies RunJobPayload, { key: `probot-app:${p.app}:${p.receipt.id}:${seq}:replay` });
    return seq;
  });
}
