/**
 * `switchyard pets analyze --git-dir PATH [--range A..B] [--json]`: analyses the commits of any
 * local repository, no GitHub and no database: one line per commit, oldest first. With `--json`,
 * each line is `{"sha","overall_quality_score","health_delta","breakdown",…}`; without, a readable
 * summary. Exit code 0, or 2 when the git dir or the range cannot be read.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { analyzeCommits, type CommitAnalysis } from '../automations/pets/analyzer/index.js';

export interface PetsAnalyzeOptions {
  gitDir: string;
  range?: string;
  json?: boolean;
  git?: string;
}

/** Where the command writes; tests pass their own. */
export interface PetsAnalyzeIo {
  /** Writes one line (no newline); resolves when it may write the next (backpressure). */
  out: (line: string) => Promise<void> | void;
  err: (text: string) => void;
  signal?: AbortSignal;
}

/** The JSON line of one commit. */
export function analysisJsonLine(a: CommitAnalysis): string {
  return JSON.stringify({
    sha: a.sha,
    overall_quality_score: a.overall_quality_score,
    health_delta: a.health_delta,
    breakdown: a.breakdown,
    subject: a.subject,
    isMerge: a.isMerge,
    authoredAt: a.authoredAt,
    filesChanged: a.filesChanged,
    additions: a.additions,
    deletions: a.deletions,
    findings: a.findings,
    notes: a.notes,
    metrics: a.metrics,
    analyzerVersion: a.analyzerVersion,
  });
}

function readableLine(a: CommitAnalysis): string {
  const delta = `${a.health_delta > 0 ? '+' : ''}${a.health_delta}`;
  const parts = Object.entries(a.breakdown)
    .filter(([, c]) => c.points !== 0)
    .map(([k, c]) => `${k} ${c.points > 0 ? '+' : ''}${c.points}`);
  return `${a.sha.slice(0, 10)}  ${a.overall_quality_score.toFixed(1).padStart(5)}  ${delta.padStart(3)}  ${a.subject.slice(0, 72)}${parts.length ? `  [${parts.join(', ')}]` : ''}`;
}

/** Runs the command; returns the exit code. */
export async function petsAnalyze(opts: PetsAnalyzeOptions, io: PetsAnalyzeIo): Promise<number> {
  try {
    const st = await fs.promises.stat(opts.gitDir);
    if (!st.isDirectory()) {
      io.err(`${opts.gitDir} is not a directory\n`);
      return 2;
    }
  } catch {
    io.err(`${opts.gitDir}: no such directory\n`);
    return 2;
  }
  try {
    for await (const a of analyzeCommits({ gitDir: opts.gitDir, range: opts.range, git: opts.git, signal: io.signal })) {
      await io.out(opts.json ? analysisJsonLine(a) : readableLine(a));
    }
    return 0;
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

/** A line writer on process.stdout that waits when the pipe is full and stops quietly on EPIPE. */
function stdoutLines(): (line: string) => Promise<void> {
  return (line) =>
    new Promise<void>((resolve) => {
      if (process.stdout.write(`${line}\n`)) resolve();
      else process.stdout.once('drain', resolve);
    });
}

/** Adds `analyze` to the `pets` command group. */
export function registerPetsAnalyzeCommand(pets: Command): void {
  pets
    .command('analyze')
    .description('analyse the commits of a local git repository (no GitHub, no database): one line per commit, oldest first')
    .requiredOption('--git-dir <path>', 'the git directory (bare, or a .git)')
    .option('--range <range>', "'A..B', one commit, or the whole history of HEAD when omitted")
    .option('--json', 'one JSON object per line: {"sha","overall_quality_score","health_delta","breakdown",…}')
    .action(async (opts: PetsAnalyzeOptions) => {
      const controller = new AbortController();
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') controller.abort();
      });
      process.exitCode = await petsAnalyze(opts, {
        out: stdoutLines(),
        err: (t) => process.stderr.write(t),
        signal: controller.signal,
      });
    });
}
