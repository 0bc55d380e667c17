/**
 * Follows `GET /api/events/stream` (server-sent events): new receipts and status changes as they
 * happen. The browser reconnects by itself after a network blip (sending Last-Event-ID, so nothing
 * is missed); when the server refuses (the session ended) the hook asks who is signed in, which
 * sends a signed-out person to the sign-in page, and otherwise tries again with a growing delay.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api, ApiError, buildUrl } from '../api/client';
import type { EventItem } from '../api/types';
import { ME_KEY } from '../auth/session';

export type LiveState = 'off' | 'connecting' | 'live' | 'reconnecting';

export interface StatusUpdate {
  id: string;
  delivery_id: string;
  processing_status: string;
  retry_count: number;
  error_message: string | null;
}

export interface LiveTailOptions {
  enabled: boolean;
  filters: { repository?: string; type?: string; action?: string; status?: string; installation?: number };
  /** The newest receipt id already shown: what arrived after it is sent first. */
  after: string | null;
  onReceipt(e: EventItem): void;
  onUpdate(u: StatusUpdate): void;
  onOverflow?(): void;
  /** The stream came back after a break: statuses may have changed meanwhile (refetch what is shown). */
  onResync?(): void;
}

export function useLiveTail(opts: LiveTailOptions): LiveState {
  const [state, setState] = useState<LiveState>('off');
  // The newest options, for the stream's callbacks (updated after render, before effects run).
  const handlers = useRef(opts);
  useLayoutEffect(() => {
    handlers.current = opts;
  });
  const queryClient = useQueryClient();
  const filtersKey = JSON.stringify(opts.filters);
  const on = opts.enabled && typeof EventSource !== 'undefined';

  useEffect(() => {
    if (!on) return;
    let source: EventSource | null = null;
    let retryTimer: number | null = null;
    let attempts = 0;
    // `after` only seeds the first connection; later ones resume from the last receipt seen.
    let lastId = handlers.current.after;
    let stopped = false;
    let readyOnce = false;

    const connect = () => {
      setState(attempts === 0 ? 'connecting' : 'reconnecting');
      source = new EventSource(buildUrl('/api/events/stream', undefined, { ...JSON.parse(filtersKey), after: lastId ?? undefined }));
      source.addEventListener('ready', () => {
        attempts = 0;
        setState('live');
        if (readyOnce) handlers.current.onResync?.();
        readyOnce = true;
      });
      source.addEventListener('receipt', (m) => {
        const e = JSON.parse((m as MessageEvent<string>).data) as EventItem;
        lastId = e.id;
        handlers.current.onReceipt(e);
      });
      source.addEventListener('update', (m) => handlers.current.onUpdate(JSON.parse((m as MessageEvent<string>).data) as StatusUpdate));
      source.addEventListener('overflow', () => handlers.current.onOverflow?.());
      source.onerror = () => {
        if (stopped || !source) return;
        if (source.readyState === EventSource.CONNECTING) {
          setState('reconnecting');
          return;
        }
        // Closed for good (an HTTP error): find out whether the session ended, then retry later.
        source.close();
        source = null;
        setState('reconnecting');
        attempts++;
        void api.get('/api/me').catch((err) => {
          if (err instanceof ApiError && err.status === 401) queryClient.setQueryData(ME_KEY, null);
        });
        retryTimer = window.setTimeout(connect, Math.min(30_000, 1000 * 2 ** Math.min(attempts, 5)));
      };
    };
    connect();
    return () => {
      stopped = true;
      source?.close();
      if (retryTimer !== null) window.clearTimeout(retryTimer);
    };
  }, [on, filtersKey, queryClient]);

  return on ? state : 'off';
}

/** The smallest UUIDv7 made at or after `time`: "everything since then" as a receipt id. */
export function idAtTime(time: number): string {
  const hex = Math.max(0, Math.floor(time)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}
