/**
 * `switchyard pets list | show | history | explain | backfill`: the pets straight from the
 * database (as the operator: every installation). `backfill` analyses a pet's whole history in this
 * process with a progress bar (health never moves twice for a commit). `pets analyze` (a local
 * repository, no database) lives in pets-analyze-command.ts.
 */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { AppError } from '../http/app-error.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard, type Switchyard } from '../app.js';
import { findAnalysis, findPetByName, listAnalyses, listHistory, listPets, presentCommit, presentCommitDetail, presentHistory, presentPet, sparklines, type PetItem } from '../automations/pets/index.js';

const OPERATOR = { all: true } as const;

async function withApp<T>(config: Config, fn: (app: Switchyard) => Promise<T>): Promise<T> {
  const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    // Not a worker: jobs queued here are run by the running workers.
    await app.queue.start({ work: false, schedule: false });
    return await fn(app);
  } finally {
    await app.stop();
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AppError) fail(err.message);
    throw err;
  }
}

function presentDeps(app: Switchyard) {
  return { box: app.box, publicUrl: app.config.publicUrl, defaultDecayPerDay: app.config.pets.decayPerDay };
}

async function petOrExit(app: Switchyard, fullName: string) {
  if (!/^[\w.-]+\/[\w.-]+$/.test(fullName)) fail(`${fullName} is not owner/name`);
  const p = await findPetByName(app.db.kysely, fullName, OPERATOR);
  if (!p) fail(`${fullName} has no pet (Switchyard gives one to every repository of an installation once it hears of it)`);
  return p;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const SPARK = '▁▂▃▄▅▆▇█';
function spark(points: Array<{ health: number }>): string {
  return points.map((p) => SPARK[Math.min(7, Math.floor(p.health / 12.5))]).join('');
}

function describe(p: PetItem): string {
  const state = p.life_state === 'dead' ? `dead since ${p.death_date?.slice(0, 10)} (${p.death_cause})` : p.life_state;
  return `${p.name} the ${p.entity_type} — ${p.health}/100 ${p.band}, ${state}, generation ${p.generation}`;
}

export function registerPetsCommands(pets: Command, configOrExit: () => Promise<Config>): void {
  pets
    .command('list')
    .description('every pet: health, band, life state and its last 30 days')
    .option('--json', 'print JSON')
    .option('--state <state>', 'only alive, dying or dead pets')
    .action(async (opts: { json?: boolean; state?: 'alive' | 'dying' | 'dead' }) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        if (opts.state && !['alive', 'dying', 'dead'].includes(opts.state)) fail('--state is alive, dying or dead');
        const out: PetItem[] = [];
        let beforeId: string | undefined;
        for (;;) {
          const rows = await listPets(app.db.kysely, { scope: OPERATOR, beforeId, limit: 200, state: opts.state });
          const page = rows.slice(0, 200);
          const lines = await sparklines({ db: app.db, now: () => new Date() }, page);
          out.push(...page.map((r) => presentPet(presentDeps(app), r, lines.get(r.id))));
          if (rows.length <= 200) break;
          beforeId = page[page.length - 1]!.id;
        }
        if (opts.json) return void console.log(JSON.stringify(out, null, 2));
        if (out.length === 0) return void console.log('No pets yet: every repository of an installation gets one.');
        for (const p of out) {
          console.log(`${p.repository.padEnd(36)} ${String(p.health).padStart(3)} ${p.band.padEnd(8)} ${p.life_state.padEnd(5)} ${spark(p.sparkline ?? [])}  ${p.name} (${p.entity_type})`);
        }
      });
    });

  pets
    .command('show <owner/name>')
    .description('one pet: health, state, sync and backfill progress, settings, badge')
    .option('--json', 'print JSON')
    .action(async (fullName: string, opts: { json?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        const p = presentPet(presentDeps(app), await petOrExit(app, fullName));
        if (opts.json) return void console.log(JSON.stringify(p, null, 2));
        console.log(`${p.repository}: ${describe(p)}`);
        console.log(`  branch ${p.branch}${p.branch_setting ? '' : ' (default)'}, decay ${p.decay_per_day}/day after ${app.config.pets.graceDays} days without a commit${p.is_archived ? ' (archived: no decay)' : ''}`);
        console.log(`  last commit ${p.last_commit_at ?? 'none yet'}; last sync ${p.sync.last_synced_at ?? 'never'} (${p.sync.status}${p.sync.error ? `: ${p.sync.error}` : ''})`);
        console.log(`  backfill ${p.backfill.status} ${p.backfill.done}/${p.backfill.total ?? '?'}${p.backfill.error ? ` — ${p.backfill.error}` : ''}`);
        console.log(`  badge ${p.badge.markdown ?? (p.is_private ? 'none (private: enable a secret URL with PATCH /api/pets/…)' : 'none')}`);
      });
    });

  pets
    .command('history <owner/name>')
    .description('every change of health, oldest first')
    .option('--since <time>', 'only changes since this time (ISO 8601)')
    .option('--json', 'print JSON')
    .action(async (fullName: string, opts: { since?: string; json?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        const p = await petOrExit(app, fullName);
        if (opts.since && Number.isNaN(Date.parse(opts.since))) fail('--since is a time such as 2026-11-01 or 2026-11-01T12:00:00Z');
        const rows = (await listHistory(app.db.kysely, { entityId: p.id, since: opts.since ? new Date(opts.since).toISOString() : undefined, limit: 100_000 })).map(presentHistory);
        if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
        for (const h of rows) console.log(`${h.occurred_at.slice(0, 19).replace('T', ' ')}  ${h.kind.padEnd(15)} ${String(h.health_before).padStart(3)} → ${String(h.health_after).padStart(3)} (${signed(h.delta)})  ${h.reason}`);
        if (rows.length === 0) console.log('No change yet.');
      });
    });

  pets
    .command('explain <owner/name> <sha>')
    .description('why a commit moved health: each component’s points and reason, findings, notes')
    .option('--json', 'print JSON')
    .action(async (fullName: string, sha: string, opts: { json?: boolean }) => {
      const config = await configOrExit();
      await guarded(() =>
        withApp(config, async (app) => {
          const p = await petOrExit(app, fullName);
          if (!/^[0-9a-fA-F]{7,64}$/.test(sha)) fail(`${sha} is not a commit sha`);
          const a = await findAnalysis(app.db.kysely, p.id, sha);
          if (!a) fail(`${sha} is not an analysed commit of ${fullName}'s branch (a full sha or an unambiguous prefix of 7+ characters)`);
          const d = presentCommitDetail(a);
          if (opts.json) return void console.log(JSON.stringify(d, null, 2));
          console.log(`${d.sha.slice(0, 12)} ${d.subject}`);
          console.log(`  ${d.author_name} <${d.author_email}>, ${d.committed_at}; ${d.files_changed} files, +${d.additions} −${d.deletions}${d.is_merge ? ', merge' : ''}${d.orphaned ? ', ORPHANED (left the branch)' : ''}`);
          for (const [name, c] of Object.entries(d.breakdown)) console.log(`  ${name.padEnd(12)} ${signed(c.points).padStart(4)}  ${c.reason}`);
          const clamped = d.components_sum !== d.health_delta ? ` (clamped from ${signed(d.components_sum)})` : '';
          console.log(`  ${'total'.padEnd(12)} ${signed(d.health_delta).padStart(4)}${clamped}; quality ${d.overall_quality_score.toFixed(1)}/100`);
          const effect = { applied: `moved health by ${signed(d.applied_delta)}`, too_old: `moved nothing: older than ${app.config.pets.healthWindowDays} days`, dead: 'moved nothing: the pet was dead', merge: 'moved nothing: a merge' }[d.applied];
          console.log(`  ${effect}`);
          for (const f of d.findings) console.log(`  ${f.component}/${f.rule} ${f.file}${f.line === null ? '' : `:${f.line}`} ${f.message}${f.preview ? ` (${f.preview})` : ''}`);
          for (const n of d.notes) console.log(`  note: ${n}`);
        }),
      );
    });

  pets
    .command('commits <owner/name>')
    .description('analysed commits, newest first')
    .option('--limit <n>', 'how many', '30')
    .option('--json', 'print JSON')
    .action(async (fullName: string, opts: { limit: string; json?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        const p = await petOrExit(app, fullName);
        const limit = Math.max(1, Math.min(10_000, Number(opts.limit) || 30));
        const rows = (await listAnalyses(app.db.kysely, { entityId: p.id, limit })).slice(0, limit).map(presentCommit);
        if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
        for (const c of rows) console.log(`${c.sha.slice(0, 10)} ${signed(c.health_delta).padStart(4)} ${c.applied.padEnd(7)} ${c.subject.slice(0, 70)}`);
      });
    });

  pets
    .command('backfill <owner/name>')
    .description('analyse the whole history of the pet’s branch again, here, with progress (health never moves twice for a commit)')
    .action(async (fullName: string) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        const p = await petOrExit(app, fullName);
        const tty = process.stderr.isTTY === true;
        let last = -1;
        const outcome = await app.pets.backfillNow(p.id, (done, total) => {
          if (done === last) return;
          last = done;
          const pct = total ? Math.round((done / Math.max(1, total)) * 100) : 0;
          if (tty) process.stderr.write(`\r${fullName} [${'#'.repeat(Math.round(pct / 100 * 30)).padEnd(30, '.')}] ${done}/${total ?? '?'} commits`.padEnd(90));
          else process.stderr.write(`${fullName} ${done}/${total ?? '?'} commits\n`);
        });
        if (tty) process.stderr.write('\n');
        const after = presentPet(presentDeps(app), await petOrExit(app, fullName));
        if (outcome === 'failed') fail(`backfill failed: ${after.backfill.error ?? after.sync.error ?? 'see the logs'}`);
        console.log(outcome === 'empty' ? `${fullName} has no commits on ${after.branch} yet.` : `${fullName}: ${after.backfill.done} commits analysed; ${describe(after)}`);
      });
    });
}
