/** `switchyard events list|show|replay`: the event log from the terminal, straight from the database. */
import type { Config } from '../config/index.js';
import { openDatabase, type Database } from '../db/index.js';
import { createQueue } from '../jobs/index.js';
import { createLogger } from '../log/index.js';
import { createFilePayloadStore, getEvent, listEvents, loadPayload, replayReceipt } from '../webhooks/index.js';

async function withDb<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The CLI reads the database directly, as the operator does: every installation's events. */
const OPERATOR_SCOPE = { all: true } as const;

const STATUSES = new Set(['received', 'processing', 'processed', 'failed', 'dead']);

export async function eventsList(config: Config, opts: { repository?: string; type?: string; action?: string; status?: string; limit: number; json?: boolean }): Promise<void> {
  if (opts.status && !STATUSES.has(opts.status)) {
    console.error(`--status must be one of ${[...STATUSES].join(', ')}`);
    process.exitCode = 2;
    return;
  }
  await withDb(config, async (db) => {
    const items = (await listEvents(db, { repository: opts.repository, type: opts.type, action: opts.action, status: opts.status, limit: opts.limit, scope: OPERATOR_SCOPE })).slice(0, opts.limit);
    if (opts.json) {
      console.log(JSON.stringify(items, null, 2));
      return;
    }
    if (items.length === 0) {
      console.log('No events match.');
      return;
    }
    for (const e of items) {
      const event = e.event_action ? `${e.event_type}.${e.event_action}` : e.event_type;
      console.log(`${e.received_at}  ${e.processing_status.padEnd(9)}  ${event.padEnd(34)}  ${(e.repository ?? '-').padEnd(30)}  ${e.delivery_id}`);
    }
  });
}

export async function eventsShow(config: Config, deliveryId: string): Promise<void> {
  await withDb(config, async (db) => {
    const e = await getEvent(db, deliveryId, OPERATOR_SCOPE);
    if (!e) {
      console.error(`No event with delivery id ${deliveryId}`);
      process.exitCode = 1;
      return;
    }
    let payload: unknown = null;
    const bytes = await loadPayload(db, createFilePayloadStore(config.dataDir), e).catch(() => null);
    if (bytes) {
      try {
        payload = JSON.parse(bytes.toString('utf8'));
      } catch {
        payload = bytes.toString('utf8');
      }
    }
    console.log(JSON.stringify({ ...e, raw_payload: payload }, null, 2));
  });
}

export async function eventsReplay(config: Config, deliveryId: string): Promise<void> {
  await withDb(config, async (db) => {
    const queue = createQueue({ db, log: createLogger('warn'), config });
    await queue.start({ work: false, schedule: false });
    try {
      await replayReceipt({ db, queue }, deliveryId, OPERATOR_SCOPE);
      console.log(`Replay of ${deliveryId} queued; a running worker will process it.`);
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    } finally {
      await queue.stop();
    }
  });
}
