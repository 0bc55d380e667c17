// Reads Switchyard's SQLite file from outside the server (WAL mode: readers do not block its writer).
import fs from 'node:fs';
import Database from 'better-sqlite3';

// Statuses after which a receipt needs no more work. Anything else (pending, processing, failed and
// waiting for a retry, ...) counts as not yet processed.
export const TERMINAL_STATUSES = (process.env.BENCH_TERMINAL_STATUSES || 'processed,dead,skipped,ignored')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

export function openReceiptsDb(file) {
  if (!file || !fs.existsSync(file)) throw new Error(`SQLite file not found: ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const q = {
    count: db.prepare('select count(*) as n from event_receipts'),
    byStatus: db.prepare('select processing_status as status, count(*) as n from event_receipts group by processing_status'),
    lags: db.prepare(
      `select received_at, processed_at from event_receipts where processing_status = 'processed' and processed_at is not null`,
    ),
  };
  return {
    count() {
      return q.count.get().n;
    },
    /** { total, processed, unprocessed (not in a terminal status), byStatus: { status: n } } */
    statusCounts() {
      const byStatus = {};
      let total = 0;
      let terminal = 0;
      for (const r of q.byStatus.all()) {
        byStatus[r.status] = r.n;
        total += r.n;
        if (TERMINAL_STATUSES.includes(r.status)) terminal += r.n;
      }
      return { total, processed: byStatus.processed || 0, unprocessed: total - terminal, byStatus };
    },
    /** Processing lag (processed_at - received_at, ms) of every processed receipt. */
    processingLags() {
      const out = [];
      let unparsable = 0;
      for (const r of q.lags.iterate()) {
        const lag = Date.parse(r.processed_at) - Date.parse(r.received_at);
        if (Number.isFinite(lag)) out.push(lag);
        else unparsable++;
      }
      return { lags: out, unparsable };
    },
    close() {
      db.close();
    },
  };
}

/** Polls until no receipt is left unprocessed (see TERMINAL_STATUSES), or timeout. */
export async function waitForDrain(db, timeoutMs, { intervalMs = 250, onSample } = {}) {
  const t0 = Date.now();
  let s = db.statusCounts();
  onSample?.(s, 0);
  while (s.unprocessed > 0 && Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, intervalMs));
    s = db.statusCounts();
    onSample?.(s, Date.now() - t0);
  }
  return { drained: s.unprocessed === 0, waitedMs: Date.now() - t0, status: s };
}
