/**
 * A page of the event log plus what the live tail adds: new receipts on top (newest first), status
 * changes applied in place. Live only on the newest page, when the time range is open-ended, and
 * while the tab is visible (it catches up when shown again: the page is refetched and the stream
 * resumes from the newest receipt it has). Each row shows the newest of what is known about it —
 * the live message, a status update or the refetched page — by when it was learnt.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState } from 'react';
import { api } from '../api/client';
import type { EventItem, ReceiptStatus } from '../api/types';
import { idAtTime, useLiveTail, type LiveState, type StatusUpdate } from './use-live-tail';
import { usePageVisible } from './use-page-visible';

export interface FeedFilters {
  repository?: string;
  installation?: number;
  type?: string;
  action?: string;
  status?: ReceiptStatus;
  since?: string;
  until?: string;
}

const MAX_LIVE = 500;

export interface EventFeed {
  rows: EventItem[];
  /** Ids that arrived live (for a highlight). */
  fresh: Set<string>;
  live: LiveState;
  paused: boolean;
  setPaused(p: boolean): void;
  /** Receipts that arrived while paused. */
  waiting: number;
  overflowed: boolean;
  nextCursor: string | null;
  query: ReturnType<typeof useEventPage>;
}

function useEventPage(filters: FeedFilters, cursor: string | undefined, limit: number) {
  return useQuery({
    queryKey: ['events', filters, cursor, limit],
    queryFn: async ({ signal }) => ({ fetchedAt: Date.now(), ...(await api.get('/api/events', { query: { ...filters, limit, cursor }, signal })) }),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });
}

export function useEventFeed(filters: FeedFilters, cursor: string | undefined, opts: { limit?: number; live?: boolean } = {}): EventFeed {
  const limit = opts.limit ?? 50;
  const query = useEventPage(filters, cursor, limit);
  const [live, setLive] = useState<Array<{ e: EventItem; at: number }>>([]);
  const [held, setHeld] = useState<Array<{ e: EventItem; at: number }>>([]);
  const [patches, setPatches] = useState<Map<string, { u: StatusUpdate; at: number }>>(new Map());
  const visible = usePageVisible();
  const [paused, setPausedState] = useState(false);
  const [overflowed, setOverflowed] = useState(false);
  const pausedRef = useRef(false);

  const page = query.isPlaceholderData ? undefined : query.data;
  const canLive = (opts.live ?? true) && !cursor && !filters.until && !!page && visible;
  const after = page ? (page.items[0]?.id ?? idAtTime(page.fetchedAt - 5_000)) : null;

  const onReceipt = useCallback((e: EventItem) => {
    const entry = { e, at: Date.now() };
    if (pausedRef.current) setHeld((h) => [entry, ...h].slice(0, MAX_LIVE));
    else setLive((l) => (l.some((x) => x.e.id === e.id) ? l : [entry, ...l].slice(0, MAX_LIVE)));
  }, []);
  const onUpdate = useCallback((u: StatusUpdate) => setPatches((p) => new Map(p).set(u.id, { u, at: Date.now() })), []);
  const liveState = useLiveTail({
    enabled: canLive,
    filters: { repository: filters.repository, installation: filters.installation, type: filters.type, action: filters.action, status: filters.status },
    after,
    onReceipt,
    onUpdate,
    onOverflow: () => setOverflowed(true),
    onResync: () => void query.refetch(),
  });

  const setPaused = useCallback((p: boolean) => {
    pausedRef.current = p;
    setPausedState(p);
    if (!p) {
      setHeld((h) => {
        if (h.length) setLive((l) => [...h, ...l].slice(0, MAX_LIVE));
        return [];
      });
    }
  }, []);

  const rows = useMemo(() => {
    const fetchedAt = query.data?.fetchedAt ?? 0;
    const fromPage = new Map((query.data?.items ?? []).map((e) => [e.id, e]));
    const seen = new Set<string>();
    const out: EventItem[] = [];
    for (const { e, at } of [...live, ...(query.data?.items ?? []).map((e) => ({ e, at: fetchedAt }))]) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      // The newest of: how it arrived, the page fetched since, a status update.
      let best = { e, at };
      const paged = fromPage.get(e.id);
      if (paged && fetchedAt > best.at) best = { e: paged, at: fetchedAt };
      const p = patches.get(e.id);
      if (p && p.at > best.at) best = { e: { ...best.e, processing_status: p.u.processing_status, retry_count: p.u.retry_count, error_message: p.u.error_message }, at: p.at };
      out.push(best.e);
    }
    return out;
  }, [live, query.data, patches]);

  const fresh = useMemo(() => new Set(live.map((x) => x.e.id)), [live]);
  return { rows, fresh, live: liveState, paused, setPaused, waiting: held.length, overflowed, nextCursor: query.data?.next_cursor ?? null, query };
}
