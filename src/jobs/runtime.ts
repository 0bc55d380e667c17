/**
 * Pieces both queue implementations share: option checks, running a handler under its lease,
 * concurrency slots and the poll loop.
 *
 * Glossary:
 * - slot: permission to run one job now; a process has `concurrency` slots, and a job name may
 *   have a smaller limit of its own (`register(name, h, { concurrency })`).
 * - poller: a loop that asks the database for due jobs, again at once while it finds work or is
 *   woken (`wake()`), otherwise after an idle delay.
 */
import type { Logger } from '../log/index.js';
import type { EnqueueOptions, JobContext, JobHandler } from './queue.js';

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-/]*$/;
/** Runs before a job is dead when the caller does not say. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Throws unless `name` is a valid job name (letters, digits, `_ . - /`; at most 200 characters). */
export function assertJobName(name: string): void {
  if (typeof name !== 'string' || name.length > 200 || !JOB_NAME.test(name)) {
    throw new TypeError(`Invalid job name ${JSON.stringify(name)}: use letters, digits and _ . - / (at most 200 characters)`);
  }
}

export interface NormalizedEnqueueOptions {
  runAt: Date | undefined;
  key: string | undefined;
  maxAttempts: number;
}

/** Validates enqueue options and fills in defaults. */
export function normalizeEnqueueOptions(options: EnqueueOptions = {}): NormalizedEnqueueOptions {
  const { runAt, key, maxAttempts = DEFAULT_MAX_ATTEMPTS } = options;
  if (runAt !== undefined && (!(runAt instanceof Date) || Number.isNaN(runAt.getTime()))) {
    throw new TypeError('runAt must be a valid Date');
  }
  if (key !== undefined && (typeof key !== 'string' || key === '')) throw new TypeError('key must be a non-empty string');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts must be a whole number ≥ 1');
  return { runAt, key, maxAttempts };
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

export type HandlerOutcome = { ok: true } | { ok: false; error: string };

/**
 * Runs a handler; a throw or a run longer than `leaseMs` is a failure. (A handler past its lease
 * keeps running, since promises cannot be cancelled, but its outcome is ignored.)
 */
export async function runHandler(handler: JobHandler<unknown>, payload: unknown, ctx: JobContext, leaseMs: number): Promise<HandlerOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HandlerOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `handler still running after its lease of ${Math.round(leaseMs / 1000)} s` }), leaseMs);
  });
  const run = Promise.resolve()
    .then(() => handler(payload, ctx))
    .then(
      (): HandlerOutcome => ({ ok: true }),
      (err: unknown): HandlerOutcome => ({ ok: false, error: errorMessage(err) }),
    );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts running jobs against the process limit and per-name limits. */
export class Slots {
  #active = 0;
  readonly #perName = new Map<string, number>();
  #idleWaiters: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly nameLimits: ReadonlyMap<string, number>,
  ) {}

  /** Jobs of `name` that may start now. */
  free(name: string): number {
    const nameLimit = Math.min(this.limit, this.nameLimits.get(name) ?? this.limit);
    return Math.max(0, Math.min(this.limit - this.#active, nameLimit - (this.#perName.get(name) ?? 0)));
  }

  /** True when asking the database for `name` is worth a round trip: a quarter of its slots are free, or it is idle. */
  worthFetching(name: string): boolean {
    const free = this.free(name);
    const nameLimit = Math.min(this.limit, this.nameLimits.get(name) ?? this.limit);
    return free > 0 && (free >= Math.ceil(nameLimit / 4) || (this.#perName.get(name) ?? 0) === 0);
  }

  get active(): number {
    return this.#active;
  }

  get full(): boolean {
    return this.#active >= this.limit;
  }

  take(name: string): void {
    this.#active += 1;
    this.#perName.set(name, (this.#perName.get(name) ?? 0) + 1);
  }

  release(name: string): void {
    this.#active -= 1;
    this.#perName.set(name, (this.#perName.get(name) ?? 1) - 1);
    if (this.#active === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when no job is running. */
  whenIdle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}

export interface Poller {
  start(): void;
  /** Polls now (or right after the poll in progress). */
  wake(): void;
  /** Stops polling and waits for the poll in progress. */
  stop(): Promise<void>;
}

/**
 * A poll loop: `poll` returns true when it found a full batch (poll again at once), false when idle
 * (poll again after `idleDelayMs()`). Errors are logged and retried with a growing delay (≤ 5 s).
 */
export function createPoller(opts: { poll: () => Promise<boolean>; idleDelayMs: () => number; log: Logger; what: string }): Poller {
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      kick();
    }, ms);
  };

  const drive = async (): Promise<void> => {
    while (!stopped) {
      again = false;
      let more = false;
      try {
        more = await opts.poll();
        failures = 0;
      } catch (err) {
        failures += 1;
        opts.log.error({ err, failures }, `${opts.what}: poll failed`);
      }
      if (failures > 0 || (!more && !again)) break;
    }
    running = undefined;
    if (!stopped) schedule(failures > 0 ? Math.min(5000, 100 * 2 ** Math.min(failures, 6)) : opts.idleDelayMs());
  };

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    running = drive();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      kick();
    },
    wake: kick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/**
 * Collects items and hands them to `flush` in batches (one batch per turn of the event loop, at
 * most `maxBatch` items); `add` resolves once its item's batch is flushed.
 */
export function createBatcher<T>(flush: (items: T[]) => Promise<void>, maxBatch = 500): { add(item: T): Promise<void>; drain(): Promise<void> } {
  let pending: Array<{ item: T; done: () => void; fail: (err: unknown) => void }> = [];
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();

  const run = () => {
    scheduled = false;
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(maxBatch);
      const p = flush(batch.map((b) => b.item)).then(
        () => batch.forEach((b) => b.done()),
        (err: unknown) => batch.forEach((b) => b.fail(err)),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  };

  return {
    add(item) {
      return new Promise<void>((done, fail) => {
        pending.push({ item, done, fail });
        if (!scheduled) {
          scheduled = true;
          setImmediate(run);
        }
      });
    },
    async drain() {
      if (scheduled) run();
      await Promise.allSettled([...inFlight]);
    },
  };
}
