/** `switchyard doctor`: checks configuration, database and migrations, in plain words. */
import fs from 'node:fs';
import { ConfigError, loadConfig } from '../config/index.js';
import { openDatabase, pendingMigrations } from '../db/index.js';
import { scrubSecrets } from '../log/index.js';

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
  if (config.webhookSecret) ok('WEBHOOK_SECRET is set');
  else bad('WEBHOOK_SECRET is not set: GitHub deliveries will be refused. Set it to the secret of your GitHub App webhook.');
  if (config.apiToken) ok('SWITCHYARD_API_TOKEN is set');
  else warn('SWITCHYARD_API_TOKEN is not set: the API answers 401 until you set one (openssl rand -hex 32).');
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
  const where = config.database.kind === 'sqlite' ? `SQLite file ${config.database.file}` : `PostgreSQL at ${scrubSecrets(config.database.url)}`;
  const db = openDatabase(config);
  try {
    const pending = await pendingMigrations(db);
    ok(`database reachable (${where})`);
    if (pending.length === 0) ok('database schema is up to date');
    else bad(`database schema is behind: ${pending.length} migration(s) pending (${pending.join(', ')}). Run \`switchyard migrate\`.`);
  } catch (err) {
    const msg = scrubSecrets(err instanceof Error ? err.message : String(err), [config.database.kind === 'postgres' ? config.database.url : undefined]);
    bad(`cannot reach the database (${where}): ${msg}`);
  } finally {
    await db.close().catch(() => undefined);
  }
  console.log(problems === 0 ? 'Everything looks right.' : `${problems} problem(s) found.`);
  return problems === 0 ? 0 : 1;
}
