/**
 * The GitHub App's credentials: from the environment (APP_ID, PRIVATE_KEY…, WEBHOOK_SECRET,
 * GITHUB_CLIENT_ID/SECRET) or from the `app_credentials` row the setup wizard wrote (secrets
 * encrypted). A variable that is set wins over the stored value, field by field.
 *
 * Reads are synchronous (the webhook path asks for the secret on every delivery): the current
 * value is cached and reloaded every `refreshMs` (other processes may have run the wizard) and at
 * once after `save`.
 */
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { nowIso } from '../db/index.js';
import type { SecretBox } from '../identity/secret-box.js';
import type { Logger } from '../log/index.js';

export interface AppCredentials {
  appId: number;
  privateKey: string;
  slug: string | null;
  htmlUrl: string | null;
  clientId: string | null;
  clientSecret: string | null;
  webhookSecret: string | null;
  source: 'environment' | 'setup';
}

/** What GitHub answers to `POST /app-manifests/{code}/conversions`. */
export interface ManifestConversion {
  id: number;
  slug?: string | null;
  name?: string | null;
  html_url?: string | null;
  owner?: { login?: string | null } | null;
  client_id?: string | null;
  client_secret?: string | null;
  webhook_secret?: string | null;
  pem: string;
}

export interface AppCredentialsStore {
  /** The App's credentials, or null when no App is configured yet. */
  current(): AppCredentials | null;
  /** The secret deliveries are signed with (environment or wizard). */
  webhookSecret(): string | undefined;
  /** Re-reads the stored row. */
  refresh(): Promise<void>;
  /** Stores the App the setup wizard created (secrets encrypted) and makes it current. */
  save(app: ManifestConversion): Promise<void>;
  /** Every secret value known, for scrubbing error text. */
  secrets(): string[];
  close(): void;
}

const COLUMNS = { clientSecret: 'app_credentials.client_secret', webhookSecret: 'app_credentials.webhook_secret', privateKey: 'app_credentials.private_key' };

export async function createAppCredentialsStore(deps: {
  db: Database;
  box: SecretBox;
  config: Config;
  log: Logger;
  refreshMs?: number;
}): Promise<AppCredentialsStore> {
  const { db, box, config, log } = deps;
  let stored: Omit<AppCredentials, 'source'> | null = null;

  const load = async () => {
    const row = await db.kysely.selectFrom('app_credentials').selectAll().where('id', '=', 'default').executeTakeFirst();
    if (!row) {
      stored = null;
      return;
    }
    try {
      stored = {
        appId: Number(row.app_id),
        privateKey: box.open(row.private_key, COLUMNS.privateKey),
        slug: row.slug,
        htmlUrl: row.html_url,
        clientId: row.client_id,
        clientSecret: box.openNullable(row.client_secret, COLUMNS.clientSecret),
        webhookSecret: box.openNullable(row.webhook_secret, COLUMNS.webhookSecret),
      };
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'the stored GitHub App credentials cannot be decrypted');
      stored = null;
    }
  };
  await load();
  const timer = setInterval(() => void load().catch((err) => log.warn({ err }, 'reloading the GitHub App credentials failed')), deps.refreshMs ?? 30_000);
  timer.unref();

  const env = config.github;
  const current = (): AppCredentials | null => {
    if (env.appId && env.privateKey) {
      return {
        appId: env.appId,
        privateKey: env.privateKey,
        slug: stored?.appId === env.appId ? stored.slug : null,
        htmlUrl: stored?.appId === env.appId ? stored.htmlUrl : null,
        clientId: env.clientId ?? (stored?.appId === env.appId ? stored.clientId : null),
        clientSecret: env.clientSecret ?? (stored?.appId === env.appId ? stored.clientSecret : null),
        webhookSecret: config.webhookSecret ?? null,
        source: 'environment',
      };
    }
    if (!stored) return null;
    return {
      ...stored,
      clientId: env.clientId ?? stored.clientId,
      clientSecret: env.clientSecret ?? stored.clientSecret,
      webhookSecret: config.webhookSecret ?? stored.webhookSecret,
      source: 'setup',
    };
  };

  return {
    current,
    webhookSecret: () => config.webhookSecret ?? stored?.webhookSecret ?? undefined,
    refresh: load,
    async save(app) {
      const now = nowIso();
      const row = {
        id: 'default',
        app_id: app.id,
        slug: app.slug ?? null,
        name: app.name ?? null,
        html_url: app.html_url ?? null,
        owner_login: app.owner?.login ?? null,
        client_id: app.client_id ?? null,
        client_secret: app.client_secret ? box.seal(app.client_secret, COLUMNS.clientSecret) : null,
        webhook_secret: app.webhook_secret ? box.seal(app.webhook_secret, COLUMNS.webhookSecret) : null,
        private_key: box.seal(app.pem, COLUMNS.privateKey),
        created_at: now,
        updated_at: now,
      };
      const { id: _id, created_at: _c, ...update } = row;
      await db.kysely
        .insertInto('app_credentials')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(update))
        .execute();
      await load();
      log.info({ appId: app.id, slug: app.slug }, 'GitHub App credentials stored');
    },
    secrets() {
      const c = current();
      return [c?.privateKey, c?.clientSecret, c?.webhookSecret, config.webhookSecret].filter((s): s is string => !!s);
    },
    close: () => clearInterval(timer),
  };
}
