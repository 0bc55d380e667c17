/** Entry point of the embedded writer thread (see writer-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { openSqlite } from '../db/index.js';
import { writeReceiptBatch, type BatchItem } from '../webhooks/index.js';

const { config } = workerData as { config: Config };
const port = parentPort!;

if (config.database.kind !== 'sqlite') throw new Error('the embedded writer runs on SQLite only');
const db = openSqlite(config.database.file, { synchronous: config.sqliteSynchronous, autoCheckpoint: false });
const sqlite = db.sqlite!;
// Wait for the write lock in 0.2 ms steps (SQLite's own busy handler sleeps 1, 2, 5, 10 ms …):
// this thread has nothing else to do, and every delivery in the batch is waiting for its answer.
sqlite.pragma('busy_timeout = 0');
const BUSY_GIVE_UP_MS = 5000;
const nap = new Int32Array(new SharedArrayBuffer(4));

function writeWithRetry(items: BatchItem[]) {
  const since = Date.now();
  for (;;) {
    try {
      return writeReceiptBatch(sqlite, items, config.receiptMaxRetries);
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() - since > BUSY_GIVE_UP_MS) throw e;
      Atomics.wait(nap, 0, 0, 0.2);
    }
  }
}

port.on('message', (m: { type: 'write'; id: number; items: BatchItem[] } | { type: 'stop' }) => {
  if (m.type === 'stop') {
    void db.close().finally(() => port.postMessage({ type: 'stopped' }));
    return;
  }
  // Structured clone turns Buffers into Uint8Arrays; SQLite must bind them as BLOBs.
  const items = m.items.map((i) => ({
    ...i,
    delivery: { ...i.delivery, body: Buffer.from(i.delivery.body.buffer, i.delivery.body.byteOffset, i.delivery.body.byteLength) },
  }));
  try {
    port.postMessage({ type: 'written', id: m.id, outcomes: writeWithRetry(items) });
  } catch (e) {
    port.postMessage({ type: 'batch-failed', id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ type: 'ready' });
