/**
 * The embedded process owns its data dir: it holds an exclusive lock on `<data dir>/switchyard.lock`
 * for as long as it runs, so it knows no other process works on its SQLite database, and may take
 * back every job a previous process left running (see the SQLite queue's `takeBackAtStart`).
 *
 * The lock is SQLite's own: a tiny database held in an EXCLUSIVE transaction, which is an operating
 * system lock on the file (fcntl). The kernel drops it when the process ends in any way, kill -9
 * included, so there is never a stale lock to clean up or to wait out.
 */
import path from 'node:path';
import fs from 'node:fs';
import { sqliteDriver } from '../db/index.js';
import { AppError } from '../http/app-error.js';

export const LOCK_FILE = 'switchyard.lock';

export class DataDirInUse extends AppError {
  constructor(dir: string) {
    super('DATA_DIR_IN_USE', 409, `Another Switchyard process is running on ${dir} (it holds ${LOCK_FILE}); stop it first, or give this one another SWITCHYARD_DATA_DIR`);
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data dir's lock, or throws DataDirInUse at once if another process holds it. */
export function lockDataDir(dir: string): DataDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const Driver = sqliteDriver();
  const db = new Driver(path.join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('begin exclusive');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new DataDirInUse(dir);
    throw err;
  }
  return {
    release() {
      if (!db.open) return;
      db.exec('rollback');
      db.close();
    },
  };
}
