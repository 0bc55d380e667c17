/**
 * The signed-in person's channels (`/api/me/notification-channels…`: link or unlink Telegram, set
 * and verify an email address, preferences, a test notice), the delivery log
 * (`/api/notification-deliveries`: one's own; administrators see everyone's and retry dead ones)
 * and the bot token (`PUT /api/admin/notifications/telegram-bot`, administrators).
 * Each route: validate → authorize → command → present.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import { adminOf, authOf, userOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import type { Logger } from '../log/index.js';
import type { BotTokenSource } from './bot-token.js';
import type { EmailClient } from './email.js';
import { DeliveryNotDead, DeliveryNotFound, EmailNotConfigured, EmailNotSent, TelegramNotConfigured, VerificationCodeInvalid } from './errors.js';
import { codeHash, EMAIL_CODE_MINUTES, expiresIn, newEmailCode, newTelegramCode, TELEGRAM_CODE_MINUTES } from './link-codes.js';
import {
  getPreferences,
  insertLinkCode,
  linkChannel,
  listChannels,
  listDeliveries,
  pendingEmail,
  recordCodeFailure,
  retryDeadDelivery,
  setPreference,
  unlinkChannel,
  useLinkCode,
} from './repo.js';
import { botTokenBody, channelSchema, channelsResponse, deliveryItem, emailBody, linkCodeResponse, preferenceBody, testBody, verifyBody } from './schema.js';
import { sendTestNotification } from './test-notification.js';

export interface ChannelRoutesDeps {
  db: Database;
  log: Logger;
  tokens: BotTokenSource;
  email: EmailClient | null;
  publicUrl: string;
  /** Wakes this process's delivery runner (after a test notice or a retry). */
  wake(): void;
}

const ok = z.object({ ok: z.literal(true) });

export async function channelRoutes(app: FastifyInstance, deps: ChannelRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db, tokens } = deps;
  const log = deps.log.child({ slice: 'notify' });
  const tags = ['notification channels'];

  r.get('/api/me/notification-channels', { schema: { tags, summary: 'My notification channels and preferences', response: { 200: channelsResponse } } }, async (req) => {
    const { userId } = userOf(req);
    const [linked, pending, preferences, token] = await Promise.all([listChannels(db, userId), pendingEmail(db, userId), getPreferences(db, userId), tokens.current()]);
    const telegram = linked.find((c) => c.channel === 'telegram');
    const email = linked.find((c) => c.channel === 'email');
    return {
      telegram: { configured: token !== null, linked: !!telegram, label: telegram?.label ?? null, linked_at: telegram?.verifiedAt ?? null },
      email: { configured: deps.email !== null, address: email?.address ?? null, verified_at: email?.verifiedAt ?? null, pending: pending ? { address: pending.address, expires_at: pending.expiresAt } : null },
      preferences,
    };
  });

  r.post(
    '/api/me/notification-channels/telegram/link-code',
    { schema: { tags, summary: 'A one-time code that links a Telegram chat to me (send `/start <code>` to the bot)', response: { 201: linkCodeResponse, 503: errorResponse } } },
    async (req, reply) => {
      const { userId } = userOf(req);
      const telegram = await tokens.client();
      if (!telegram) throw new TelegramNotConfigured();
      const code = newTelegramCode();
      const expiresAt = expiresIn(TELEGRAM_CODE_MINUTES);
      await insertLinkCode(db, { userId, channel: 'telegram', codeHash: codeHash(code), address: null, expiresAt });
      const username = await telegram.username();
      return reply.code(201).send({ code, command: `/start ${code}`, deep_link: username ? `https://t.me/${username}?start=${code}` : null, expires_at: expiresAt });
    },
  );

  r.delete('/api/me/notification-channels/telegram', { schema: { tags, summary: 'Unlink my Telegram chat', response: { 200: ok } } }, async (req) => {
    await unlinkChannel(db, userOf(req).userId, 'telegram');
    return { ok: true as const };
  });

  r.put(
    '/api/me/notification-channels/email',
    { schema: { tags, summary: 'Set my email address: a code is mailed to it, and it is used once verified', body: emailBody, response: { 202: z.object({ pending: z.string(), expires_at: z.string() }), 502: errorResponse, 503: errorResponse } } },
    async (req, reply) => {
      const { userId } = userOf(req);
      if (!deps.email) throw new EmailNotConfigured();
      const address = req.body.address.trim();
      const code = newEmailCode();
      const expiresAt = expiresIn(EMAIL_CODE_MINUTES);
      await insertLinkCode(db, { userId, channel: 'email', codeHash: codeHash(code), address, expiresAt });
      const sent = await deps.email.send({
        to: address,
        subject: 'Your Switchyard verification code',
        text: `Your code is ${code}\n\nEnter it on your Switchyard account page, or open ${deps.publicUrl}/account?verify_email=${code}\n\nIt expires in ${EMAIL_CODE_MINUTES} minutes. If you did not ask for it, ignore this message.\n`,
      });
      if (sent.kind !== 'sent') {
        log.warn({ userId, err: sent.error }, 'could not send an email verification code');
        throw new EmailNotSent(`The verification email could not be sent (${sent.error}). Try again later.`);
      }
      return reply.code(202).send({ pending: address, expires_at: expiresAt });
    },
  );

  r.post(
    '/api/me/notification-channels/email/verify',
    { schema: { tags, summary: 'Verify my email address with the code mailed to it', body: verifyBody, response: { 200: z.object({ ok: z.literal(true), address: z.string() }), 400: errorResponse } } },
    async (req) => {
      const { userId } = userOf(req);
      const used = await db.kysely.transaction().execute(async (tx) => {
        const owner = await useLinkCode(tx, { codeHash: codeHash(req.body.code), channel: 'email', userId });
        if (!owner?.address) return null;
        await linkChannel(tx, { userId, channel: 'email', address: owner.address, label: null });
        return owner.address;
      });
      if (!used) {
        await recordCodeFailure(db, userId, 'email');
        throw new VerificationCodeInvalid();
      }
      return { ok: true as const, address: used };
    },
  );

  r.delete('/api/me/notification-channels/email', { schema: { tags, summary: 'Remove my email address', response: { 200: ok } } }, async (req) => {
    await unlinkChannel(db, userOf(req).userId, 'email');
    return { ok: true as const };
  });

  r.put(
    '/api/me/notification-channels/:channel/preferences',
    { schema: { tags, summary: 'Turn a channel on or off, or keep only some kinds of notification on it', params: z.object({ channel: channelSchema }), body: preferenceBody, response: { 200: ok } } },
    async (req) => {
      await setPreference(db, userOf(req).userId, { channel: req.params.channel, enabled: req.body.enabled, kinds: req.body.kinds });
      return { ok: true as const };
    },
  );

  r.post(
    '/api/me/notification-channels/test',
    { schema: { tags, summary: 'Send me a test notice on my linked channels (or one of them)', body: testBody, response: { 202: z.object({ deliveries: z.number() }) } } },
    async (req, reply) => {
      const viewer = userOf(req);
      const { deliveries } = await sendTestNotification(db, { userId: viewer.userId, username: viewer.username, channel: req.body.channel });
      deps.wake();
      return reply.code(202).send({ deliveries });
    },
  );

  r.get(
    '/api/notification-deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries of notifications by Telegram and email, newest first: mine (administrators: everyone’s)',
        querystring: z.object({ status: z.enum(['pending', 'sent', 'failed', 'dead']).optional(), limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(deliveryItem), next_cursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const { viewer } = authOf(req);
      const userId = viewer.isAdmin ? null : userOf(req).userId;
      const before = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const rows = await listDeliveries(db, { userId, status: req.query.status, before, limit: req.query.limit + 1 });
      return pageOf(rows, req.query.limit, (row) => row.id);
    },
  );

  r.post(
    '/api/notification-deliveries/:id/retry',
    { schema: { tags, summary: 'Send a dead delivery again (administrators)', params: z.object({ id: z.uuid() }), response: { 200: ok, 403: errorResponse, 404: errorResponse, 409: errorResponse } } },
    async (req) => {
      adminOf(req);
      const result = await retryDeadDelivery(db, req.params.id);
      if (result === 'missing') throw new DeliveryNotFound();
      if (result === 'not_dead') throw new DeliveryNotDead();
      deps.wake();
      return { ok: true as const };
    },
  );

  r.put(
    '/api/admin/notifications/telegram-bot',
    {
      schema: {
        tags,
        summary: 'Set the Telegram bot token (stored encrypted; TELEGRAM_BOT_TOKEN wins when set) and point the bot’s webhook here',
        body: botTokenBody,
        response: { 200: z.object({ ok: z.literal(true), source: z.enum(['environment', 'settings']).nullable(), webhook: z.string().describe('set, or why it could not be') }), 403: errorResponse },
      },
    },
    async (req) => {
      adminOf(req);
      await tokens.save(req.body.bot_token);
      const token = await tokens.current();
      let webhook = 'not set (no token)';
      const telegram = await tokens.client();
      if (token && telegram) {
        try {
          await telegram.setWebhook(`${deps.publicUrl}/api/telegram/webhook`, tokens.webhookSecret(token));
          webhook = 'set';
        } catch (err) {
          webhook = err instanceof Error ? err.message : String(err);
        }
      }
      log.info({ source: await tokens.source(), webhook: webhook === 'set' }, 'Telegram bot token changed');
      return { ok: true as const, source: await tokens.source(), webhook };
    },
  );
}
