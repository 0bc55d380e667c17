/**
 * Every external effect of the agents is here, and is Switchyard's code: one status comment on
 * the issue (found by its marker, updated in place), a draft pull request from
 * `switchyard/issue-<n>` (found by head branch first, never opened twice) and pull request reviews
 * with event COMMENT. No code path approves, merges or marks a pull request ready. Everything is
 * scanned and redacted before it leaves.
 */
import type { GitHubClient } from '../../github/index.js';
import { redact, type ScanOptions } from './secret-scan.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export function repoRef(fullName: string): RepoRef {
  const [owner = '', repo = ''] = fullName.split('/');
  return { owner, repo };
}

const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

/** True when `login` may write to the repository (GitHub's collaborator permission). */
export async function hasWriteAccess(gh: GitHubClient, r: RepoRef, login: string): Promise<boolean> {
  try {
    const { data } = await gh.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...r, username: login });
    const d = data as { permission?: string; role_name?: string };
    return WRITE_PERMISSIONS.has(d.permission ?? '') || WRITE_PERMISSIONS.has(d.role_name ?? '');
  } catch (err) {
    if ((err as { status?: number }).status === 404) return false;
    throw err;
  }
}

export function statusMarker(conversationId: string): string {
  return `<!-- switchyard-agents:${conversationId} -->`;
}

/** Creates or updates the conversation's one status comment; returns its id. */
export async function upsertStatusComment(gh: GitHubClient, r: RepoRef, o: { issueNumber: number; conversationId: string; commentId: number | null; body: string; scan: ScanOptions }): Promise<number> {
  const body = `${statusMarker(o.conversationId)}\n${redact(o.body, o.scan)}`;
  let id = o.commentId;
  if (id === null) {
    // A crash after creating it but before saving its id must not make a second one.
    const list = await gh.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...r, issue_number: o.issueNumber, per_page: 100 });
    const mine = (list as Array<{ id: number; body?: string }>).find((c) => c.body?.startsWith(statusMarker(o.conversationId)));
    id = mine?.id ?? null;
  }
  if (id !== null) {
    try {
      await gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...r, comment_id: id, body });
      return id;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
  }
  const { data } = await gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...r, issue_number: o.issueNumber, body });
  return Number((data as { id: number }).id);
}

/** The draft pull request of the branch: found by head first, opened (as a draft) only when missing. */
export async function ensureDraftPullRequest(gh: GitHubClient, r: RepoRef, o: { branch: string; base: string; title: string; body: string; scan: ScanOptions }): Promise<number> {
  const { data } = await gh.request('GET /repos/{owner}/{repo}/pulls', { ...r, head: `${r.owner}:${o.branch}`, state: 'all', per_page: 10 });
  const found = (data as Array<{ number: number; head: { ref: string } }>).find((p) => p.head.ref === o.branch);
  if (found) return found.number;
  const created = await gh.request('POST /repos/{owner}/{repo}/pulls', { ...r, head: o.branch, base: o.base, title: redact(o.title, o.scan).slice(0, 250), body: redact(o.body, o.scan), draft: true });
  return Number((created.data as { number: number }).number);
}

/** Posts a review with event COMMENT (never APPROVE or REQUEST_CHANGES: humans decide). */
export async function postReview(gh: GitHubClient, r: RepoRef, o: { pullNumber: number; body: string; commitId: string; scan: ScanOptions }): Promise<number> {
  const { data } = await gh.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { ...r, pull_number: o.pullNumber, commit_id: o.commitId, body: redact(o.body, o.scan), event: 'COMMENT' });
  return Number((data as { id: number }).id);
}
