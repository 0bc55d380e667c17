/** `switchyard doctor`: checks configuration, database and migrations, in plain words. */
import { checkApps } from './apps-commands.js';
import fs from 'node:fs';
import { ConfigError, loadConfig } from '../config/index.js';
import path from 'node:path';
import { openDatabase, pendingMigrations } from '../db/index.js';
import { createSecretBox, hasAdministrator, issueSetupCode, parseKey, type SecretBox } from '../identity/index.js';
import { scrubSecrets } from '../log/index.js';
import { execa } from 'execa';
import { diskUsage, formatBytes, lfsAvailable } from '../automations/mirror/index.js';
import { describeSandbox } from '../automations/agents/index.js';

/** Prints one line per check; returns the exit code (0 when nothing is wrong). */
export async function runDoctor(env: Record<string, string | undefined>): Promise<number> {
  let problems = 0;
  const ok = (m: string) => console.log(`  ok    ${m}`);
  const bad = (m: string) => {
    problems++;
    console.log(`  FAIL  ${m}`);
  };
  const warn = (m: string) => console.log(`  warn  ${m}`);
  console.log('Switchyard doctor');
  let config;
  try {
    config = loadConfig(env);
    ok('configuration is valid');
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) bad(`configuration: ${p}`);
      return 1;
    }
    throw err;
  }
  if (config.apiToken) ok('SWITCHYARD_API_TOKEN is set (the operator token)');
  else warn('SWITCHYARD_API_TOKEN is not set: there is no operator token; people sign in, scripts use personal API tokens.');
  let box: SecretBox | null = null;
  const keyFile = path.join(config.dataDir, 'secret.key');
  try {
    const previous = config.previousSecretKeys.map((k) => parseKey(k, 'SWITCHYARD_PREVIOUS_SECRET_KEYS'));
    if (config.secretKey) {
      box = createSecretBox(parseKey(config.secretKey), previous);
      ok(`SWITCHYARD_SECRET_KEY is set (key ${box.keyId})`);
    } else if (fs.existsSync(keyFile)) {
      box = createSecretBox(parseKey(fs.readFileSync(keyFile, 'utf8'), keyFile), previous);
      warn(`secrets are encrypted with the key file ${keyFile} (key ${box.keyId}): back it up, or move it into SWITCHYARD_SECRET_KEY`);
    } else {
      warn(`SWITCHYARD_SECRET_KEY is not set: a key file will be created at ${keyFile} on first start`);
    }
  } catch (err) {
    bad(err instanceof Error ? err.message : String(err));
  }
  if (config.database.kind === 'sqlite') {
    try {
      fs.mkdirSync(config.dataDir, { recursive: true });
      fs.accessSync(config.dataDir, fs.constants.W_OK);
      ok(`data directory ${config.dataDir} is writable`);
    } catch {
      bad(`data directory ${config.dataDir} is not writable: set SWITCHYARD_DATA_DIR to a folder this user can write`);
      return problems;
    }
  }
  ok(
    config.database.kind === 'sqlite'
      ? `payloads: up to ${config.payloadInlineLimit} bytes in the database, larger ones in ${path.join(config.dataDir, 'payloads')}`
      : 'payloads: every size in the database (event_payloads); web and worker processes share nothing but DATABASE_URL (payload files of earlier versions stay readable from their data dir)',
  );
  const where = config.database.kind === 'sqlite' ? `SQLite file ${config.database.file}` : `PostgreSQL at ${scrubSecrets(config.database.url)}`;
  const db = openDatabase(config);
  try {
    const pending = await pendingMigrations(db);
    ok(`database reachable (${where})`);
    if (pending.length === 0) ok('database schema is up to date');
    else bad(`database schema is behind: ${pending.length} migration(s) pending (${pending.join(', ')}). Run \`switchyard migrate\`.`);
    const stored = pending.length === 0 ? await db.kysely.selectFrom('app_credentials').selectAll().where('id', '=', 'default').executeTakeFirst() : undefined;
    if (stored && box) {
      try {
        box.open(stored.private_key, 'app_credentials.private_key');
        ok(`the GitHub App created by the setup wizard (id ${stored.app_id}) decrypts with the configured key`);
      } catch (err) {
        bad(`the stored GitHub App credentials cannot be decrypted: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (config.github.appId) ok(`GitHub App ${config.github.appId} is configured from the environment (API ${config.github.apiUrl})`);
    else if (!stored) warn(`no GitHub App is configured: open ${config.publicUrl}/setup after \`switchyard start\` (or run \`switchyard setup\`), or set APP_ID and PRIVATE_KEY`);
    if (config.webhookSecret) ok('WEBHOOK_SECRET is set');
    else if (stored?.webhook_secret) ok('the webhook secret comes from the setup wizard');
    else bad('WEBHOOK_SECRET is not set (and no App was created with the setup wizard): GitHub deliveries will be refused. Set it to the secret of your GitHub App webhook.');
    if (pending.length === 0) {
      const users = await db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (await hasAdministrator(db.kysely)) ok(`${users.n} account(s), with an administrator`);
      else if (!box) warn('no administrator yet: start the server (it prints the one-time setup code in its log), or run `switchyard user create <name> --admin`');
      else {
        // Only the code's hash is stored, so the doctor issues a new one (the shell is trusted); the one in the server's log stops working.
        const r = await issueSetupCode({ db, box }, { issuedBy: 'doctor', replace: true });
        if (r.kind === 'issued') {
          warn(`no administrator yet (${users.n} account(s)). New one-time SETUP CODE: ${r.code} — open ${config.publicUrl}/setup and enter it (it replaces the code in the server's log). Or run \`switchyard user create <name> --admin\`.`);
        }
      }
    }
  } catch (err) {
    const msg = scrubSecrets(err instanceof Error ? err.message : String(err), [config.database.kind === 'postgres' ? config.database.url : undefined]);
    bad(`cannot reach the database (${where}): ${msg}`);
  } finally {
    await db.close().catch(() => undefined);
  }
  // Mirroring: git must be there; the cache's size is worth watching.
  try {
    const { stdout } = await execa(config.mirror.git, ['--version']);
    ok(`${stdout.trim()} (for mirroring)${(await lfsAvailable(config.mirror.git)) ? ', with git-lfs' : '; git-lfs is not installed: LFS objects are not mirrored'}`);
  } catch {
    warn(`git (${config.mirror.git}) cannot run: mirroring repositories needs it (set MIRROR_GIT, or install git)`);
  }
  const cacheBytes = diskUsage(config.mirror.cacheDir);
  ok(`mirror cache ${config.mirror.cacheDir}: ${formatBytes(cacheBytes)}${fs.existsSync(config.mirror.cacheDir) ? '' : ' (not created yet)'}`);
  // LLM agents: which sandbox their commands run in (without one, nothing runs).
  const sandbox = describeSandbox(config.agents.sandbox);
  if (config.agents.sandbox === 'none') warn(`agents: ${sandbox.message}`);
  else if (sandbox.ok) ok(`agents: ${sandbox.message}`);
  else warn(`agents: ${sandbox.message}`);
  // Hosted Probot apps: each configured one loads, or the server would start without it.
  if (config.apps.specs.length > 0) {
    const { apps, failures } = await checkApps(config);
    for (const a of apps) ok(`Probot app ${a.name} (${a.source.spec}) loads: ${a.events.length > 0 ? a.events.join(', ') : 'no events'}`);
    for (const f of failures) bad(`Probot app ${f.spec} does not load (the server starts without it${config.apps.strict ? '; with SWITCHYARD_APPS_STRICT it refuses to start' : ''}): ${f.reason}`);
  }
  console.log(problems === 0 ? 'Everything looks right.' : `${problems} problem(s) found.`);
  return problems === 0 ? 0 : 1;
}
