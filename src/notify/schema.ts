/** Request and response schemas of the notify slice's channel routes (zod; the OpenAPI document comes from them). */
import { z } from 'zod';

export const channelSchema = z.enum(['telegram', 'email']);

export const preferenceSchema = z.object({
  channel: channelSchema,
  enabled: z.boolean().describe('Off: nothing is sent on this channel'),
  kinds: z.array(z.string().min(1).max(100)).max(100).nullable().describe('Only these kinds of notification (null: every kind)'),
});

export const channelsResponse = z.object({
  telegram: z.object({
    configured: z.boolean().describe('A bot token is set'),
    linked: z.boolean(),
    label: z.string().nullable().describe('The linked Telegram account, when it has a user name'),
    linked_at: z.string().nullable(),
  }),
  email: z.object({
    configured: z.boolean().describe('An SMTP server is set'),
    address: z.string().nullable().describe('The verified address'),
    verified_at: z.string().nullable(),
    pending: z.object({ address: z.string(), expires_at: z.string() }).nullable().describe('An address waiting for its code'),
  }),
  preferences: z.array(preferenceSchema),
});

export const linkCodeResponse = z.object({
  code: z.string().describe('Send `/start <code>` to the bot (once; it expires)'),
  command: z.string(),
  deep_link: z.string().nullable().describe('t.me link that sends the command (when the bot is reachable)'),
  expires_at: z.string(),
});

export const emailBody = z.object({ address: z.email().max(254) });
export const verifyBody = z.object({ code: z.string().trim().min(4).max(64) });
export const preferenceBody = z.object({ enabled: z.boolean(), kinds: z.array(z.string().min(1).max(100)).max(100).nullable().default(null) });
export const testBody = z.object({ channel: channelSchema.optional() });

export const deliveryItem = z.object({
  id: z.string(),
  notification_id: z.string(),
  user_id: z.string(),
  username: z.string(),
  channel: channelSchema,
  status: z.enum(['pending', 'sent', 'failed', 'dead']),
  attempts: z.number(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  sent_at: z.string().nullable(),
  title: z.string(),
  kind: z.string(),
  created_at: z.string(),
});

export const botTokenBody = z.object({
  bot_token: z
    .string()
    .trim()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must be a bot token as BotFather gives it (123456:ABC…)')
    .nullable()
    .describe('null removes the stored token'),
});
