import { describe, expect, it } from 'vitest';
import { bandOf, commitEffect, deathDue, decayDays, generatedName, livingState, moveHealth, typeFromLanguage } from './rules.js';

const base = { life_state: 'alive' as const, last_commit_at: '2026-03-01T12:00:00.000Z', born_at: '2026-01-01T00:00:00.000Z', last_decay_on: null, archived: false, decayPerDay: 2 };

describe('pet rules', () => {
  it('takes the type from the language (robot, plant, pet, golem, blob)', () => {
    expect(['C', 'C++', 'Go', 'Rust'].map(typeFromLanguage)).toEqual(['robot', 'robot', 'robot', 'robot']);
    expect(typeFromLanguage('Python')).toBe('plant');
    expect([typeFromLanguage('JavaScript'), typeFromLanguage('TypeScript')]).toEqual(['pet', 'pet']);
    expect(['Java', 'Kotlin', 'Scala', 'C#'].map(typeFromLanguage)).toEqual(['golem', 'golem', 'golem', 'golem']);
    expect([typeFromLanguage('Haskell'), typeFromLanguage(null)]).toEqual(['blob', 'blob']);
  });

  it('names a pet the same way every time for the same repository id', () => {
    expect(generatedName(42)).toBe(generatedName(42));
    expect(new Set([1, 2, 3, 4, 5, 6, 7, 8].map(generatedName)).size).toBeGreaterThan(4);
  });

  it('bands: thriving ≥ 80, healthy ≥ 60, okay ≥ 40, poor ≥ 20, dying < 20', () => {
    expect([100, 80, 79, 60, 59, 40, 39, 20, 19, 0].map(bandOf)).toEqual(['thriving', 'thriving', 'healthy', 'healthy', 'okay', 'okay', 'poor', 'poor', 'dying', 'dying']);
    expect([livingState(20), livingState(19)]).toEqual(['alive', 'dying']);
  });

  it('clamps health into 0–100, remembers since when it is 0, and leaves a dead pet alone', () => {
    expect(moveHealth({ health: 95, life_state: 'alive', zero_since: null }, 12, 't')).toMatchObject({ before: 95, after: 100 });
    const zero = moveHealth({ health: 5, life_state: 'dying', zero_since: null }, -9, 't1');
    expect(zero).toEqual({ before: 5, after: 0, life_state: 'dying', zero_since: 't1' });
    expect(moveHealth({ health: 0, life_state: 'dying', zero_since: 't1' }, -2, 't2').zero_since).toBe('t1');
    expect(moveHealth({ health: 0, life_state: 'dying', zero_since: 't1' }, 3, 't2')).toMatchObject({ after: 3, zero_since: null });
    expect(moveHealth({ health: 0, life_state: 'dead', zero_since: 't1' }, 20, 't2')).toMatchObject({ after: 0, life_state: 'dead' });
  });

  it('moves health only for recent, non-merge commits of a living pet', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(commitEffect({ life_state: 'alive' }, { isMerge: false, committedAt: '2026-05-30T00:00:00Z' }, now, 90)).toBe('applied');
    expect(commitEffect({ life_state: 'alive' }, { isMerge: false, committedAt: '2026-01-01T00:00:00Z' }, now, 90)).toBe('too_old');
    expect(commitEffect({ life_state: 'alive' }, { isMerge: true, committedAt: '2026-05-30T00:00:00Z' }, now, 90)).toBe('merge');
    expect(commitEffect({ life_state: 'dead' }, { isMerge: false, committedAt: '2026-05-30T00:00:00Z' }, now, 90)).toBe('dead');
  });

  it('decays after three days of grace, one day at a time; a missed day is caught up once, never twice', () => {
    expect(decayDays(base, '2026-03-04', 3)).toEqual([]);
    expect(decayDays(base, '2026-03-05', 3)).toEqual(['2026-03-05']);
    // The run of the 6th was missed: the 7th applies the 6th and the 7th.
    expect(decayDays({ ...base, last_decay_on: '2026-03-05' }, '2026-03-07', 3)).toEqual(['2026-03-06', '2026-03-07']);
    expect(decayDays({ ...base, last_decay_on: '2026-03-07' }, '2026-03-07', 3)).toEqual([]);
    // A new commit restarts the grace period; an old last_decay_on does not count then.
    expect(decayDays({ ...base, last_decay_on: '2026-03-07', last_commit_at: '2026-03-08T09:00:00Z' }, '2026-03-11', 3)).toEqual([]);
    expect(decayDays({ ...base, last_decay_on: '2026-03-07', last_commit_at: '2026-03-08T09:00:00Z' }, '2026-03-12', 3)).toEqual(['2026-03-12']);
  });

  it('never decays a dead, archived, empty or decay-free pet', () => {
    expect(decayDays({ ...base, life_state: 'dead' }, '2026-04-01', 3)).toEqual([]);
    expect(decayDays({ ...base, archived: true }, '2026-04-01', 3)).toEqual([]);
    expect(decayDays({ ...base, last_commit_at: null }, '2026-04-01', 3)).toEqual([]);
    expect(decayDays({ ...base, decayPerDay: 0 }, '2026-04-01', 3)).toEqual([]);
  });

  it('dies after seven days at 0', () => {
    const p = { health: 0, life_state: 'dying' as const, zero_since: '2026-03-01T00:00:00.000Z' };
    expect(deathDue(p, new Date('2026-03-07T23:59:59Z'))).toBe(false);
    expect(deathDue(p, new Date('2026-03-08T00:00:00Z'))).toBe(true);
    expect(deathDue({ ...p, health: 1 }, new Date('2026-04-01T00:00:00Z'))).toBe(false);
  });
});
