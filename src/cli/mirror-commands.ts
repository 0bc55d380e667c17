/**
 * `switchyard mirror …`: targets, rules, mirrored repositories, sync, retry, status and the sync
 * log, straight from the database (as the operator: every installation). `sync` and `retry` run the
 * sync in this process, with a progress bar, holding the mirror's lease like a worker would (when a
 * worker is already syncing it, they follow that worker's progress instead). Tokens are read from
 * standard input, never from the argument list (other users can read /proc/<pid>/cmdline).
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.js';
import { parseJson, toBool } from '../db/index.js';
import { AppError } from '../http/app-error.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard, type Switchyard } from '../app.js';
import {
  createRule,
  createTarget,
  deleteRule,
  deleteTarget,
  diskUsage,
  findRepositoryByName,
  findTarget,
  formatBytes,
  getMirror,
  lfsAvailable,
  listLogs,
  listMirrors,
  listRules,
  listTargets,
  presentLog,
  presentMirror,
  presentRule,
  presentTarget,
  requestSync,
  resetForRetry,
  statusCounts,
  testTarget,
  type SyncProgress,
} from '../automations/mirror/index.js';

const OPERATOR = { all: true } as const;

async function withApp<T>(config: Config, fn: (app: Switchyard) => Promise<T>): Promise<T> {
  const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  try {
    // Not a worker: the queue only carries the wake-up (`mirror.wake`) to the running workers.
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

/** Runs a command body; AppErrors (bad input, not found) become a message and exit code 2. */
async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AppError) fail(err.message);
    throw err;
  }
}

/** Reads a token: the first line of piped stdin, or a hidden prompt on a terminal. */
async function readToken(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]?.trim() ?? '';
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  let muted = false;
  out._writeToOutput = (s: string) => {
    if (!muted || s.includes(prompt)) out.output.write(s);
  };
  try {
    const answer = new Promise<string>((resolve) => rl.question(prompt, resolve));
    muted = true;
    const value = await answer;
    process.stdout.write('\n');
    return value.trim();
  } finally {
    rl.close();
  }
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** A one-line progress display: a bar on a terminal, a line per phase otherwise. */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): { update(label: string, p: SyncProgress | null): void; done(): void } {
  let last = '';
  const tty = stream.isTTY === true;
  return {
    update(label, p) {
      if (!p) return;
      const phase = `${p.step}: ${p.phase}`;
      if (tty) {
        const width = 30;
        const filled = Math.round((p.percent / 100) * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p.percent).padStart(3)}% ${phase}`.padEnd(100));
      } else if (phase !== last) {
        stream.write(`${label} ${phase}\n`);
      }
      last = phase;
    },
    done() {
      if (tty && last) stream.write('\n');
    },
  };
}

/** The mirrors of `owner/name` (optionally one target), or exit with a message. */
async function mirrorsOf(app: Switchyard, fullName: string, target?: string) {
  if (!/^[\w.-]+\/[\w.-]+$/.test(fullName)) fail(`${fullName} is not owner/name`);
  const repo = await findRepositoryByName(app.db.kysely, fullName, OPERATOR);
  if (!repo) fail(`Switchyard does not know ${fullName} (no event for it yet)`);
  const targetId = target ? (await findTarget(app.db, target)).id : undefined;
  const rows = (await listMirrors(app.db.kysely, { scope: OPERATOR, repositoryId: repo.id, targetId, limit: 100 })).filter((m) => toBool(m.is_active));
  if (rows.length === 0) fail(`${fullName} is not mirrored${target ? ` to ${target}` : ''} (or its mirrors are stopped)`);
  return rows;
}

/** Syncs each mirror here (or follows the worker already syncing it) with a progress bar. */
async function syncHere(app: Switchyard, rows: Awaited<ReturnType<typeof mirrorsOf>>): Promise<boolean> {
  let allOk = true;
  for (const row of rows) {
    const label = `${row.full_name} → ${row.target_name}`;
    const bar = createProgressBar();
    const t0 = Date.now();
    let outcome = await app.mirror.runner.syncOne(row.id, (p) => bar.update(label, p));
    if (outcome === 'busy') {
      console.error(`${label}: another process is syncing it; following its progress…`);
      for (;;) {
        const m = await getMirror(app.db.kysely, row.id);
        if (!m || m.sync_status !== 'in_progress') {
          outcome = m?.sync_status === 'completed' ? 'completed' : 'retry';
          break;
        }
        bar.update(label, parseJson<SyncProgress | null>(m.progress, null));
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    bar.done();
    const after = await getMirror(app.db.kysely, row.id);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (outcome === 'completed') {
      console.log(`${label}: completed in ${secs} s${after?.last_bytes ? ` (${formatBytes(Number(after.last_bytes))} transferred)` : ''}`);
    } else {
      allOk = false;
      console.log(`${label}: ${after?.sync_status ?? outcome} — ${after?.error_message ?? outcome}`);
    }
  }
  return allOk;
}

export function registerMirrorCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const mirror = program.command('mirror').description('mirror repositories to another forge (OneDev, Gitea/Forgejo, GitLab, any git URL)');

  // ---- targets ----
  const targets = mirror.command('targets').description('list mirror targets (subcommands: add, test, remove)').option('--json', 'print JSON');
  targets.action(async (opts: { json?: boolean }) => {
    const config = await configOrExit();
    await withApp(config, async (app) => {
      const rows = (await listTargets(app.db.kysely)).map(presentTarget);
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return void console.log('No mirror targets yet: `switchyard mirror targets add <name> --kind onedev --url https://… < token-file`.');
      for (const t of rows) {
        const test = t.last_test_at ? `${t.last_test_ok ? 'tested ok' : 'TEST FAILED'} ${ago(t.last_test_at)}` : 'not tested';
        console.log(`${t.name.padEnd(16)} ${t.kind.padEnd(7)} ${t.base_url}${t.namespace ? ` (${t.namespace})` : ''}  ${t.enabled ? '' : 'disabled  '}${t.has_token ? 'token set' : 'no token'}, ${test}`);
      }
    });
  });
  targets
    .command('add <name>')
    .description('add a target; the token is read from stdin (or asked for on a terminal)')
    .requiredOption('--kind <kind>', 'onedev | gitea | gitlab | git')
    .requiredOption('--url <url>', "the forge's address (git: a URL template with {path})")
    .option('--namespace <ns>', 'OneDev parent project, Gitea organization/user, GitLab group')
    .option('--username <user>', 'user name sent with the token over git')
    .option('--no-token', 'do not read a token (plain git without credentials)')
    .option('--visibility <v>', 'same | private', 'same')
    .option('--name-template <t>', 'repository name on the target: {owner}, {name}, {full_name}', '{name}')
    .option('--push-backups', 'also push backup refs to the target')
    .option('--on-remove <what>', 'keep | archive | delete a copy that stops being mirrored', 'keep')
    .option('--max-concurrency <n>', 'syncs at once to this target', positiveInt)
    .action(async (name: string, o: { kind: string; url: string; namespace?: string; username?: string; token: boolean; visibility: string; nameTemplate: string; pushBackups?: boolean; onRemove: string; maxConcurrency?: number }) => {
      const config = await configOrExit();
      const token = o.token ? await readToken(`Access token for ${name}: `) : null;
      await withApp(config, (app) =>
        guarded(async () => {
          const t = await createTarget(app.mirror.manage, {
            name,
            kind: o.kind as 'onedev',
            base_url: o.url,
            namespace: o.namespace ?? null,
            username: o.username ?? null,
            token: token || null,
            visibility: o.visibility as 'same',
            name_template: o.nameTemplate,
            push_backups: !!o.pushBackups,
            on_remove: o.onRemove as 'keep',
            max_concurrency: o.maxConcurrency ?? null,
            enabled: true,
          });
          console.log(`Added ${t.name} (${t.kind}). Test it: switchyard mirror targets test ${t.name}`);
        }),
      );
    });
  targets
    .command('test <name>')
    .description('check the address, token and namespace')
    .action(async (name: string) => {
      const config = await configOrExit();
      await withApp(config, (app) =>
        guarded(async () => {
          const r = await testTarget(app.mirror.manage, name);
          for (const c of r.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.message}`);
          if (!r.ok) process.exitCode = 1;
        }),
      );
    });
  targets
    .command('remove <name>')
    .description('remove a target with its rules, mirrors and sync logs (the copies on the forge stay)')
    .action(async (name: string) => {
      const config = await configOrExit();
      await withApp(config, (app) => guarded(async () => deleteTarget(app.mirror.manage, name).then(() => console.log(`Removed ${name}.`))));
    });

  // ---- rules ----
  const rules = mirror.command('rules <target>').description('list the rules of a target (add one: mirror rule-add; remove: mirror rule-remove)');
  rules.action(async (target: string) => {
    const config = await configOrExit();
    await withApp(config, (app) =>
      guarded(async () => {
        const t = await findTarget(app.db, target);
        const rows = (await listRules(app.db.kysely, t.id)).map(presentRule);
        if (rows.length === 0) console.log(`No rules: nothing is mirrored to ${t.name} yet.`);
        for (const r of rows) {
          const what = r.kind === 'starred' ? `starred by ${r.users?.length ? r.users.join(', ') : 'anyone'}` : r.kind === 'installation' ? `every repository of installation ${r.installation_id}` : r.kind === 'repositories' ? r.repositories!.join(', ') : `matching ${r.pattern}`;
          console.log(`${r.id}  ${what}`);
        }
      }),
    );
  });
  mirror
    .command('rule-add <target>')
    .description('add a rule: --starred [--by a,b] | --installation <id> | --repos a/b,c/d | --pattern acme/*')
    .option('--starred', 'repositories starred (or watched) by --by users, or by anyone')
    .option('--by <logins>', 'whose stars count (comma-separated)', list)
    .option('--installation <id>', 'every repository of this installation (GitHub id)', positiveInt)
    .option('--repos <list>', 'these repositories (owner/name, comma-separated)', list)
    .option('--pattern <glob>', 'repositories whose owner/name matches (* and ?)')
    .action(async (target: string, o: { starred?: boolean; by?: string[]; installation?: number; repos?: string[]; pattern?: string }) => {
      const config = await configOrExit();
      const kinds = [o.starred, o.installation, o.repos, o.pattern].filter((v) => v !== undefined);
      if (kinds.length !== 1) fail('give exactly one of --starred, --installation, --repos, --pattern');
      await withApp(config, (app) =>
        guarded(async () => {
          const body = o.starred
            ? { kind: 'starred' as const, users: o.by ?? [] }
            : o.installation
              ? { kind: 'installation' as const, installation_id: o.installation }
              : o.repos
                ? { kind: 'repositories' as const, repositories: o.repos }
                : { kind: 'pattern' as const, pattern: o.pattern! };
          const r = await createRule(app.mirror.manage, target, body);
          console.log(`Added rule ${r.rule.id}; ${r.started} repositor${r.started === 1 ? 'y' : 'ies'} start mirroring now (a running worker syncs them).`);
        }),
      );
    });
  mirror
    .command('rule-remove <id>')
    .description('remove a rule; mirrors only it kept stop (their copies stay)')
    .action(async (id: string) => {
      const config = await configOrExit();
      await withApp(config, (app) => guarded(async () => deleteRule(app.mirror.manage, id).then((r) => console.log(`Removed; ${r.stopped} mirror(s) stopped.`))));
    });

  // ---- mirrors ----
  mirror
    .command('list')
    .description('mirrored repositories with status, last sync, lag and errors')
    .option('-t, --target <name>', 'only this target')
    .option('-s, --status <status>', 'pending | in_progress | completed | failed | permanent_failure')
    .option('--stopped', 'show stopped mirrors too')
    .option('-n, --limit <n>', 'how many', positiveInt, 50)
    .option('--json', 'print JSON')
    .action(async (o: { target?: string; status?: string; stopped?: boolean; limit: number; json?: boolean }) => {
      const statuses = ['pending', 'in_progress', 'completed', 'failed', 'permanent_failure'];
      if (o.status && !statuses.includes(o.status)) fail(`--status must be one of ${statuses.join(', ')}`);
      const config = await configOrExit();
      await withApp(config, (app) =>
        guarded(async () => {
          const targetId = o.target ? (await findTarget(app.db, o.target)).id : undefined;
          const rows = (await listMirrors(app.db.kysely, { scope: OPERATOR, targetId, status: o.status as 'failed', active: o.stopped ? undefined : true, limit: o.limit })).slice(0, o.limit).map((m) => presentMirror(m));
          if (o.json) return void console.log(JSON.stringify(rows, null, 2));
          if (rows.length === 0) return void console.log('No mirrors match.');
          for (const m of rows) {
            const lag = m.behind ? `behind ${m.lag_seconds}s` : 'up to date';
            const state = m.is_active ? m.sync_status : 'stopped';
            console.log(`${m.repository.padEnd(32)} → ${m.target.name.padEnd(12)} ${state.padEnd(17)} synced ${ago(m.last_synced_at).padEnd(9)} ${lag}${m.error_message ? `  ${m.error_code}: ${m.error_message}` : ''}`);
          }
        }),
      );
    });
  mirror
    .command('sync <owner/name>')
    .description('sync now, here, with a progress bar (--background: leave it to a running worker)')
    .option('-t, --target <name>', 'only to this target')
    .option('--background', 'only ask for the sync')
    .action(async (fullName: string, o: { target?: string; background?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, (app) =>
        guarded(async () => {
          const rows = await mirrorsOf(app, fullName, o.target);
          if (o.background) {
            await requestSync(app.db.kysely, { mirrorIds: rows.map((m) => m.id) }, { force: true });
            return void console.log(`Sync of ${fullName} requested (${rows.length} target(s)); a running worker picks it up.`);
          }
          if (!(await syncHere(app, rows))) process.exitCode = 1;
        }),
      );
    });
  mirror
    .command('retry <owner/name>')
    .description('clear failed / permanent_failure and the retry count, then sync here (--background: leave it to a worker)')
    .option('-t, --target <name>', 'only to this target')
    .option('--background', 'only reset it')
    .action(async (fullName: string, o: { target?: string; background?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, (app) =>
        guarded(async () => {
          const rows = await mirrorsOf(app, fullName, o.target);
          await resetForRetry(app.db.kysely, rows.map((m) => m.id));
          if (o.background) return void console.log(`Retry of ${fullName} queued (${rows.length} target(s)).`);
          if (!(await syncHere(app, rows))) process.exitCode = 1;
        }),
      );
    });
  mirror
    .command('log <owner/name>')
    .description("a repository's sync log, newest first")
    .option('-t, --target <name>', 'only this target')
    .option('-n, --limit <n>', 'how many', positiveInt, 30)
    .action(async (fullName: string, o: { target?: string; limit: number }) => {
      const config = await configOrExit();
      await withApp(config, (app) =>
        guarded(async () => {
          const rows = await mirrorsOf(app, fullName, o.target);
          const logs = (await listLogs(app.db.kysely, { mirrorIds: rows.map((m) => m.id), limit: o.limit })).slice(0, o.limit).map(presentLog);
          for (const l of logs) {
            const extra = [l.duration_ms !== null ? `${l.duration_ms} ms` : '', l.bytes_transferred ? formatBytes(l.bytes_transferred) : '', l.error_code ?? ''].filter(Boolean).join(', ');
            console.log(`${l.created_at}  ${l.target.padEnd(12)} ${l.event.padEnd(20)} ${l.message ?? ''}${extra ? ` (${extra})` : ''}`);
          }
        }),
      );
    });
  mirror
    .command('status')
    .description('mirrors by target and status, syncs running, the oldest waiting change, cache size')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = await configOrExit();
      await withApp(config, async (app) => {
        const [counts, targetRows] = await Promise.all([statusCounts(app.db.kysely, OPERATOR), listTargets(app.db.kysely)]);
        const running = await app.db.kysely.selectFrom('repo_mirrors').select((eb) => eb.fn.countAll<number>().as('n')).where('lease_expires_at', '>', new Date().toISOString()).executeTakeFirstOrThrow();
        const cache = diskUsage(config.mirror.cacheDir);
        const byTarget = targetRows.map((t) => {
          const c: Record<string, number> = {};
          let oldest: string | null = null;
          for (const r of counts.filter((x) => x.target_id === t.id)) {
            const key = r.is_active ? r.sync_status : 'stopped';
            c[key] = (c[key] ?? 0) + r.n;
            if (r.is_active && r.oldest_pending && (!oldest || r.oldest_pending < oldest)) oldest = r.oldest_pending;
          }
          return { name: t.name, kind: t.kind, enabled: toBool(t.enabled), counts: c, oldest_pending_at: oldest };
        });
        const out = { targets: byTarget, running: Number(running.n), cache_dir: config.mirror.cacheDir, cache_bytes: cache, git_lfs: await lfsAvailable(config.mirror.git) };
        if (o.json) return void console.log(JSON.stringify(out, null, 2));
        if (byTarget.length === 0) console.log('No mirror targets yet.');
        for (const t of byTarget) {
          const parts = Object.entries(t.counts).map(([k, v]) => `${v} ${k}`);
          console.log(`${t.name.padEnd(16)} ${t.kind.padEnd(7)} ${parts.length ? parts.join(', ') : 'no mirrors'}${t.oldest_pending_at ? `; oldest waiting change ${ago(t.oldest_pending_at)}` : ''}${t.enabled ? '' : ' (disabled)'}`);
        }
        console.log(`${out.running} sync(s) running; cache ${formatBytes(cache)} in ${config.mirror.cacheDir}; git-lfs ${out.git_lfs ? 'installed' : 'not installed (LFS objects are skipped)'}`);
      });
    });
}
