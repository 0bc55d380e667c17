/**
 * The notify slice: notifications about what people can see, in-app and on the channels each
 * person links (Telegram, email). A notification belongs to an installation and is seen by the
 * people who can see that installation, each with their own read state; `notify()` records it and,
 * in the same transaction, one delivery per person and linked channel their preferences allow,
 * which the delivery runner (every worker) sends. Owns notifications, notification_reads,
 * notification_channels, notification_link_codes, notification_preferences,
 * notification_deliveries and notification_settings.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { isUuid, nowIso } from '../db/index.js';
import type { AutomationRegistry } from '../automations/registry.js';
import type { SecretBox } from '../identity/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { IncomingDelivery, StoreResult } from '../webhooks/index.js';
import { authOf, userOf } from '../http/auth-context.js';
import { AppError } from '../http/app-error.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { createBotTokenSource, type BotTokenSource } from './bot-token.js';
import { createDeliveryRunner, DELIVER_JOB, type DeliveryRunner } from './deliver.js';
import { createEmailClient, type EmailClient } from './email.js';
import { purgeLinkCodes } from './repo.js';
import { recordNotification } from './fan-out.js';
import { channelRoutes } from './routes.js';
import { handleTelegramUpdate } from './telegram-updates.js';
import { TELEGRAM_EVENT, telegramWebhookRoute } from './telegram-webhook.js';
import { onNotificationsRecorded, wakeRunners } from './wake.js';
import './tables.js';

export { sendTestNotification } from './test-notification.js';
export { administrators, deliveriesOf, findUser, listChannels, type Channel } from './repo.js';
export { DELIVER_JOB } from './deliver.js';
export { SEALED_COLUMN as NOTIFY_SEALED_COLUMN } from './bot-token.js';

export interface NewNotification {
  installationId: number | null;
  repositoryId: string | null;
  kind: string;
  title: string;
  body: string;
  link?: string | null;
  /** The same key twice makes one notification (and one message per person and channel). */
  dedupeKey?: string;
}

/**
 * Records a notification (once per dedupe key) and its deliveries to the people who may see it on
 * their linked channels, then wakes this process's delivery runner if it runs here.
 */
export async function notify(db: Database, n: NewNotification): Promise<void> {
  const recorded = await recordNotification(db, {
    installationId: n.installationId,
    repositoryId: n.repositoryId,
    kind: n.kind,
    title: n.title.slice(0, 300),
    body: n.body.slice(0, 4000),
    link: n.link ?? null,
    dedupeKey: n.dedupeKey ?? null,
  });
  if (recorded && recorded.deliveries > 0) wakeRunners(db);
}

export interface NotifyDeps {
  config: Config;
  db: Database;
  box: SecretBox;
  queue: Queue;
  registry: AutomationRegistry;
  log: Logger;
  /** Stores a Telegram update as a receipt (the webhooks slice's store). */
  storeReceipt(delivery: IncomingDelivery): Promise<StoreResult>;
}

export interface NotifySlice {
  tokens: BotTokenSource;
  email: EmailClient | null;
  runner: DeliveryRunner;
  /** The in-app list, the channel routes and the delivery log. */
  routes(app: FastifyInstance): Promise<void>;
  /** `POST /api/telegram/webhook`, mounted in its own context (its raw-body parser). */
  telegramReceiver(app: FastifyInstance): Promise<void>;
  /** Starts the delivery runner in a worker process (elsewhere, notices queue a delivery pass for the workers). */
  start(o: { work: boolean }): void;
  stop(): Promise<void>;
}

/** Registers the slice's job, schedule and Telegram automation, and returns its routes and runner. */
export function createNotifySlice(deps: NotifyDeps): NotifySlice {
  const { config, db, box, queue, registry } = deps;
  const log = deps.log.child({ slice: 'notify' });
  const tokens = createBotTokenSource({ db, box, envToken: config.notify.telegramBotToken, apiRoot: config.notify.telegramApiRoot });
  const email = config.notify.smtp ? createEmailClient(config.notify.smtp) : null;
  const runner = createDeliveryRunner({ db, log, config: config.notify, publicUrl: config.publicUrl, telegram: () => tokens.client(), email });
  // Every minute, in whichever worker takes it: what is due (rows recorded in a process whose runner
  // does not run, such as the web thread), and old link codes.
  queue.register(DELIVER_JOB, async () => {
    await runner.runOnce();
    await purgeLinkCodes(db);
  });
  queue.schedule(DELIVER_JOB, '* * * * *');
  registry.on('notify.telegram', TELEGRAM_EVENT, (ctx) => handleTelegramUpdate({ db, log, telegram: () => tokens.client() }, ctx));
  let mode: 'stopped' | 'runner' | 'queue' = 'stopped';
  /**
   * What `notify()` through this database wakes once started: the runner, when it runs in this
   * process; otherwise a queued delivery pass (keyed: one waits at a time), which a worker in another
   * thread or process takes within the queue's poll interval instead of waiting for the minute cron.
   * Before start (a CLI command) nothing: the command sends itself or leaves it to the workers.
   */
  const unregister = onNotificationsRecorded(db, () => {
    if (mode === 'runner') return runner.wake();
    if (mode === 'stopped') return;
    queue.enqueue(db.kysely, DELIVER_JOB, {}, { key: `${DELIVER_JOB}:wake`, maxAttempts: 1 }).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not queue a delivery pass'));
  });

  /** Points the bot's webhook here when the token comes from the environment (Telegram needs HTTPS). */
  async function registerWebhook(): Promise<void> {
    const token = config.notify.telegramBotToken;
    if (!token) return;
    if (!config.publicUrl.startsWith('https://')) {
      log.warn('TELEGRAM_BOT_TOKEN is set but PUBLIC_URL is not https://: Telegram cannot post updates here, so chats cannot be linked (sending still works)');
      return;
    }
    try {
      await (await tokens.client())?.setWebhook(`${config.publicUrl}/api/telegram/webhook`, tokens.webhookSecret(token));
      log.info('Telegram webhook registered');
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not register the Telegram webhook (retried at the next start, or set the token again)');
    }
  }
  return {
    tokens,
    email,
    runner,
    async routes(app) {
      await notifyRoutes(app, { db });
      await channelRoutes(app, { db, log, tokens, email, publicUrl: config.publicUrl, wake: () => wakeRunners(db) });
    },
    telegramReceiver: (app) => telegramWebhookRoute(app, { tokens, store: deps.storeReceipt }),
    start({ work }) {
      mode = work ? 'runner' : 'queue';
      if (!work) return;
      runner.start();
      void registerWebhook();
    },
    async stop() {
      unregister();
      mode = 'stopped';
      await runner.stop();
      email?.close();
    },
  };
}

const item = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  installation_id: z.number().nullable(),
  created_at: z.string(),
  read: z.boolean(),
});

/** `GET /api/notifications` (scoped), `POST /api/notifications/:id/read` and `POST /api/notifications/read-all`. */
export async function notifyRoutes(app: FastifyInstance, deps: { db: Database }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  r.get(
    '/api/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Notifications about what I can see, newest first',
        querystring: z.object({ unread: z.enum(['true', 'false']).optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(item), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const { viewer, scope } = authOf(req);
      const userId = viewer.kind === 'user' ? viewer.userId : null;
      if (!scope.all && scope.installationIds.length === 0) return { items: [], next_cursor: null };
      // The operator has no read state of its own: everything reads as unread.
      let q = db.kysely
        .selectFrom('notifications as n')
        .leftJoin('notification_reads as r', (j) => (userId ? j.onRef('r.notification_id', '=', 'n.id').on('r.user_id', '=', userId) : j.onRef('r.notification_id', '=', 'n.id').on(sql<boolean>`false`)))
        .select(['n.id', 'n.kind', 'n.title', 'n.body', 'n.link', 'n.installation_id', 'n.created_at', 'r.read_at'])
        .orderBy('n.id', 'desc')
        .limit(req.query.limit + 1);
      if (!scope.all) q = q.where('n.installation_id', 'in', scope.installationIds);
      if (req.query.unread === 'true') q = q.where('r.read_at', 'is', null);
      if (req.query.cursor) q = q.where('n.id', '<', decodeCursor(req.query.cursor, 'string', isUuid));
      const page = pageOf(await q.execute(), req.query.limit, (row) => row.id);
      return {
        items: page.items.map((n) => ({ id: n.id, kind: n.kind, title: n.title, body: n.body, link: n.link, installation_id: n.installation_id === null ? null : Number(n.installation_id), created_at: n.created_at, read: n.read_at !== null })),
        next_cursor: page.next_cursor,
      };
    },
  );
  r.post(
    '/api/notifications/:id/read',
    { schema: { tags: ['notifications'], summary: 'Mark a notification read (for me)', params: z.object({ id: z.uuid() }), response: { 200: z.object({ ok: z.literal(true) }), 404: errorResponse } } },
    async (req) => {
      const viewer = userOf(req);
      const { scope } = authOf(req);
      const n = await db.kysely.selectFrom('notifications').select(['id', 'installation_id']).where('id', '=', req.params.id).executeTakeFirst();
      const visible = n && (scope.all || (n.installation_id !== null && scope.installationIds.includes(Number(n.installation_id))));
      if (!visible) throw new AppError('NOTIFICATION_NOT_FOUND', 404, 'Notification not found');
      await db.kysely
        .insertInto('notification_reads')
        .values({ notification_id: n.id, user_id: viewer.userId, read_at: nowIso() })
        .onConflict((oc) => oc.columns(['notification_id', 'user_id']).doNothing())
        .execute();
      return { ok: true as const };
    },
  );
  r.post(
    '/api/notifications/read-all',
    { schema: { tags: ['notifications'], summary: 'Mark every notification I can see read (for me); again is harmless', response: { 200: z.object({ ok: z.literal(true), marked: z.number().describe('Notifications that were unread until now') }), 400: errorResponse } } },
    async (req) => {
      const viewer = userOf(req);
      const { scope } = authOf(req);
      if (!scope.all && scope.installationIds.length === 0) return { ok: true as const, marked: 0 };
      const readAt = nowIso();
      // The same visibility as GET /api/notifications and the per-item route: the caller's installations (everything for administrators).
      let unread = db.kysely
        .selectFrom('notifications as n')
        .select((eb) => ['n.id', eb.val(viewer.userId).as('user_id'), eb.val(readAt).as('read_at')])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('notification_reads as r').select('r.notification_id').whereRef('r.notification_id', '=', 'n.id').where('r.user_id', '=', viewer.userId))));
      if (!scope.all) unread = unread.where('n.installation_id', 'in', scope.installationIds);
      const result = await db.kysely
        .insertInto('notification_reads')
        .columns(['notification_id', 'user_id', 'read_at'])
        .expression(unread)
        .onConflict((oc) => oc.columns(['notification_id', 'user_id']).doNothing())
        .executeTakeFirst();
      return { ok: true as const, marked: Number(result.numInsertedOrUpdatedRows ?? 0) };
    },
  );
}
