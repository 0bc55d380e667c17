/**
 * What a mirror sync must change on the target, and the names of its backups. Listing refs lives
 * in src/git (refs.ts).
 */
import type { RefMap } from '../../../git/index.js';

export interface RefChange {
  ref: string;
  /** On the target now (null: it does not exist there). */
  old: string | null;
  /** What it must become (null: delete it). */
  new: string | null;
}

export interface RefPlan {
  creates: RefChange[];
  updates: RefChange[];
  deletes: RefChange[];
}

/** What must change on the target so its refs equal the source's. */
export function planRefChanges(source: RefMap, target: RefMap): RefPlan {
  const plan: RefPlan = { creates: [], updates: [], deletes: [] };
  for (const [ref, sha] of source) {
    const old = target.get(ref);
    if (old === undefined) plan.creates.push({ ref, old: null, new: sha });
    else if (old !== sha) plan.updates.push({ ref, old, new: sha });
  }
  for (const [ref, old] of target) if (!source.has(ref)) plan.deletes.push({ ref, old, new: null });
  return plan;
}

/** True when nothing differs. */
export function planIsEmpty(p: RefPlan): boolean {
  return p.creates.length === 0 && p.updates.length === 0 && p.deletes.length === 0;
}

/** A compact timestamp for backup ref names: 20261126T101112123Z. */
export function backupStamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/**
 * Where the old tip of `ref` is kept: `refs/switchyard/backup/<stamp>/heads/<branch>` (or `tags/…`).
 * The stamp comes first so a branch named like a stamp cannot collide with a backup.
 */
export function backupRefName(ref: string, stamp: string): string {
  return `refs/switchyard/backup/${stamp}/${ref.replace(/^refs\//, '')}`;
}

/** Parses `git push --porcelain` output: refs the target rejected, with git's reason. */
export function parsePushRejections(stdout: string): Array<{ ref: string; reason: string }> {
  const out: Array<{ ref: string; reason: string }> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('!\t')) continue;
    const [, spec = '', reason = ''] = line.split('\t');
    out.push({ ref: spec.split(':').pop() ?? spec, reason: reason.trim() });
  }
  return out;
}
