/**
 * The notify slice's tables (notifications and notification_reads from migration 0005_ci_triage;
 * the channel tables from 0009_notify_channels), merged into the schema type.
 */
import type { Bool, JsonText } from '../db/index.js';

export interface NotificationsTable {
  id: string;
  /** Who may see it: users of this installation (null: administrators only). */
  installation_id: number | null;
  repository_id: string | null;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  dedupe_key: string | null;
  /** Set once a Telegram delivery of it was sent (to anyone). */
  sent_telegram: Bool;
  /** Set once an email delivery of it was sent (to anyone). */
  sent_email: Bool;
  created_at: string;
}

export interface NotificationReadsTable {
  notification_id: string;
  user_id: string;
  read_at: string;
}

/** A verified destination: a Telegram chat id or an email address. */
export interface NotificationChannelsTable {
  user_id: string;
  channel: 'telegram' | 'email';
  address: string;
  label: string | null;
  verified_at: string;
  created_at: string;
  updated_at: string;
}

/** A one-time code (only its hash): `/start <code>` in Telegram, or an email address's verification. */
export interface NotificationLinkCodesTable {
  code_hash: string;
  user_id: string;
  channel: 'telegram' | 'email';
  address: string | null;
  failures: number;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface NotificationPreferencesTable {
  user_id: string;
  channel: 'telegram' | 'email';
  enabled: Bool;
  /** JSON list of kinds delivered on this channel; null: every kind. */
  kinds: JsonText | null;
  updated_at: string;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'dead';

export interface NotificationDeliveriesTable {
  id: string;
  notification_id: string;
  user_id: string;
  channel: 'telegram' | 'email';
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  lease_expires_at: string | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface NotificationSettingsTable {
  name: string;
  value: string;
  updated_at: string;
}

declare module '../db/schema.js' {
  interface Schema {
    notifications: NotificationsTable;
    notification_reads: NotificationReadsTable;
    notification_channels: NotificationChannelsTable;
    notification_link_codes: NotificationLinkCodesTable;
    notification_preferences: NotificationPreferencesTable;
    notification_deliveries: NotificationDeliveriesTable;
    notification_settings: NotificationSettingsTable;
  }
}
