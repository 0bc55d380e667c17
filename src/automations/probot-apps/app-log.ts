/**
 * An app's `log`: pino (as Probot's), tagged with the app's name. Each line goes on to Switchyard's
 * log, and the lines that carry a delivery id (`context.log` adds it) are also kept with that
 * delivery's run while it is running, so the delivery's page shows what each app logged.
 */
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../../log/index.js';
import { scrubSecrets } from '../../log/index.js';

const MAX_LINES = 200;
const MAX_LINE_CHARS = 2000;
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface KeptLine {
  level: string;
  time: string;
  msg: string;
  [key: string]: unknown;
}

export interface AppLogs {
  /** The app's pino logger. */
  logger(app: string): PinoLogger;
  /** Starts keeping an app's lines for one delivery; returns them when stopped. */
  collect(app: string, deliveryId: string): { stop(): KeptLine[] };
}

export function createAppLogs(deps: { log: Logger; level: string }): AppLogs {
  const collectors = new Map<string, KeptLine[]>();
  const key = (app: string, id: string) => `${app}\u0000${id}`;
  return {
    logger(app) {
      const forward = deps.log.child({ slice: 'probot-apps', app });
      const sink = new Writable({
        write(chunk, _enc, cb) {
          try {
            const line = JSON.parse(String(chunk)) as Record<string, unknown>;
            const { level, time, msg, pid: _pid, hostname: _host, app: _app, ...rest } = line;
            const name = LEVELS[Number(level)] ?? 'info';
            const text = scrubSecrets(typeof msg === 'string' ? msg : '');
            forward[name](rest, text);
            const id = typeof rest.id === 'string' ? rest.id : null;
            const kept = id ? collectors.get(key(app, id)) : undefined;
            if (kept && kept.length < MAX_LINES) {
              const extra = scrubSecrets(JSON.stringify(rest)).slice(0, MAX_LINE_CHARS);
              kept.push({ ...(JSON.parse(extra.endsWith('}') ? extra : '{}') as object), level: name, time: new Date(Number(time)).toISOString(), msg: text.slice(0, MAX_LINE_CHARS) });
            }
          } catch {
            // a line that is not JSON: nothing to keep
          }
          cb();
        },
      });
      return pino({ level: deps.level, base: { app } }, sink);
    },
    collect(app, deliveryId) {
      const k = key(app, deliveryId);
      const lines: KeptLine[] = [];
      collectors.set(k, lines);
      return {
        stop() {
          if (collectors.get(k) === lines) collectors.delete(k);
          return lines;
        },
      };
    },
  };
}
