/**
 * The mirror slice's decisions, free of HTTP, SQL and git: which rules pick a repository, where a
 * repository lives on a target, what a failed sync becomes, and how long to wait before retrying.
 */
import type { Updateable } from 'kysely';
import { parseJson } from '../../db/index.js';
import type { SyncFailure } from './errors.js';
import type { MirrorRow, RepositoryFacts, RuleRow } from './repo.js';
import type { RepoMirrorsTable } from './tables.js';

// ---- rules -----------------------------------------------------------------------------------

/** A glob over owner/name: `*` and `?` stay within a segment, `**` crosses them; case-insensitive. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

/** The logins a starred rule accepts (empty: anyone). */
export function ruleUsers(rule: Pick<RuleRow, 'users'>): string[] {
  return parseJson<string[]>(rule.users, []).map((u) => u.toLowerCase());
}

/** The owner/name list of a repositories rule. */
export function ruleRepositories(rule: Pick<RuleRow, 'repositories'>): string[] {
  return parseJson<string[]>(rule.repositories, []).map((r) => r.toLowerCase());
}

/** True when a non-star rule (installation, list, pattern) selects the repository. */
export function ruleSelects(rule: RuleRow, repo: Pick<RepositoryFacts, 'full_name' | 'installation_id'>): boolean {
  switch (rule.kind) {
    case 'installation':
      return rule.installation_id !== null && repo.installation_id !== null && Number(rule.installation_id) === Number(repo.installation_id);
    case 'repositories':
      return ruleRepositories(rule).includes(repo.full_name.toLowerCase());
    case 'pattern':
      return rule.pattern !== null && globToRegExp(rule.pattern).test(repo.full_name);
    case 'starred':
      return false;
  }
}

/** True when a star by `login` counts for a starred rule. */
export function starCounts(rule: RuleRow, login: string | null): boolean {
  if (rule.kind !== 'starred') return false;
  const users = ruleUsers(rule);
  return users.length === 0 || (login !== null && users.includes(login.toLowerCase()));
}

/** The source key a rule contributes to a mirror. */
export function sourceKey(rule: Pick<RuleRow, 'id' | 'kind'>, login?: string | null): string {
  return rule.kind === 'starred' ? `star:${rule.id}:${(login ?? '*').toLowerCase()}` : `rule:${rule.id}`;
}

export function parseSources(text: string | null | undefined): string[] {
  return parseJson<string[]>(text, []);
}

/** Adds a source; returns the new list (unchanged when present). */
export function withSource(sources: string[], key: string): string[] {
  return sources.includes(key) ? sources : [...sources, key];
}

/** Removes sources matching a predicate. */
export function withoutSources(sources: string[], drop: (s: string) => boolean): string[] {
  return sources.filter((s) => !drop(s));
}

/** True for the sources a rule gave (its own key and every star counted by it). */
export function isSourceOfRule(source: string, ruleId: string): boolean {
  return source === `rule:${ruleId}` || source.startsWith(`star:${ruleId}:`);
}

// ---- paths -----------------------------------------------------------------------------------

/** A target's name template applied to a repository: `{owner}`, `{name}`, `{full_name}`. */
export function renderName(template: string, repo: Pick<RepositoryFacts, 'owner' | 'name' | 'full_name'>): string {
  return template.replace(/\{(owner|name|full_name)\}/g, (_, k: 'owner' | 'name' | 'full_name') => repo[k]);
}

/** Problems with a name template, or null when it is fine. */
export function templateProblem(template: string, kind: string): string | null {
  if (!/\{(name|full_name)\}/.test(template)) return 'name_template must contain {name} or {full_name}';
  const rest = template.replace(/\{(owner|name|full_name)\}/g, '');
  if (/[{}]/.test(rest)) return 'name_template may only use {owner}, {name} and {full_name}';
  if (/(^|\/)\.\.?(\/|$)|^\/|\/$|\/\//.test(template)) return 'name_template must be a relative path without empty, . or .. segments';
  if (/[^\w./{}-]/.test(rest)) return 'name_template may contain letters, digits, _, -, . and / besides the placeholders';
  if ((kind === 'gitea' || kind === 'gitlab') && template.includes('/')) return `${kind} targets keep repositories directly in the namespace: name_template cannot contain / ({full_name} becomes owner-name)`;
  return null;
}

// ---- outcomes --------------------------------------------------------------------------------

/**
 * Delay before retry number `retry` (1 = the first retry): base · 2^(retry−1), with "equal jitter"
 * (half fixed, half random) so a retry never comes right after the failure, capped at one hour.
 */
export function retryDelayMs(retry: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(3600_000, baseMs * 2 ** Math.max(0, Math.min(retry - 1, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface SyncSuccess {
  claimedSeq: number;
  startedAt: string;
  durationMs: number;
  bytes: number;
  syncedSha: string | null;
}

/** The row after a completed sync: done, or due again at once if requests came in meanwhile. */
export function afterSuccess(row: MirrorRow, s: SyncSuccess, now: string): Updateable<RepoMirrorsTable> {
  const more = row.requested_seq > s.claimedSeq && toActive(row);
  return {
    sync_status: more ? 'pending' : 'completed',
    due_at: more ? now : null,
    synced_seq: s.claimedSeq,
    // Requests that came in during this sync are at most as old as its start.
    pending_since: more ? s.startedAt : null,
    retry_count: 0,
    error_code: null,
    error_message: null,
    next_retry_at: null,
    last_synced_at: now,
    last_duration_ms: s.durationMs,
    last_bytes: s.bytes,
    synced_sha: s.syncedSha ?? row.synced_sha,
  };
}

function toActive(row: MirrorRow): boolean {
  return row.is_active === true || row.is_active === 1;
}

export interface FailureOutcome {
  patch: Updateable<RepoMirrorsTable>;
  /** `retry` (scheduled), `stopped` (needs someone to fix something), `permanent` (retries spent). */
  kind: 'retry' | 'stopped' | 'permanent';
  retryAt: string | null;
}

/**
 * The row after a failed sync. Transient failures retry with backoff until `max_retries` retries
 * failed, then `permanent_failure`; credential, permission and configuration failures stop at once
 * (no retry storm) until a retry is asked for or the target changes.
 */
export function afterFailure(row: MirrorRow, f: SyncFailure, o: { now: Date; retryBaseMs: number; durationMs: number }): FailureOutcome {
  const common = { error_code: f.code, error_message: f.message.slice(0, 2000), last_duration_ms: o.durationMs };
  if (!f.retryable) {
    return { kind: 'stopped', retryAt: null, patch: { ...common, sync_status: 'failed', next_retry_at: null, due_at: null } };
  }
  const retries = row.retry_count + 1;
  if (retries > row.max_retries) {
    return { kind: 'permanent', retryAt: null, patch: { ...common, sync_status: 'permanent_failure', retry_count: retries, next_retry_at: null, due_at: null } };
  }
  const at = new Date(o.now.getTime() + retryDelayMs(retries, o.retryBaseMs)).toISOString();
  return { kind: 'retry', retryAt: at, patch: { ...common, sync_status: 'failed', retry_count: retries, next_retry_at: at, due_at: toActive(row) ? at : null } };
}

/** Seconds the target is behind GitHub (0 when nothing waits). */
export function lagSeconds(row: Pick<MirrorRow, 'pending_since'>, now = Date.now()): number {
  return row.pending_since ? Math.max(0, Math.round((now - Date.parse(row.pending_since)) / 1000)) : 0;
}
