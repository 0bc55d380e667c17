/** `switchyard checks refresh owner/name#123` and `switchyard checks list`: the CI-triage slice from a terminal. */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard } from '../app.js';
import { findRepositoryId } from '../state/index.js';

const ALL = { all: true } as const;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

export function registerChecksCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const checks = program.command('checks').description('pull request checks and their diagnosis');
  checks
    .command('refresh <pull>')
    .description('read a pull request (owner/name#123) and its check runs from GitHub now; failed ones are diagnosed by a running worker')
    .action(async (pull: string) => {
      const m = /^([\w.-]+\/[\w.-]+)#(\d+)$/.exec(pull);
      if (!m) fail('name the pull request as owner/name#123');
      const config = await configOrExit();
      const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
      try {
        if (!app.appCredentials.current()) fail('No GitHub App is configured (run `switchyard setup`, or set APP_ID and PRIVATE_KEY)');
        const id = await findRepositoryId(app.db, m[1]!, ALL);
        if (!id) fail(`Switchyard does not know ${m[1]} (is the App installed on it?)`);
        const res = await app.ciTriage.refreshPullRequest(id, Number(m[2]));
        console.log(`${pull}: ${res.checkRuns} check run(s) read; ${res.queuedAnalyses} failed run(s) queued for diagnosis.`);
      } catch (err) {
        const status = (err as { status?: number }).status;
        console.error(status === 404 ? `GitHub has no pull request ${pull}` : `Could not read ${pull} from GitHub: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      } finally {
        await app.stop();
      }
    });
  checks
    .command('list')
    .description('failed check runs, newest first, with their diagnosis')
    .option('-r, --repository <owner/name>', 'only this repository')
    .option('-n, --limit <n>', 'how many', (v) => Number(v), 20)
    .option('--json', 'print JSON')
    .action(async (opts: { repository?: string; limit: number; json?: boolean }) => {
      const config = await configOrExit();
      const app = await createSwitchyard(config, createLogger('warn'));
      try {
        let q = app.db.kysely
          .selectFrom('check_runs as c')
          .innerJoin('repositories as r', 'r.id', 'c.repository_id')
          .leftJoin('analysis_results as a', 'a.check_run_github_id', 'c.github_id')
          .select(['c.github_id', 'r.full_name', 'c.name', 'c.head_sha', 'c.conclusion', 'c.completed_at', 'a.category', 'a.recommended_action', 'a.root_cause'])
          .where('c.conclusion', 'in', ['failure', 'timed_out', 'action_required'])
          .orderBy('c.id', 'desc')
          .limit(Math.max(1, Math.min(500, opts.limit || 20)));
        if (opts.repository) q = q.where('r.full_name', '=', opts.repository);
        const rows = await q.execute();
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('No failed check runs.');
        for (const r of rows) {
          console.log(`${r.completed_at ?? ''}  ${r.full_name}  ${r.name}  ${r.head_sha.slice(0, 7)}  ${r.conclusion}  ${r.category ?? 'not diagnosed'}${r.recommended_action ? ` → ${r.recommended_action}` : ''}`);
          if (r.root_cause) console.log(`    ${r.root_cause.replace(/\s+/g, ' ').slice(0, 300)}`);
        }
      } finally {
        await app.stop();
      }
    });
}
