/**
 * `switchyard notify test [--user login] [--channel telegram|email]`: sends a test notice to a
 * person's linked channels (default: every administrator's) from this process, and says what
 * happened on each: sent, or the error (a retry is left to the workers). Exit code 0 when every
 * message was sent, 1 when one was not, 2 when there is nothing to send to.
 */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard, type Switchyard } from '../app.js';
import { administrators, deliveriesOf, findUser, sendTestNotification, type Channel } from '../notify/index.js';

export interface NotifyTestOptions {
  user?: string;
  channel?: Channel;
}

/** Where the command writes; tests pass their own. */
export interface NotifyTestIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs `notify test` against a composed (not started) Switchyard; returns the exit code. */
export async function runNotifyTest(app: Pick<Switchyard, 'db' | 'notify'>, opts: NotifyTestOptions, io: NotifyTestIo): Promise<number> {
  let people: Array<{ id: string; username: string }>;
  if (opts.user) {
    const u = await findUser(app.db, opts.user);
    if (!u) {
      io.err(`No user named ${opts.user}`);
      return 2;
    }
    people = [u];
  } else {
    people = await administrators(app.db);
    if (people.length === 0) {
      io.err('There is no administrator; name a person with --user');
      return 2;
    }
  }
  const sent: string[] = [];
  for (const p of people) {
    const r = await sendTestNotification(app.db, { userId: p.id, username: p.username, channel: opts.channel });
    if (r.deliveries === 0) io.err(`${p.username}: no ${opts.channel ? `verified ${opts.channel}` : 'linked channel'} (link one on the account page)`);
    else sent.push(r.notificationId);
  }
  if (sent.length === 0) return 2;
  await app.notify.runner.runOnce();
  let failed = 0;
  for (const id of sent) {
    for (const d of await deliveriesOf(app.db, id)) {
      if (d.status === 'sent') io.out(`${d.username} ${d.channel}: sent`);
      else {
        failed++;
        io.out(`${d.username} ${d.channel}: ${d.status === 'dead' ? 'not sent (dead)' : 'not sent yet (a worker retries it)'}: ${d.last_error ?? 'unknown error'}`);
      }
    }
  }
  return failed === 0 ? 0 : 1;
}

export function registerNotifyCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const notify = program.command('notify').description('notifications by Telegram and email');
  notify
    .command('test')
    .description('send a test notice to a person’s linked channels (default: every administrator’s) and say whether it arrived')
    .option('-u, --user <login>', 'the person')
    .option('-c, --channel <channel>', 'telegram or email (default: both)')
    .action(async (opts: { user?: string; channel?: string }) => {
      if (opts.channel !== undefined && opts.channel !== 'telegram' && opts.channel !== 'email') {
        console.error('--channel must be telegram or email');
        process.exit(2);
      }
      const config = await configOrExit();
      const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
      try {
        process.exitCode = await runNotifyTest(app, { user: opts.user, channel: opts.channel as Channel | undefined }, { out: (t) => console.log(t), err: (t) => console.error(t) });
      } finally {
        await app.stop();
      }
    });
}
