/** The notify slice's tables (created by migration 0005_ci_triage), merged into the schema type. */
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
  created_at: string;
}

export interface NotificationReadsTable {
  notification_id: string;
  user_id: string;
  read_at: string;
}

declare module '../db/schema.js' {
  interface Schema {
    notifications: NotificationsTable;
    notification_reads: NotificationReadsTable;
  }
}
