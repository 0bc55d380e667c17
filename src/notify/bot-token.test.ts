/** The administrator's bot token at rest, on both databases: sealed, read back, re-sealed by `keys rotate`; the environment wins. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { recordSecret } from '../../test/support/secret-ledger.js';
import { createSecretBox, rotateKeys } from '../identity/index.js';
import { createBotTokenSource } from './bot-token.js';

describe.each(dialects)('the bot token at rest (%s)', (dialect) => {
  let t: TestDatabase;
  const token = `424242:AAF${randomBytes(24).toString('base64url')}`;
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    recordSecret(token);
  });
  afterAll(async () => t?.drop());

  it('is sealed, read back, and re-sealed with a new key by keys rotate', async () => {
    const source = createBotTokenSource({ db: t.db, box: createSecretBox(k1), envToken: undefined, apiRoot: 'http://127.0.0.1:9' });
    expect(await source.current()).toBeNull();
    await source.save(token);
    const row = await t.db.kysely.selectFrom('notification_settings').select('value').executeTakeFirstOrThrow();
    expect(row.value).toMatch(/^enc:v1:/);
    expect(row.value).not.toContain(token.split(':')[1]);
    expect(await source.current()).toBe(token);

    const result = await rotateKeys(t.db, createSecretBox(k2, [k1]));
    expect(result).toMatchObject({ rotated: 1, unreadable: [] });
    const withNewKeyOnly = createBotTokenSource({ db: t.db, box: createSecretBox(k2), envToken: undefined, apiRoot: 'http://127.0.0.1:9' });
    expect(await withNewKeyOnly.current()).toBe(token);
    expect(await withNewKeyOnly.source()).toBe('settings');
  });

  it('TELEGRAM_BOT_TOKEN wins over the stored one; the webhook secret follows the token and every configured key', async () => {
    const env = `515151:AAF${randomBytes(24).toString('base64url')}`;
    recordSecret(env);
    const box = createSecretBox(k2, [k1]);
    const source = createBotTokenSource({ db: t.db, box, envToken: env, apiRoot: 'http://127.0.0.1:9' });
    expect(await source.current()).toBe(env);
    expect(await source.source()).toBe('environment');
    const secret = source.webhookSecret(env);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{20,256}$/); // what Telegram accepts as a secret_token
    expect(source.checkWebhookSecret(env, secret)).toBe(true);
    expect(source.checkWebhookSecret(token, secret)).toBe(false);
    expect(source.checkWebhookSecret(env, `${secret}x`)).toBe(false);
    // Sealed under the previous key (before a rotation): still accepted.
    const old = createBotTokenSource({ db: t.db, box: createSecretBox(k1), envToken: env, apiRoot: 'http://127.0.0.1:9' });
    expect(source.checkWebhookSecret(env, old.webhookSecret(env))).toBe(true);
  });
});
