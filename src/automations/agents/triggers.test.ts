import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectMemory } from './memory.js';
import { resolveInside } from './tools.js';
import { decide } from './triggers.js';

const project = { triggerLabel: 'switchyard', assigneeLogins: ['switchyard-bot'] };

describe('what starts and stops the agents', () => {
  it('the project’s label, an assignment to a named login, or a /switchyard comment', () => {
    expect(decide({ name: 'issues', action: 'labeled', payload: { label: { name: 'Switchyard' } } }, project)).toEqual({ kind: 'start', trigger: 'label' });
    expect(decide({ name: 'issues', action: 'labeled', payload: { label: { name: 'bug' } } }, project)).toBeNull();
    expect(decide({ name: 'issues', action: 'assigned', payload: { assignee: { login: 'switchyard-bot' } } }, project)).toEqual({ kind: 'start', trigger: 'assignment' });
    expect(decide({ name: 'issues', action: 'assigned', payload: { assignee: { login: 'octocat' } } }, project)).toBeNull();
    expect(decide({ name: 'issue_comment', action: 'created', payload: { comment: { body: '/switchyard please' } } }, project)).toEqual({ kind: 'start', trigger: 'comment' });
    expect(decide({ name: 'issue_comment', action: 'created', payload: { comment: { body: '  /switchyard stop' } } }, project)).toEqual({ kind: 'stop' });
    expect(decide({ name: 'issue_comment', action: 'created', payload: { comment: { body: 'I think /switchyard could help' } } }, project)).toBeNull();
    expect(decide({ name: 'issue_comment', action: 'edited', payload: { comment: { body: '/switchyard' } } }, project)).toBeNull();
  });
});

describe('file tools stay inside the worktree', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agents-tools-'));
  fs.mkdirSync(path.join(root, 'src'));
  fs.symlinkSync('/etc', path.join(root, 'etc-link'));
  fs.mkdirSync(path.join(root, '.github/workflows'), { recursive: true });
  fs.symlinkSync('/etc', path.join(root, '.github/workflows/etc'));

  it('refuses escapes, .git and workflows, however spelled', () => {
    expect(resolveInside(root, 'src/a.js')).toMatchObject({ ok: true, rel: 'src/a.js' });
    expect(resolveInside(root, './src/../src/b.js')).toMatchObject({ ok: true, rel: 'src/b.js' });
    for (const bad of ['../x', '/etc/passwd', 'src/../../x', '.git/config', 'sub/.GIT/hooks/pre-commit', '.github/workflows/ci.yml', './.github/../.github/workflows/x.yml', '.GitHub/Workflows/y.yml', 'etc-link/passwd']) {
      expect(resolveInside(root, bad), bad).toMatchObject({ ok: false });
    }
    // Workflows may be read, but a link in them may not lead out.
    expect(resolveInside(root, '.github/workflows/ci.yml', { read: true })).toMatchObject({ ok: true });
    expect(resolveInside(root, '.github/workflows/etc/passwd', { read: true })).toMatchObject({ ok: false });
    expect(resolveInside(root, 'etc-link/passwd', { read: true })).toMatchObject({ ok: false });
  });
});

describe('agent memory joins a call', () => {
  const fact = (key: string, importance: number, value = 'v', expires_at: string | null = null) => ({ category: 'convention', key, value, importance, expires_at });

  it('most important first, expired ones left out, within the token budget', () => {
    const now = '2026-12-07T12:00:00.000Z';
    const lines = selectMemory([fact('low', 2), fact('high', 9), fact('gone', 10, 'v', '2026-12-01T00:00:00.000Z'), fact('mid', 5)], now);
    expect(lines.map((l) => l.split(':')[0])).toEqual(['[convention] high', '[convention] mid', '[convention] low']);
    const big = Array.from({ length: 50 }, (_, i) => fact(`k${i}`, 10 - (i % 10), 'x'.repeat(200)));
    const chosen = selectMemory(big, now);
    const tokens = chosen.reduce((s, l) => s + Math.ceil(l.length / 4) + 1, 0);
    expect(tokens).toBeLessThanOrEqual(1500);
    expect(chosen.length).toBeGreaterThan(10);
    // About 25 lines of ~60 tokens fit: the most important ones, and no room is left for another.
    const importances = chosen.map((l) => Number(/importance (\d+)/.exec(l)![1]));
    expect(importances).toEqual([...importances].sort((a, b) => b - a));
    expect(tokens + 60).toBeGreaterThan(1500);
    expect(Math.min(...importances)).toBeGreaterThanOrEqual(6);
  });
});
