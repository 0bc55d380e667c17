/**
 * What the analyser remembers of the commits before the current one: a window of the last
 * `size` commits read (their author and touched files), so memory is bounded and the facts of a
 * commit depend only on commits read before it (its ancestors, in `--topo-order --reverse`).
 */
import type { HistoryFacts } from './commit-facts.js';

const FIX = /\b(?:fix(?:e[sd])?|bug|regression|crash|broken|hotfix|patch(?:ed)?|repair|correct(?:s|ed)?)\b/i;

interface Entry {
  author: string;
  files: string[];
  fix: boolean;
}

/** A sliding window over the last `size` commits' authors and touched files. */
export class HistoryWindow {
  private readonly ring: Array<Entry | undefined>;
  private next = 0;
  private count = 0;
  private readonly authors = new Map<string, number>();
  private readonly touches = new Map<string, { n: number; fixes: number }>();

  constructor(readonly size = 5000) {
    this.ring = new Array<Entry | undefined>(size);
  }

  /** Facts about a commit by `author` touching `files`, from the window (before adding it). */
  factsFor(author: string, files: string[], isCode: (path: string) => boolean = () => true): HistoryFacts {
    let sum = 0;
    let fixes = 0;
    let known = 0;
    let codeSum = 0;
    let codeKnown = 0;
    for (const f of files) {
      const t = this.touches.get(f);
      if (!t) continue;
      known++;
      sum += t.n;
      fixes += t.fixes;
      if (isCode(f)) {
        codeKnown++;
        codeSum += t.n;
      }
    }
    return {
      authorPriorCommits: this.authors.get(author.toLowerCase()) ?? 0,
      priorCommits: this.count,
      meanFileTouches: known === 0 ? 0 : sum / known,
      meanCodeFileTouches: codeKnown === 0 ? 0 : codeSum / codeKnown,
      fileFixShare: sum === 0 ? 0 : fixes / sum,
      newFiles: files.length - known,
    };
  }

  /** Adds a commit to the window, forgetting the oldest when full. */
  add(author: string, files: string[], subject: string): void {
    const old = this.ring[this.next];
    if (old) this.forget(old);
    const entry: Entry = { author: author.toLowerCase(), files: files.slice(0, 200), fix: FIX.test(subject) };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.size;
    this.count = Math.min(this.count + 1, this.size);
    this.authors.set(entry.author, (this.authors.get(entry.author) ?? 0) + 1);
    for (const f of entry.files) {
      const t = this.touches.get(f) ?? { n: 0, fixes: 0 };
      t.n++;
      if (entry.fix) t.fixes++;
      this.touches.set(f, t);
    }
  }

  private forget(e: Entry): void {
    const a = (this.authors.get(e.author) ?? 1) - 1;
    if (a <= 0) this.authors.delete(e.author);
    else this.authors.set(e.author, a);
    for (const f of e.files) {
      const t = this.touches.get(f);
      if (!t) continue;
      t.n--;
      if (e.fix) t.fixes--;
      if (t.n <= 0) this.touches.delete(f);
    }
  }
}
