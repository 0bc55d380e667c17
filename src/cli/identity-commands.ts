/**
 * `switchyard user create|list|grant`, `switchyard keys generate|rotate` and `switchyard setup`.
 * Passwords are read from standard input (never from the argument list, which other users of the
 * machine can read in /proc).
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { migrateToLatest, openDatabase, toBool, type Database } from '../db/index.js';
import { AppError } from '../http/app-error.js';
import { createLocalUser, findUserByUsername, generateKey, hasAdministrator, issueSetupCode, loadSecretBox, rotateKeys } from '../identity/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard } from '../app.js';

async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(config);
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Reads a password: the first line of piped stdin, or a hidden prompt on a terminal. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
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
    return value;
  } finally {
    rl.close();
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

export function registerIdentityCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const user = program.command('user').description('manage people who can sign in');
  user
    .command('create <username>')
    .description('create a local account; the password is read from stdin (or asked for on a terminal)')
    .option('--admin', 'make it an administrator')
    .option('--email <email>', 'email address')
    .action(async (username: string, opts: { admin?: boolean; email?: string }) => {
      const config = await configOrExit();
      const password = await readPassword(`Password for ${username}: `);
      await withDatabase(config, async (db) => {
        try {
          const created = await createLocalUser(db, { username, password, email: opts.email, isAdmin: !!opts.admin });
          console.log(`Created ${created.username}${opts.admin ? ' (administrator)' : ''}. Sign in with POST /api/auth/login; turn on two-factor from the account page or POST /api/me/2fa/enroll.`);
        } catch (err) {
          if (err instanceof AppError) fail(err.message);
          throw err;
        }
      });
    });
  user
    .command('list')
    .description('list accounts')
    .action(async () => {
      const config = await configOrExit();
      await withDatabase(config, async (db) => {
        const rows = await db.kysely.selectFrom('users').selectAll().orderBy('id').execute();
        if (rows.length === 0) console.log('No accounts yet: `switchyard user create <name> --admin`, or sign in with GitHub.');
        for (const u of rows) {
          const flags = [toBool(u.is_admin) && 'admin', !toBool(u.is_active) && 'inactive', toBool(u.is_2fa_enabled) && '2fa', u.github_id !== null && 'github'].filter(Boolean);
          console.log(`${u.username}${flags.length ? ` (${flags.join(', ')})` : ''}`);
        }
      });
    });
  user
    .command('grant <username> <installation_id>')
    .description('let an account see an installation (by its GitHub id)')
    .action(async (username: string, installationId: string) => {
      if (!/^\d+$/.test(installationId)) fail('installation_id must be the numeric GitHub installation id');
      const config = await configOrExit();
      await withDatabase(config, async (db) => {
        const u = await findUserByUsername(db.kysely, username);
        if (!u) fail(`No account named ${username}`);
        await db.kysely
          .insertInto('user_installations')
          .values({ user_id: u.id, installation_github_id: Number(installationId), source: 'admin', created_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['user_id', 'installation_github_id']).doNothing())
          .execute();
        console.log(`${u.username} can now see installation ${installationId}.`);
      });
    });

  const keys = program.command('keys').description('the key that encrypts secrets at rest');
  keys
    .command('generate')
    .description('print a new random key for SWITCHYARD_SECRET_KEY')
    .action(() => console.log(generateKey()));
  keys
    .command('rotate')
    .description('re-encrypt every stored secret with SWITCHYARD_SECRET_KEY (older keys in SWITCHYARD_PREVIOUS_SECRET_KEYS)')
    .action(async () => {
      const config = await configOrExit();
      const { box } = loadSecretBox(config);
      await withDatabase(config, async (db) => {
        const r = await rotateKeys(db, box);
        console.log(`Re-encrypted ${r.rotated} secret(s) with key ${box.keyId}; ${r.current} already used it.`);
        if (r.unreadable.length > 0) {
          console.error(`${r.unreadable.length} secret(s) were encrypted with a key that is not configured (add it to SWITCHYARD_PREVIOUS_SECRET_KEYS and run again):`);
          for (const u of r.unreadable) console.error(`  ${u.table}.${u.column} (${u.key})`);
          process.exitCode = 1;
        } else if (config.previousSecretKeys.length > 0) {
          console.log('Every secret now uses the current key: SWITCHYARD_PREVIOUS_SECRET_KEYS can be removed.');
        }
      });
    });

  program
    .command('setup')
    .description('create the GitHub App from the terminal: serves the setup page, prints its address, exits once the App is stored')
    .action(async () => {
      const config = await configOrExit();
      const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const app = await createSwitchyard(config, log);
      if (app.appCredentials.current()) {
        const c = app.appCredentials.current()!;
        console.log(`A GitHub App is already configured (id ${c.appId}, from ${c.source === 'environment' ? 'environment variables' : 'the setup wizard'}).`);
        await app.stop();
        return;
      }
      const port = await app.start({ web: true, worker: false, scheduler: false });
      const local = `http://localhost:${port}/setup`;
      // The shell is trusted: the link carries the setup code (in the fragment, which never reaches a server or a log).
      let code = app.issuedSetupCode();
      const hasAdmin = await hasAdministrator(app.db.kysely);
      if (!code && !hasAdmin) {
        const r = await issueSetupCode({ db: app.db, box: app.box }, { issuedBy: 'setup', replace: true });
        if (r.kind === 'issued') code = r.code;
      }
      console.log(`Open ${config.publicUrl}/setup${code ? `#code=${code}` : ''} in a browser${config.publicUrl.includes(`:${port}`) ? '' : ` (this process listens on ${local})`} and follow the steps on ${config.github.url}.`);
      if (hasAdmin) console.log('This server has an administrator: sign in as one in that browser first.');
      console.log('Waiting for GitHub to hand over the App’s credentials… (Ctrl-C to give up)');
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (app.appCredentials.current()) {
            clearInterval(timer);
            resolve();
          }
        }, 250);
      });
      const c = app.appCredentials.current()!;
      console.log(`GitHub App ${c.slug ?? c.appId} is stored (encrypted). Install it: ${c.htmlUrl ? `${c.htmlUrl}/installations/new` : 'from its settings page on GitHub'}`);
      console.log('Now run `switchyard start`.');
      await app.stop();
    });
}
