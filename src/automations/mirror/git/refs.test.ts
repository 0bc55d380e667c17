import { describe, expect, it } from 'vitest';
import { parseForEachRef, parseLsRemote } from '../../../git/index.js';
import { backupRefName, backupStamp, parsePushRejections, planIsEmpty, planRefChanges } from './refs.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('refs', () => {
  it('keeps only branches and tags: never refs/pull, peeled tags, HEAD or backups', () => {
    const refs = parseLsRemote([`${A}\tHEAD`, `${A}\trefs/heads/main`, `${B}\trefs/tags/v1`, `${C}\trefs/tags/v1^{}`, `${C}\trefs/pull/1/head`, `${C}\trefs/merge-requests/2/head`, `${C}\trefs/switchyard/backup/x/heads/main`].join('\n'));
    expect([...refs.keys()]).toEqual(['refs/heads/main', 'refs/tags/v1']);
    expect([...parseForEachRef(`${A} refs/heads/main\n${B} refs/pull/3/head\n`).keys()]).toEqual(['refs/heads/main']);
  });

  it('plans creations, updates and deletions', () => {
    const plan = planRefChanges(new Map([['refs/heads/main', B], ['refs/heads/new', C], ['refs/tags/v1', A]]), new Map([['refs/heads/main', A], ['refs/heads/gone', A], ['refs/tags/v1', A]]));
    expect(plan.creates).toEqual([{ ref: 'refs/heads/new', old: null, new: C }]);
    expect(plan.updates).toEqual([{ ref: 'refs/heads/main', old: A, new: B }]);
    expect(plan.deletes).toEqual([{ ref: 'refs/heads/gone', old: A, new: null }]);
    expect(planIsEmpty(planRefChanges(new Map([['refs/heads/main', A]]), new Map([['refs/heads/main', A]])))).toBe(true);
  });

  it('names backups under refs/switchyard/backup/<stamp>/', () => {
    const stamp = backupStamp(new Date('2026-11-26T10:11:12.123Z'));
    expect(stamp).toBe('20261126T101112123Z');
    expect(backupRefName('refs/heads/feature/x', stamp)).toBe('refs/switchyard/backup/20261126T101112123Z/heads/feature/x');
    expect(backupRefName('refs/tags/v1', stamp)).toBe('refs/switchyard/backup/20261126T101112123Z/tags/v1');
  });

  it('reads rejections from push --porcelain', () => {
    const out = ['To http://x/y.git', '=\trefs/heads/a:refs/heads/a\t[up to date]', '!\trefs/heads/b:refs/heads/b\t[rejected] (stale info)', 'Done'].join('\n');
    expect(parsePushRejections(out)).toEqual([{ ref: 'refs/heads/b', reason: '[rejected] (stale info)' }]);
  });
});
