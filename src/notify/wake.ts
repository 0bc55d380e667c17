/**
 * How `notify(db, n)` wakes the delivery runner without a queue handle at the call site: the slice
 * registers a wake function against the database it was built with, and `notify` looks it up by the
 * same database. In a worker it wakes the runner; elsewhere (a web process, the web thread of
 * `switchyard start`) it queues a delivery pass for the workers. A database no slice was built
 * with wakes nothing: the minute cron (`notify.deliver`) picks its rows up.
 */
import type { Database } from '../db/index.js';

const wakers = new WeakMap<Database, Set<() => void>>();

/** Registers `wake` for notifications recorded through `db`; returns the unregister function. */
export function onNotificationsRecorded(db: Database, wake: () => void): () => void {
  let set = wakers.get(db);
  if (!set) {
    set = new Set();
    wakers.set(db, set);
  }
  set.add(wake);
  return () => set.delete(wake);
}

/** Wakes every runner registered for `db` (harmless when none is). */
export function wakeRunners(db: Database): void {
  for (const wake of wakers.get(db) ?? []) wake();
}
