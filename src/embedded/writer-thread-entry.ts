/** Entry point of the embedded writer thread (see writer-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { openSqlite, waitingOutBusy } from '../db/index.js';
import { writeReceiptBatch, type BatchItem } from '../webhooks/index.js';

const { config } = workerData as { config: Config };
const port = parentPort!;

if (config.database.kind !== 'sqlite') throw new Error('the embedded writer runs on SQLite only');
const db = openSqlite(config.database.file, { synchronous: config.sqliteSynchronous, autoCheckpoint: false });
const sqlite = db.sqlite!;

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
    port.postMessage({ type: 'written', id: m.id, outcomes: waitingOutBusy(() => writeReceiptBatch(sqlite, items, config.receiptMaxRetries)) });
  } catch (e) {
    port.postMessage({ type: 'batch-failed', id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ type: 'ready' });
