/**
 * `switchyard keys rotate`: re-seals every encrypted column with the current key, so older keys can
 * be dropped from SWITCHYARD_PREVIOUS_SECRET_KEYS. Each row is rewritten only if its ciphertext
 * names another key, and only if it still holds the value read (a concurrent change wins).
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { SecretBox } from './secret-box.js';

/** Every encrypted column: table, key column, column. Slices that add one list it here. */
export const ENCRYPTED_COLUMNS: Array<{ table: string; key: string; column: string }> = [
  { table: 'users', key: 'id', column: 'totp_secret' },
  { table: 'users', key: 'id', column: 'totp_pending_secret' },
  { table: 'users', key: 'id', column: 'github_access_token' },
  { table: 'users', key: 'id', column: 'github_refresh_token' },
  { table: 'app_credentials', key: 'id', column: 'client_secret' },
  { table: 'app_credentials', key: 'id', column: 'webhook_secret' },
  { table: 'app_credentials', key: 'id', column: 'private_key' },
  { table: 'mirror_targets', key: 'id', column: 'token' },
  { table: 'entities', key: 'id', column: 'badge_secret' },
  { table: 'llm_providers', key: 'id', column: 'api_key' },
  { table: 'notification_settings', key: 'name', column: 'value' },
];

export interface RotationResult {
  rotated: number;
  current: number;
  /** Ciphertexts no configured key opens (reported, left as they are). */
  unreadable: Array<{ table: string; column: string; key: string }>;
}

export async function rotateKeys(db: Database, box: SecretBox): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, current: 0, unreadable: [] };
  for (const c of ENCRYPTED_COLUMNS) {
    const rows = await sql<{ k: string; v: string }>`select ${sql.ref(c.key)} as k, ${sql.ref(c.column)} as v from ${sql.table(c.table)} where ${sql.ref(c.column)} is not null`.execute(db.kysely);
    const aad = `${c.table}.${c.column}`;
    for (const row of rows.rows) {
      if (box.keyIdOf(row.v) === box.keyId) {
        result.current++;
        continue;
      }
      let plain: string;
      try {
        plain = box.open(row.v, aad);
      } catch {
        result.unreadable.push({ table: c.table, column: c.column, key: String(row.k) });
        continue;
      }
      const sealed = box.seal(plain, aad);
      await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${sealed} where ${sql.ref(c.key)} = ${row.k} and ${sql.ref(c.column)} = ${row.v}`.execute(db.kysely);
      result.rotated++;
    }
  }
  return result;
}
