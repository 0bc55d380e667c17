import { describe, expect, it } from 'vitest';
import { SyncFailure } from './errors.js';
import type { MirrorRow, RuleRow } from './repo.js';
import { afterFailure, afterSuccess, globToRegExp, isSourceOfRule, renderName, retryDelayMs, ruleSelects, sourceKey, starCounts, templateProblem } from './service.js';

const rule = (r: Partial<RuleRow>): RuleRow => ({ id: 'r1', target_id: 't', kind: 'pattern', users: null, installation_id: null, repositories: null, pattern: null, created_at: '', updated_at: '', ...r });
const mirror = (m: Partial<MirrorRow> = {}): MirrorRow =>
  ({ id: 'm', is_active: true, retry_count: 0, max_retries: 3, requested_seq: 5, synced_seq: 4, synced_sha: null, pending_since: '2026-01-01T00:00:00Z', ...m }) as MirrorRow;

describe('mirror decisions', () => {
  it('matches rules: pattern, list, installation, stars', () => {
    const repo = { full_name: 'Acme/web-app', installation_id: 7 };
    expect(ruleSelects(rule({ pattern: 'acme/*' }), repo)).toBe(true);
    expect(ruleSelects(rule({ pattern: 'acme/web-?pp' }), repo)).toBe(true);
    expect(ruleSelects(rule({ pattern: '*/api' }), repo)).toBe(false);
    expect(ruleSelects(rule({ kind: 'repositories', repositories: '["acme/web-app"]' }), repo)).toBe(true);
    expect(ruleSelects(rule({ kind: 'installation', installation_id: 7 }), repo)).toBe(true);
    expect(ruleSelects(rule({ kind: 'installation', installation_id: 8 }), repo)).toBe(false);
    expect(starCounts(rule({ kind: 'starred', users: '[]' }), 'anyone')).toBe(true);
    expect(starCounts(rule({ kind: 'starred', users: '["octocat"]' }), 'OctoCat')).toBe(true);
    expect(starCounts(rule({ kind: 'starred', users: '["octocat"]' }), 'hubot')).toBe(false);
    expect(globToRegExp('a/**').test('a/b/c')).toBe(true);
  });

  it('keys sources per rule and per starring user', () => {
    expect(sourceKey(rule({ id: 'x', kind: 'starred' }), 'OctoCat')).toBe('star:x:octocat');
    expect(sourceKey(rule({ id: 'x', kind: 'pattern' }))).toBe('rule:x');
    expect(isSourceOfRule('star:x:octocat', 'x')).toBe(true);
    expect(isSourceOfRule('rule:y', 'x')).toBe(false);
  });

  it('renders names and refuses bad templates', () => {
    expect(renderName('{owner}-{name}', { owner: 'acme', name: 'web', full_name: 'acme/web' })).toBe('acme-web');
    expect(templateProblem('{owner}/{name}', 'gitea')).toMatch(/cannot contain \//);
    expect(templateProblem('{owner}/{name}', 'onedev')).toBeNull();
    expect(templateProblem('static', 'onedev')).toMatch(/must contain/);
    expect(templateProblem('../{name}', 'git')).toMatch(/relative/);
    expect(templateProblem('{name}{secret}', 'git')).toMatch(/only use/);
  });

  it('backs off exponentially with jitter, never right away, capped at an hour', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(4000);
    expect(retryDelayMs(40, 1000, () => 1)).toBe(3600_000);
  });

  it('retries transient failures until max_retries, then permanent_failure', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const transient = new SyncFailure('MIRROR_TARGET_UNREACHABLE', 'transient', 'down');
    const first = afterFailure(mirror({ retry_count: 0 }), transient, { now, retryBaseMs: 1000, durationMs: 5 });
    expect(first.kind).toBe('retry');
    expect(first.patch).toMatchObject({ sync_status: 'failed', retry_count: 1, error_code: 'MIRROR_TARGET_UNREACHABLE' });
    expect(first.patch.due_at).toBe(first.retryAt);
    const last = afterFailure(mirror({ retry_count: 3 }), transient, { now, retryBaseMs: 1000, durationMs: 5 });
    expect(last.kind).toBe('permanent');
    expect(last.patch).toMatchObject({ sync_status: 'permanent_failure', retry_count: 4, due_at: null, next_retry_at: null });
  });

  it('stops at once on a refused credential: no retry storm', () => {
    const o = afterFailure(mirror(), new SyncFailure('MIRROR_TARGET_AUTH_FAILED', 'auth', 'refused'), { now: new Date(), retryBaseMs: 1000, durationMs: 5 });
    expect(o.kind).toBe('stopped');
    expect(o.patch).toMatchObject({ sync_status: 'failed', next_retry_at: null, due_at: null });
    expect(o.patch.retry_count).toBeUndefined();
  });

  it('after a sync, is due again at once when requests came in meanwhile (coalescing)', () => {
    const s = { claimedSeq: 5, startedAt: '2026-01-01T00:00:01Z', durationMs: 10, bytes: 1, syncedSha: 'abc' };
    expect(afterSuccess(mirror({ requested_seq: 5 }), s, 'now')).toMatchObject({ sync_status: 'completed', due_at: null, synced_seq: 5, pending_since: null, retry_count: 0 });
    expect(afterSuccess(mirror({ requested_seq: 7 }), s, 'now')).toMatchObject({ sync_status: 'pending', due_at: 'now', synced_seq: 5, pending_since: s.startedAt });
  });
});
