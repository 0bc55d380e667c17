/**
 * Listing refs: `git ls-remote` and `git for-each-ref` output as a map of ref → sha.
 *
 * Only branches (`refs/heads/*`) and tags (`refs/tags/*`) are kept: never `refs/pull/*`, a forge's
 * own refs (`refs/merge-requests/*`, `refs/pull/*` on Gitea), peeled tags, or Switchyard's backups.
 */

export type RefMap = Map<string, string>;

/** True for branches and tags (the refs a mirror carries and the pets follow). */
export function isMirroredRef(ref: string): boolean {
  return (ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/')) && !ref.endsWith('^{}') && ref !== 'refs/heads/HEAD';
}

/** Parses `git ls-remote` output (`<sha>\t<ref>` lines), keeping branches and tags. */
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

/** Parses `git for-each-ref --format='%(objectname) %(refname)'` output, keeping branches and tags. */
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
