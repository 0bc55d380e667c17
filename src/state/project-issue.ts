/** Projects issues events into github_issues (newer `updated_at` wins; deleted and transferred are kept, flagged). */
import type { Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { arr, num, objAt, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import type { EventContext } from '../automations/registry.js';

export async function projectIssue(ctx: EventContext, tx: Executor): Promise<void> {
  const issue = objAt(ctx.payload, 'issue');
  const number = num(issue?.number);
  const githubId = num(issue?.id);
  if (!issue || number === null || githubId === null || !ctx.repositoryId) return;
  const now = nowIso();
  const updatedAt = toIsoTimestamp(issue.updated_at);
  const gone = ctx.action === 'deleted' || ctx.action === 'transferred';
  const values = {
    github_id: githubId,
    title: str(issue.title) ?? '',
    state: issue.state === 'closed' ? ('closed' as const) : ('open' as const),
    author: str(objAt(issue, 'user')?.login),
    labels: JSON.stringify(arr(issue.labels).map((l) => (typeof l === 'string' ? l : str((l as Obj)?.name))).filter(Boolean)),
    assignees: JSON.stringify(arr(issue.assignees).map((a) => str((a as Obj)?.login)).filter(Boolean)),
    comments: num(issue.comments) ?? 0,
    html_url: str(issue.html_url),
    closed_at: toIsoTimestamp(issue.closed_at),
    github_created_at: toIsoTimestamp(issue.created_at),
    github_updated_at: updatedAt,
  };
  await tx
    .insertInto('github_issues')
    .values({ id: newId(), repository_id: ctx.repositoryId, number, ...values, is_deleted: gone, created_at: now, updated_at: now })
    .onConflict((oc) => {
      const u = oc.columns(['repository_id', 'number']).doUpdateSet({ ...values, updated_at: now });
      return updatedAt && !gone
        ? u.where((eb) => eb.or([eb('github_issues.github_updated_at', 'is', null), eb('github_issues.github_updated_at', '<=', updatedAt)]))
        : u;
    })
    .execute();
  if (gone) {
    await tx.updateTable('github_issues').set({ is_deleted: true, updated_at: now }).where('repository_id', '=', ctx.repositoryId).where('number', '=', number).execute();
  }
}
