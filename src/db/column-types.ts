/** Column types for migrations, per dialect: one migration file builds both schemas. */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './open-database.js';

export interface ColumnTypes {
  id: 'uuid' | 'text';
  timestamp: 'timestamptz' | 'text';
  json: 'jsonb' | 'text';
  bytes: 'bytea' | 'blob';
  bool: 'boolean' | 'integer';
  bigint: 'bigint' | 'integer';
  falseValue: RawBuilder<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === 'postgres'
    ? { id: 'uuid', timestamp: 'timestamptz', json: 'jsonb', bytes: 'bytea', bool: 'boolean', bigint: 'bigint', falseValue: sql`false` }
    : { id: 'text', timestamp: 'text', json: 'text', bytes: 'blob', bool: 'integer', bigint: 'integer', falseValue: sql`0` };
}
