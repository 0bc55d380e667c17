import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('defaults to SQLite in ./data on port 3000', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/switchyard.db') });
    expect(c.receiptMaxRetries).toBe(5);
    expect(c.retentionProcessedDays).toBe(30);
    expect(c.webhookBodyLimit).toBe(25 * 1024 * 1024);
  });

  it('switches to PostgreSQL with DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db', poolSize: 10 });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', DATABASE_POOL_SIZE: '3' }).database).toMatchObject({ poolSize: 3 });
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it('lists every problem in plain words, without echoing secrets', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@x/db', LOG_LEVEL: 'loud', SWITCHYARD_API_TOKEN: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.problems).toHaveLength(4);
    expect(e.message).toMatch(/PORT: must be a whole number/);
    expect(e.message).toMatch(/DATABASE_URL: must be a postgres/);
    expect(e.message).toMatch(/LOG_LEVEL/);
    expect(e.message).toMatch(/SWITCHYARD_API_TOKEN: must be at least 16/);
    expect(e.message).not.toContain('hunter2');
  });

  it('treats empty values as unset', () => {
    const c = loadConfig({ WEBHOOK_SECRET: '', DATABASE_URL: ' ', PORT: '' });
    expect(c.webhookSecret).toBeUndefined();
    expect(c.database.kind).toBe('sqlite');
    expect(c.port).toBe(3000);
  });
});
