/** What a stored delivery is made of: the incoming delivery, the store's answer, and its rows. */
import { newId } from '../db/index.js';
import type { ReceiptFields } from './extract-receipt-fields.js';

export const PROCESS_RECEIPT_JOB = 'webhooks.process-receipt';

export interface IncomingDelivery {
  /** Who sent it: `github` (the default) or another source such as `telegram`. */
  source?: string;
  deliveryId: string;
  eventType: string;
  /** GitHub's non-secret headers, kept for the event log. */
  headers: Record<string, string>;
  /** The raw body bytes, stored as received. */
  body: Buffer;
  fields: ReceiptFields;
  receivedAt: string;
}

export type StoreResult = { status: 'received'; id: string } | { status: 'duplicate'; id: string | null };

/** The repositories row for a delivery's repository (first sight creates it). */
export function repoParams(d: IncomingDelivery) {
  const r = d.fields.repository;
  if (!r) return null;
  return {
    id: newId(),
    github_id: r.githubId,
    owner: r.owner,
    name: r.name,
    full_name: r.fullName,
    installation_id: d.fields.installationId,
    is_private: r.isPrivate ? 1 : 0,
    default_branch: r.defaultBranch,
    html_url: r.htmlUrl,
    at: d.receivedAt,
  };
}

export function receiptParams(d: IncomingDelivery, id: string, repositoryId: string | null, storage: string | null, maxRetries: number) {
  return {
    id,
    delivery_id: d.deliveryId,
    source: d.source ?? 'github',
    event_type: d.eventType,
    event_action: d.fields.action,
    installation_id: d.fields.installationId,
    repository_id: repositoryId,
    actor: d.fields.actor,
    target_object_ids: JSON.stringify(d.fields.targetObjectIds),
    github_timestamp: d.fields.githubTimestamp,
    received_at: d.receivedAt,
    headers: JSON.stringify(d.headers),
    payload_storage: storage,
    payload_size: d.body.length,
    max_retries: maxRetries,
  };
}

