/**
 * `switchyard triage explain [--passing PASSING_LOG] [--json] LOG...`: explains failed CI build logs
 * offline: the failure lines, the category, the root cause and what to do.
 *
 * Logs may be plain or gzipped (detected from their first bytes) and are streamed, so a log of any
 * size is read in bounded memory. Exit code 0 when every log was explained, 2 when a file is missing
 * or unreadable (nothing is analyzed then).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { createRuleAnalyzer, forEachLine, type LogAnalysis, type LogAnalyzer } from '../automations/ci-triage/analyzer/index.js';

export interface ExplainOptions {
  passing?: string;
  json?: boolean;
}

/** Where the command writes; tests pass their own. */
export interface ExplainIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Highlight failure lines with ANSI bold/red (default: stdout is a TTY and NO_COLOR is unset). */
  color: boolean;
  analyzer?: LogAnalyzer;
}

/** Lines of context shown around each failure range in the readable report. */
const CONTEXT = 2;
/** Most lines shown per log in the readable report. */
const MAX_SHOWN = 80;

async function checkReadable(file: string): Promise<string | null> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) return `${file} is not a file`;
    await fs.promises.access(file, fs.constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${file}: no such file`;
    if (code === 'EACCES' || code === 'EPERM') return `${file}: permission denied`;
    return `${file}: cannot be read (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** The readable report of one log: verdict, root cause, reason, the failure lines with context. */
async function report(file: string, a: LogAnalysis, io: ExplainIo): Promise<string> {
  const bold = (s: string) => (io.color ? `\x1b[1m${s}\x1b[22m` : s);
  const red = (s: string) => (io.color ? `\x1b[1;31m${s}\x1b[0m` : s);
  const dim = (s: string) => (io.color ? `\x1b[2m${s}\x1b[22m` : s);
  const lines: string[] = [];
  lines.push(`${bold(file)}: ${bold(a.category)} (confidence ${a.confidence.toFixed(2)}) → ${a.recommendedAction}`);
  lines.push(`  ${a.rootCause}`);
  lines.push(dim(`  reason: ${a.reason}`));
  if (a.failureLines.length === 0) {
    lines.push('  (no failure lines found)');
    return lines.join('\n');
  }
  // Which lines to show: each range with a little context, capped.
  const marked = new Set<number>();
  const wanted = new Set<number>();
  for (const [s, e] of a.failureLines) {
    for (let n = s; n <= e; n++) marked.add(n);
    for (let n = Math.max(1, s - CONTEXT); n <= e + CONTEXT; n++) wanted.add(n);
  }
  const shown = [...wanted].sort((x, y) => x - y).slice(0, MAX_SHOWN);
  const keep = new Set(shown);
  const last = shown[shown.length - 1] ?? 0;
  const texts = new Map<number, string>();
  let n = 0;
  await forEachLine(fs.createReadStream(file), (raw) => {
    n++;
    if (keep.has(n)) texts.set(n, stripControl(raw));
  }).catch(() => undefined);
  const width = String(last).length;
  let prev = 0;
  lines.push('');
  for (const ln of shown) {
    if (prev && ln > prev + 1) lines.push(dim(`  ${' '.repeat(width)} ⋮`));
    const text = texts.get(ln) ?? '';
    const num = String(ln).padStart(width);
    lines.push(marked.has(ln) ? red(`> ${num} | ${text}`) : dim(`  ${num} | `) + text);
    prev = ln;
  }
  if (wanted.size > shown.length) lines.push(dim(`  … ${wanted.size - shown.length} more lines in ${a.failureLines.length} range(s)`));
  return lines.join('\n');
}

/** Terminal escapes removed so a log cannot restyle the report. */
function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** Runs `triage explain`; resolves with the exit code. */
export async function triageExplain(files: string[], opts: ExplainOptions, io: ExplainIo): Promise<number> {
  const problems: string[] = [];
  for (const f of [...files, ...(opts.passing ? [opts.passing] : [])]) {
    const p = await checkReadable(f);
    if (p) problems.push(p);
  }
  if (problems.length > 0) {
    for (const p of problems) io.err(`triage explain: ${p}`);
    return 2;
  }
  const analyzer = io.analyzer ?? createRuleAnalyzer();
  let first = true;
  for (const file of files) {
    const a = await analyzer.analyze({
      log: fs.createReadStream(file),
      passingLog: opts.passing ? fs.createReadStream(opts.passing) : undefined,
    });
    if (opts.json) {
      io.out(
        JSON.stringify({
          file,
          failure_lines: a.failureLines,
          category: a.category,
          confidence: a.confidence,
          root_cause: a.rootCause,
          recommended_action: a.recommendedAction,
        }),
      );
    } else {
      if (!first) io.out('');
      io.out(await report(file, a, io));
    }
    first = false;
  }
  return 0;
}

/**
 * `switchyard triage correct <check_run> (--lines 120-131[,140] | --not-this)`: corrects a stored
 * diagnosis as the operator; the repository's next diagnoses learn from it.
 */
async function triageCorrect(checkRun: string, opts: { lines?: string; notThis?: boolean }, configOrExit: () => Promise<Config>): Promise<number> {
  const id = Number(checkRun);
  if (!Number.isSafeInteger(id) || id <= 0) {
    console.error('triage correct: name the check run by its GitHub id (a positive number)');
    return 2;
  }
  if (Boolean(opts.lines) === Boolean(opts.notThis)) {
    console.error('triage correct: give either --lines N-M[,N-M…] (the lines that are the failure) or --not-this');
    return 2;
  }
  const { parseLineRanges, normaliseRanges, correctDiagnosis, CorrectionError } = await import('../automations/ci-triage/learning.js');
  let lines: Array<[number, number]> | null = null;
  try {
    lines = opts.lines ? normaliseRanges(parseLineRanges(opts.lines)) : null;
  } catch (err) {
    console.error(`triage correct: ${(err as Error).message}`);
    return 2;
  }
  const config = await configOrExit();
  const { createSwitchyard } = await import('../app.js');
  const { createLogger } = await import('../log/index.js');
  const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    const c = await correctDiagnosis(app.db, id, lines, 'operator');
    const what = c.verdict === 'not_this' ? `not ${JSON.stringify(c.previous_lines)}` : `failure lines ${c.lines.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
    console.log(`check run ${id}: corrected (${what}); the repository's history learned ${c.learned_lines} line(s).`);
    return 0;
  } catch (err) {
    if (err instanceof CorrectionError) {
      console.error(`triage correct: ${err.message}`);
      return err.code === 'BAD_LINES' ? 2 : 1;
    }
    throw err;
  } finally {
    await app.stop();
  }
}

/** Adds `triage explain` and `triage correct` to the CLI. */
export function registerTriageCommands(program: Command, configOrExit?: () => Promise<Config>): void {
  const triage = program.command('triage').description('explain failed CI builds offline');
  triage
    .command('explain')
    .description('find the failure lines of build logs (plain or .gz), classify the failure and say what to do')
    .argument('<log...>', 'failed build log files')
    .option('--passing <passing_log>', 'a passing log of the same job: lines absent from it point at the failure')
    .option('--json', 'print one JSON object per log, one per line')
    .action(async (logs: string[], opts: ExplainOptions) => {
      process.exitCode = await triageExplain(logs, opts, {
        out: (t) => console.log(t),
        err: (t) => console.error(t),
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      });
    });
  if (configOrExit) {
    triage
      .command('correct')
      .description("correct a check run's diagnosis: the lines that really are the failure, or --not-this; its repository learns from it")
      .argument('<check_run>', 'the check run (GitHub id)')
      .option('--lines <ranges>', 'the failure lines, e.g. 120-131 or 120-131,140')
      .option('--not-this', 'the reported lines are not the failure')
      .action(async (checkRun: string, opts: { lines?: string; notThis?: boolean }) => {
        process.exitCode = await triageCorrect(checkRun, opts, configOrExit);
      });
  }
}
