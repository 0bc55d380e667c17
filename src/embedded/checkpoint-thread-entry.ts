/**
 * Entry point of the embedded checkpoint thread: checkpoints the WAL every second (PASSIVE: never
 * blocks readers or writers) on its own connection, so neither the writer nor the worker thread
 * spends its time copying pages and fsyncing the database file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { openSqlite, startCheckpointer } from '../db/index.js';

const { config } = workerData as { config: Config };
const port = parentPort!;

if (config.database.kind !== 'sqlite') throw new Error('the embedded checkpointer runs on SQLite only');
const db = openSqlite(config.database.file, { synchronous: config.sqliteSynchronous, autoCheckpoint: false });
const stop = startCheckpointer(db);
port.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  stop();
  void db.close().finally(() => port.postMessage({ type: 'stopped' }));
});
port.postMessage({ type: 'ready' });
