/**
 * The delivery runner: sends pending deliveries (Telegram, email) in every worker process.
 *
 * Glossary:
 * - delivery: one notification to one person on one channel; pending → sent | failed (waiting for
 *   its next attempt) → … → dead (after `NOTIFY_MAX_ATTEMPTS`, or at once on a permanent refusal).
 * - lease: a claimed delivery belongs to this process for two minutes; a process that dies mid-send
 *   leaves it to expire and the row is sent again (at least once).
 * - wake: `notify()` in this process wakes the runner at once; otherwise the `notify.deliver` cron
 *   (every minute, any worker) and the runner's own timer for the next due row pick rows up.
 */
import type { NotifyConfig } from '../config/index.js';
import type { Database } from '../db/index.js';
import { retryDelayMs } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { EmailClient } from './email.js';
import { emailText } from './email.js';
import { claimDue, loadDelivery, nextDueAt, recordOutcome, unlinkChannel, type DeliveryWork } from './repo.js';
import type { SendOutcome, TelegramClient } from './telegram.js';
import { telegramText } from './telegram.js';

export const DELIVER_JOB = 'notify.deliver';

const LEASE_MS = 120_000;
const BATCH = 20;
/** The longest the runner sleeps when nothing is due (the cron covers other processes' rows too). */
const IDLE_MS = 60_000;

export interface DeliveryRunnerDeps {
  db: Database;
  log: Logger;
  config: Pick<NotifyConfig, 'maxAttempts' | 'retryBaseMs'>;
  publicUrl: string;
  /** The Telegram client for the current bot token (null: Telegram is not set up). */
  telegram(): Promise<TelegramClient | null>;
  email: EmailClient | null;
}

export interface DeliveryRunner {
  /** Sends everything due now; returns how many deliveries it handled. */
  runOnce(): Promise<number>;
  start(): void;
  wake(): void;
  stop(): Promise<void>;
}

const absolute = (link: string | null, publicUrl: string) => (link && link.startsWith('/') ? `${publicUrl}${link}` : link);

export function createDeliveryRunner(deps: DeliveryRunnerDeps): DeliveryRunner {
  const { db, config } = deps;
  const log = deps.log.child({ slice: 'notify' });
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  let loop: Promise<void> | null = null;
  let pass: Promise<number> | null = null;

  async function send(d: DeliveryWork): Promise<SendOutcome> {
    if (!d.active) return { kind: 'dead', error: 'the account was deactivated' };
    if (!d.address) return { kind: 'dead', error: `no verified ${d.channel === 'telegram' ? 'Telegram chat' : 'email address'} any more` };
    const n = { ...d.notification, link: absolute(d.notification.link, deps.publicUrl) };
    if (d.channel === 'telegram') {
      const telegram = await deps.telegram();
      if (!telegram) return { kind: 'retry', error: 'Telegram is not set up (no bot token)' };
      return telegram.sendMessage(d.address, telegramText(n));
    }
    if (!deps.email) return { kind: 'retry', error: 'email is not set up (no SMTP server)' };
    return deps.email.send({ to: d.address, subject: n.title, text: emailText(n) });
  }

  async function handle(id: string): Promise<void> {
    const d = await loadDelivery(db, id);
    if (!d) return;
    let outcome: SendOutcome;
    try {
      outcome = await send(d);
    } catch (err) {
      outcome = { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    const attempts = d.attempts + 1;
    if (outcome.kind === 'sent') {
      await recordOutcome(db, d, { status: 'sent' });
      log.info({ deliveryId: d.id, channel: d.channel, attempts }, 'notification sent');
    } else if (outcome.kind === 'unlink') {
      await unlinkChannel(db, d.userId, 'telegram', d.address ?? undefined);
      await recordOutcome(db, d, { status: 'dead', error: `${outcome.error} (the chat was unlinked)` });
      log.warn({ deliveryId: d.id, userId: d.userId }, 'Telegram refused the chat (blocked or removed): unlinked it');
    } else if (outcome.kind === 'dead' || (outcome.retryAfterMs === undefined && attempts >= config.maxAttempts)) {
      await recordOutcome(db, d, { status: 'dead', error: outcome.error });
      log.warn({ deliveryId: d.id, channel: d.channel, attempts, err: outcome.error }, 'notification delivery is dead');
    } else {
      // Telegram's 429 says how long to wait; that wait is not a failed attempt.
      const waitMs = outcome.retryAfterMs ?? retryDelayMs(attempts, config.retryBaseMs);
      await recordOutcome(db, d, { status: 'failed', error: outcome.error, nextAt: new Date(Date.now() + waitMs), countsAsAttempt: outcome.retryAfterMs === undefined });
      log.info({ deliveryId: d.id, channel: d.channel, attempts, waitMs, err: outcome.error }, 'notification delivery failed; retry scheduled');
    }
  }

  async function runPass(): Promise<number> {
    let handled = 0;
    for (;;) {
      const ids = await claimDue(db, BATCH, LEASE_MS);
      for (const id of ids) await handle(id);
      handled += ids.length;
      if (ids.length < BATCH) return handled;
    }
  }

  /** One pass at a time per process; a caller during a pass waits for it and runs another. */
  async function runOnce(): Promise<number> {
    while (pass) await pass.catch(() => 0);
    pass = runPass();
    try {
      return await pass;
    } finally {
      pass = null;
    }
  }

  async function sleepUntilDue(): Promise<void> {
    if (woken) {
      woken = false;
      return;
    }
    const next = await nextDueAt(db).catch(() => null);
    const ms = next ? Math.min(IDLE_MS, Math.max(0, Date.parse(next) - Date.now()) + 5) : IDLE_MS;
    if (woken || !running) {
      woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      wakeUp = resolve;
      timer = setTimeout(resolve, ms);
    });
    if (timer) clearTimeout(timer);
    timer = null;
    wakeUp = null;
    woken = false;
  }

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          try {
            await runOnce();
          } catch (err) {
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'notification delivery pass failed');
          }
          if (!running) break;
          await sleepUntilDue();
        }
      })();
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      woken = true;
      wakeUp?.();
      await loop;
      loop = null;
    },
  };
}
