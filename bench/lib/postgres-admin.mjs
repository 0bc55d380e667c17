// The PostgreSQL server the benches use (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432):
// one statement on its admin database, and the URL of another database on it.
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name) {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(text) {
  await queryAt(ADMIN_URL, text);
}

/** One statement on the database at `url`, on a connection of its own. */
export async function queryAt(url, text) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}
