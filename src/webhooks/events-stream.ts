/**
 * `GET /api/events/stream`: the live tail of the event log as server-sent events, scoped to the
 * viewer and filtered like `GET /api/events` (repository, installation, type, action, status).
 *
 * Receipts are written by this process, by the embedded writer thread or by other processes, so
 * the tail reads the database rather than listening in memory: one poller per process (running only
 * while someone watches) reads the last few seconds of the log once a second — an id range on the
 * primary key, whatever the number of watchers — and hands each watcher what its scope and filters let
 * it see. It looks back LOOKBACK_MS on every poll, because a UUIDv7 id is made before its row commits:
 * a receipt can appear after one with a higher id. It also follows the status of the receipts it has
 * announced (received → processing → processed, failed → dead) for FOLLOW_MS.
 *
 * Messages (`event:` names):
 * - `receipt` (with `id:` = receipt id): a new receipt, shaped like an item of `GET /api/events`;
 * - `update`: `{id, delivery_id, processing_status, retry_count, error_message}` of a receipt whose
 *   status changed (receipts the client listed before it connected included);
 * - `overflow`: more arrived at once than the tail sends; reload the list to see them all;
 * - `ready`: sent once the stream has caught up.
 *
 * A client passes the newest id it already has as `after` (or, on reconnection, `Last-Event-ID`):
 * what arrived since is sent first. Each heartbeat authenticates the viewer again and takes their
 * current scope (access lost on GitHub, or a revoked session, stops what they receive); streams end
 * after MAX_STREAM_MS and the browser reconnects.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid, uuidLowerBound } from '../db/index.js';
import { authOf, scopeAllows, type Auth, type Scope } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import type { Logger } from '../log/index.js';
import { listEvents, type EventItem } from './events-repo.js';
import { eventsQuery } from './events-routes.js';
import { receiptStatuses } from './receipt-statuses.js';

/** How far back every poll looks (a receipt may commit this long after its id was made). */
const LOOKBACK_MS = 10_000;
/** Most receipts one poll reads; more in one window is an `overflow`. */
const WINDOW_LIMIT = 500;
/** Most receipts sent to a reconnecting client before an `overflow`. */
const CATCH_UP_LIMIT = 200;
/** How far back a reconnecting client is caught up. */
const CATCH_UP_MAX_MS = 3_600_000;
/** How long the status of a receipt that is not yet processed or dead is followed. */
const FOLLOW_MS = 10 * 60_000;
const FOLLOW_MAX = 2_000;
const HEARTBEAT_MS = 15_000;
const MAX_STREAM_MS = 5 * 60_000;

const TERMINAL = new Set(['processed', 'dead']);
const ALL: Scope = { all: true };

export const streamQuery = eventsQuery.pick({ repository: true, installation: true, type: true, action: true, status: true }).extend({
  after: z.string().max(100).optional().describe('the newest receipt id the client already has: newer ones are sent first'),
});
type StreamFilters = Omit<z.infer<typeof streamQuery>, 'after'>;

/** The time a UUIDv7 id was made. */
function idTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

interface Watcher {
  scope: Scope;
  filters: StreamFilters;
  /** Receipts with ids up to this one the client had before it connected. */
  afterId: string;
  /** Receipts announced to this client. */
  shown: Set<string>;
  /** While catching up, what the poller hands over waits here. */
  buffer: EventItem[] | null;
  send(event: string, data: unknown, id?: string): void;
}

function visibleTo(w: Watcher, e: EventItem): boolean {
  if (!scopeAllows(w.scope, e.installation_id)) return false;
  const f = w.filters;
  if (f.repository !== undefined && e.repository !== f.repository) return false;
  if (f.installation !== undefined && e.installation_id !== f.installation) return false;
  if (f.type !== undefined && e.event_type !== f.type) return false;
  if (f.action !== undefined && e.event_action !== f.action) return false;
  return true;
}

const statusOf = (e: EventItem) => ({ id: e.id, delivery_id: e.delivery_id, processing_status: e.processing_status, retry_count: e.retry_count, error_message: e.error_message });

/** Announces a new or changed receipt to one watcher, if it may see it. */
function deliver(w: Watcher, e: EventItem): void {
  if (w.buffer) {
    w.buffer.push(e);
    return;
  }
  if (!visibleTo(w, e)) return;
  if (w.shown.has(e.id) || e.id <= w.afterId) {
    w.send('update', statusOf(e));
  } else if (w.filters.status === undefined || w.filters.status === e.processing_status) {
    w.shown.add(e.id);
    w.send('receipt', e, e.id);
  }
}

interface Known {
  item: EventItem;
  firstSeen: number;
}

/** One per process: polls while at least one watcher is connected. */
class TailPoller {
  private watchers = new Set<Watcher>();
  private known = new Map<string, Known>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  add(w: Watcher): void {
    this.watchers.add(w);
    if (!this.timer) this.timer = setInterval(() => void this.tick(), this.pollMs);
  }

  remove(w: Watcher): void {
    this.watchers.delete(w);
    if (this.watchers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.known.clear();
    }
  }

  stop(): void {
    for (const w of [...this.watchers]) this.remove(w);
  }

  /** Sends `receipt`s a client missed since `afterId` (bounded), then hands it over to the poller. */
  async catchUp(w: Watcher): Promise<void> {
    try {
      const since = Math.max(idTime(w.afterId), Date.now() - CATCH_UP_MAX_MS);
      const rows = await listEvents(this.db, { ...w.filters, status: undefined, scope: w.scope, since: new Date(since), limit: CATCH_UP_LIMIT });
      const newer = rows.filter((r) => r.id > w.afterId);
      const buffered = w.buffer ?? [];
      w.buffer = null;
      if (newer.length > CATCH_UP_LIMIT) w.send('overflow', { reason: 'more receipts arrived while disconnected than the tail resends' });
      for (const r of newer.slice(0, CATCH_UP_LIMIT).reverse()) deliver(w, r);
      for (const r of buffered) deliver(w, r);
    } catch (err) {
      w.buffer = null;
      this.log.warn({ err }, 'live tail catch-up failed');
    }
    w.send('ready', {});
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const rows = await listEvents(this.db, { scope: ALL, since: new Date(now - LOOKBACK_MS), limit: WINDOW_LIMIT });
      const overflow = rows.length > WINDOW_LIMIT;
      const window = rows.slice(0, WINDOW_LIMIT).reverse();
      const inWindow = new Set(window.map((r) => r.id));
      const changed: EventItem[] = [];
      for (const row of window) {
        const k = this.known.get(row.id);
        if (!k) {
          this.known.set(row.id, { item: row, firstSeen: now });
          changed.push(row);
        } else if (k.item.processing_status !== row.processing_status || k.item.retry_count !== row.retry_count) {
          k.item = row;
          changed.push(row);
        }
      }
      // Follow receipts that left the window before they were done.
      const following = [...this.known.values()].filter((k) => !inWindow.has(k.item.id) && !TERMINAL.has(k.item.processing_status));
      if (following.length > 0) {
        for (const s of await receiptStatuses(this.db, following.map((k) => k.item.id))) {
          const k = this.known.get(s.id);
          if (!k || (k.item.processing_status === s.processing_status && k.item.retry_count === s.retry_count)) continue;
          k.item = { ...k.item, ...s };
          changed.push(k.item);
        }
      }
      // Forget what is done and out of the window, and what has been followed long enough.
      const windowStart = uuidLowerBound(new Date(now - LOOKBACK_MS));
      for (const [id, k] of this.known) {
        if ((id < windowStart && TERMINAL.has(k.item.processing_status)) || now - k.firstSeen > FOLLOW_MS) this.known.delete(id);
      }
      if (this.known.size > FOLLOW_MAX) {
        for (const id of [...this.known.keys()].sort().slice(0, this.known.size - FOLLOW_MAX)) this.known.delete(id);
      }
      for (const w of this.watchers) {
        if (overflow && !w.buffer) w.send('overflow', { reason: 'more receipts arrived at once than the tail sends' });
        for (const row of changed) deliver(w, row);
        for (const id of w.shown) if (!this.known.has(id)) w.shown.delete(id);
      }
    } catch (err) {
      this.log.warn({ err }, 'live tail poll failed');
    } finally {
      this.running = false;
    }
  }
}

export interface EventsStreamDeps {
  db: Database;
  log: Logger;
  /** How often the log is read while someone watches (ms). */
  pollMs?: number;
  /**
   * Authenticates the request again (the identity slice's). With it, every heartbeat re-reads the
   * viewer's scope, so access lost on GitHub (src/access) or a revoked session stops the stream
   * within HEARTBEAT_MS instead of at the stream's end.
   */
  authenticate?: (req: FastifyRequest) => Promise<Auth | null>;
}

function openStream(reply: FastifyReply) {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  let open = true;
  const send = (event: string, data: unknown, id?: string) => {
    if (!open) return;
    res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const comment = (text: string) => {
    if (open) res.write(`: ${text}\n\n`);
  };
  const close = () => {
    if (!open) return;
    open = false;
    res.end();
  };
  // The response's 'close' fires when the client goes away or the stream ends (not the request's:
  // that fires once its (empty) body has been read).
  const closed = new Promise<void>((resolve) =>
    res.on('close', () => {
      open = false;
      resolve();
    }),
  );
  return { send, comment, close, closed };
}

export async function eventsStreamRoutes(app: FastifyInstance, deps: EventsStreamDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const log = deps.log.child({ slice: 'webhooks', part: 'live-tail' });
  const poller = new TailPoller(deps.db, log, deps.pollMs ?? 1000);
  const streams = new Set<() => void>();

  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
    poller.stop();
  });

  r.get(
    '/api/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Live tail of new deliveries and their status changes (server-sent events)',
        description:
          'A text/event-stream. Events: `receipt` (a new delivery, shaped like an item of GET /api/events; its `id:` is the receipt id), ' +
          '`update` ({id, delivery_id, processing_status, retry_count, error_message}), `overflow` (more arrived than the tail sends: reload the list) and `ready`. ' +
          'Pass `after` (the newest receipt id you have) or the Last-Event-ID header to receive what arrived since.',
        querystring: streamQuery,
        response: { 400: errorResponse },
      },
    },
    async (req, reply) => {
      const { scope } = authOf(req);
      const { after, ...filters } = req.query;
      const lastEventId = req.headers['last-event-id'];
      const resumeFrom = typeof lastEventId === 'string' && isUuid(lastEventId) ? lastEventId : after && isUuid(after) ? after : null;
      const stream = openStream(reply);
      const watcher: Watcher = {
        scope,
        filters,
        afterId: resumeFrom ?? uuidLowerBound(new Date()),
        shown: new Set(),
        buffer: resumeFrom ? [] : null,
        send: stream.send,
      };
      poller.add(watcher);
      const rescope = async () => {
        if (!deps.authenticate) return;
        const auth = await deps.authenticate(req).catch(() => null);
        if (!auth) stream.close();
        else watcher.scope = auth.scope;
      };
      const heartbeat = setInterval(() => {
        stream.comment('ping');
        void rescope();
      }, HEARTBEAT_MS);
      const lifetime = setTimeout(() => stream.close(), MAX_STREAM_MS);
      const end = () => stream.close();
      streams.add(end);
      if (resumeFrom) void poller.catchUp(watcher);
      else stream.send('ready', {});
      await stream.closed;
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      streams.delete(end);
      poller.remove(watcher);
      stream.close();
    },
  );
}
