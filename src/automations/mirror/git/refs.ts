/**
 * Refs as the mirror sees them, and what a sync must change on the target.
 *
 * Only branches (`refs/heads/*`) and tags (`refs/tags/*`) are mirrored: never `refs/pull/*`, a
 * forge's own refs (`refs/merge-requests/*`, `refs/pull/*` on Gitea), or Switchyard's backups.
 */

export type RefMap = Map<string, string>;

/** True for the refs a mirror carries. */
export function isMirroredRef(ref: string): boolean {
  return (ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/')) && !ref.endsWith('^{}') && ref !== 'refs/heads/HEAD';
}

/** Parses `git ls-remote` output (`<sha>\t<ref>` lines), keeping mirrored refs. */
export function parseLsRemote(text: string): RefMap {
  const refs: RefMap = new Map();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const sha = line.slice(0, tab).trim();
    const ref = line.slice(tab + 1).trim();
    if (/^[0-9a-f]{40,64}$/.test(sha) && isMirroredRef(ref)) refs.set(ref, sha);
  }
  return refs;
}

/** Parses `git for-each-ref --format='%(objectname) %(refname)'` output, keeping mirrored refs. */
export function parseForEachRef(text: string): RefMap {
  const refs: RefMap = new Map();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const ref = line.slice(sp + 1).trim();
    if (isMirroredRef(ref)) refs.set(ref, line.slice(0, sp));
  }
  return refs;
}

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
