import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, startCheckpointer } from './open-database.js';
import type { Database } from './index.js';

const opened: Array<{ db: Database; dir: string; stop?: () => void }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    o.stop?.();
    await o.db.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

/** A file database with background checkpointing (as the embedded server runs it) and a table to write to. */
function open(): { db: Database; file: string; entry: { db: Database; dir: string; stop?: () => void } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ckpt-'));
  const file = path.join(dir, 'test.db');
  const db = openSqlite(file, { autoCheckpoint: false });
  db.sqlite!.exec('create table t (id integer primary key, body blob)');
  const entry = { db, dir };
  opened.push(entry);
  return { db, file, entry };
}

const write = (db: Database, rows: number) => {
  const insert = db.sqlite!.prepare('insert into t (body) values (?)');
  for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(8192, i)); // one commit each, ≥ 2 pages
};
const walBytes = (file: string) => (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * The RESTART under a steady write load needs readers and writers on other threads to show; the
 * steady benchmark measures it (BENCHMARKS.md). Here: the idle truncation.
 */
describe('the background WAL checkpointer', () => {
  it('gives the WAL file’s space back once writes pause', async () => {
    const { db, file, entry } = open();
    write(db, 200);
    expect(walBytes(file)).toBeGreaterThan(1_000_000);
    entry.stop = startCheckpointer(db, 10);
    await until('the WAL file is empty', () => walBytes(file) === 0);
    // Every row is still there, read from the database file.
    expect((db.sqlite!.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(200);
  });
});
