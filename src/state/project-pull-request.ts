/**
 * Projects pull_request events: the pull request row (newer `updated_at` wins) and a
 * `pr_state_history` row for every change of state (open/closed/merged) with the action that
 * caused it. Unlinked check runs of the head commit are linked to the pull request.
 */
import type { Dialect, Executor } from '../db/index.js';
import { forUpdate, newId, nowIso, toBool } from '../db/index.js';
import { num, objAt, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import type { EventContext } from '../automations/registry.js';
import { refreshFailingChecks } from './refresh-failing-checks.js';

/** Thrown when a concurrent transaction created the same row first; the receipt is retried. */
export class ConcurrentInsert extends Error {
  readonly code = 'CONCURRENT_INSERT';
}

export function pullRequestProjector(dialect: Dialect) {
  return async function projectPullRequest(ctx: EventContext, tx: Executor): Promise<void> {
    const pr = objAt(ctx.payload, 'pull_request');
    if (!pr || !ctx.repositoryId) return;
    await upsertPullRequest(tx, dialect, ctx.repositoryId, pr, {
      trigger: `pull_request.${ctx.action ?? 'unknown'}`,
      deliveryId: ctx.id,
      actor: str(objAt(ctx.payload, 'sender')?.login),
    });
  };
}

/**
 * Upserts a pull request from a GitHub pull request object (webhook payload or REST answer) and
 * records a state-history row when its state changes, or always when `recordAlways` (a manual check).
 * Returns the pull request's id, or null when the object lacks its number or id.
 */
export async function upsertPullRequest(
  tx: Executor,
  dialect: Dialect,
  repositoryId: string,
  pr: Obj,
  how: { trigger: string; deliveryId: string | null; actor: string | null; recordAlways?: boolean },
): Promise<string | null> {
  const number = num(pr.number);
  const githubId = num(pr.id);
  if (number === null || githubId === null) return null;
  const mergedAt = toIsoTimestamp(pr.merged_at);
  const state: 'open' | 'closed' | 'merged' = pr.state === 'open' ? 'open' : pr.merged === true || mergedAt ? 'merged' : 'closed';
  const updatedAt = toIsoTimestamp(pr.updated_at);
  const now = nowIso();
  const values = {
    github_id: githubId,
    title: str(pr.title) ?? '',
    state,
    is_draft: pr.draft === true,
    author: str(objAt(pr, 'user')?.login),
    head_sha: str(objAt(pr, 'head')?.sha),
    head_ref: str(objAt(pr, 'head')?.ref),
    base_ref: str(objAt(pr, 'base')?.ref),
    html_url: str(pr.html_url),
    merged_at: mergedAt,
    closed_at: toIsoTimestamp(pr.closed_at),
    github_created_at: toIsoTimestamp(pr.created_at),
    github_updated_at: updatedAt,
  };
  const columns = Object.keys(values) as Array<keyof typeof values>;
  const existing = await forUpdate(
    tx.selectFrom('pull_requests').select(['id', ...columns]).where('repository_id', '=', repositoryId).where('number', '=', number),
    dialect,
  ).executeTakeFirst();

  let id: string;
  let fromState: string | null;
  if (!existing) {
    id = newId();
    const inserted = await tx
      .insertInto('pull_requests')
      .values({ id, repository_id: repositoryId, number, ...values, last_checked_at: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['repository_id', 'number']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new ConcurrentInsert(`pull request #${number} was created concurrently`);
    fromState = null;
  } else {
    // An older event after a newer one changes nothing.
    if (existing.github_updated_at && updatedAt && updatedAt < existing.github_updated_at) return existing.id;
    id = existing.id;
    fromState = existing.state;
    // Nothing written when nothing changed (a row rewritten by every delivery of the pull request
    // left a dead row version each time on PostgreSQL, and a page in the WAL each time on SQLite).
    const unchanged = columns.every((c) => (c === 'is_draft' ? toBool(existing.is_draft) === values.is_draft : existing[c] === values[c]));
    if (!unchanged) await tx.updateTable('pull_requests').set({ ...values, updated_at: now }).where('id', '=', id).execute();
  }
  if (fromState !== state || how.recordAlways) {
    await tx
      .insertInto('pr_state_history')
      .values({
        id: newId(),
        pull_request_id: id,
        from_state: fromState,
        to_state: state,
        trigger: how.trigger,
        delivery_id: how.deliveryId,
        actor: how.actor,
        occurred_at: fromState === state ? now : ((state === 'merged' ? mergedAt : state === 'closed' ? values.closed_at : null) ?? updatedAt ?? now),
        created_at: now,
      })
      .execute();
  }
  if (values.head_sha) {
    await tx
      .updateTable('check_runs')
      .set({ pull_request_id: id })
      .where('repository_id', '=', repositoryId)
      .where('head_sha', '=', values.head_sha)
      .where('pull_request_id', 'is', null)
      .execute();
  }
  // A new head commit (or newly linked runs) changes which checks count.
  if (!existing || existing.head_sha !== values.head_sha) await refreshFailingChecks(tx, id);
  return id;
}
