/**
 * Every combination of the event log's filters gets an index whose leading columns are exactly the
 * filter's equality columns, followed by `id` — so a page is a range scan in id order that reads
 * only matching rows and stops after `limit + 1` (see docs/architecture.md, "Event log filters").
 *
 * Equality columns: installation (the viewer's scope or the installation filter, one branch per
 * installation), repository, type, action, status. 0001 indexed each alone and (type, action).
 * - Repository implies its installation (every event of a repository carries the installation that
 *   owns it; only a transferred repository has two), so repository indexes continue with the
 *   installation: (repository, installation, …, id). A scoped viewer (the installations they can
 *   see) then reads exactly the rows they may see, even of a repository they cannot.
 * - Status: `processed` is dense (≥ 97% of a healthy log: checked while scanning another index,
 *   almost every row passes); `received` and `processing` are the backlog (the newest receipts, few
 *   unless processing is behind: read through (processing_status, id)); `failed` and `dead` are rare
 *   and stay: they get the whole family, as partial indexes that a receipt enters only when it
 *   fails — ingestion and processing never write them otherwise. Their predicate is
 *   `processing_status < 'processed'` (failed and dead are the statuses that sort before it): with
 *   `in ('failed', 'dead')` SQLite may read the index once per listed value and sort the matches.
 * - Type and action combine freely (`action` alone is allowed): {–, type, action, type+action}.
 * Three "owners" (none, installation, repository+installation) × four type/action sets × {no
 * status, failed or dead} = 24 sets; 0001 had 5 of them, the primary key is one, this adds the
 * other 18 (7 full, 11 partial; failed/dead alone is served by 0001's (processing_status, id)). Time ranges and cursors are bounds on `id` (UUIDv7).
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../open-database.js';

const OWNERS: Array<{ name: string; columns: string[] }> = [
  { name: '', columns: [] },
  { name: 'inst_', columns: ['installation_id'] },
  { name: 'repo_inst_', columns: ['repository_id', 'installation_id'] },
];
const KINDS: Array<{ name: string; columns: string[] }> = [
  { name: '', columns: [] },
  { name: 'type_', columns: ['event_type'] },
  { name: 'type_action_', columns: ['event_type', 'event_action'] },
  { name: 'action_', columns: ['event_action'] },
];

/** The indexes 0001 made already (name → columns). */
const EXISTING = new Set(['', 'inst_', 'type_', 'type_action_', 'action_']);

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  for (const owner of OWNERS) {
    for (const kind of KINDS) {
      const name = `${owner.name}${kind.name}`;
      const columns = [...owner.columns, ...kind.columns, 'id'];
      if (!EXISTING.has(name)) await db.schema.createIndex(`event_receipts_${name}id`).on('event_receipts').columns(columns).execute();
      if (name === '') continue; // (processing_status, id) exists
      // The partial index of the same set with a failed or dead status (queries repeat the predicate
      // verbatim: SQLite uses a partial index only for a query whose WHERE contains it).
      const partial = ['processing_status', ...columns].map((c) => sql.ref(c));
      await sql`create index ${sql.id(`event_receipts_failing_${name}id`)} on event_receipts (${sql.join(partial)}) where processing_status < 'processed'`.execute(db);
    }
  }
}
