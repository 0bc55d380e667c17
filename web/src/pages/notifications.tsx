/**
 * Notifications: what Switchyard noticed about the repositories you can see (a failing check and its
 * diagnosis, …), newest first. Unread or all (kept in the URL), "Mark read" one by one or all at
 * once, and a link to what each is about.
 */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { NotificationItem } from '../api/types';
import { useViewer } from '../auth/session';
import { BellIcon, CheckIcon, ExternalIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { Badge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading, Spinner, errorMessage } from '../components/states';
import { Segmented } from '../components/tabs';
import { RelativeTime } from '../components/time';
import { plural } from '../lib/format';
import { NOTIFICATIONS_KEY, useUnreadNotifications } from '../lib/use-unread-notifications';

type Show = 'unread' | 'all';
type Target = { kind: 'app'; to: string } | { kind: 'external'; href: string } | null;

/** API paths the dashboard has a page for: a link to `/api/checks/42` opens `/checks/42`. */
const APP_PAGES = [/^\/events\/[^/]+$/, /^\/checks\/\d+$/, /^\/repositories\/[^/]+\/[^/]+(\/pulls\/\d+)?$/, /^\/mirrors\/[^/]+\/[^/]+\/logs$/];

/** Where a notification's link goes: a dashboard page through the router, or an http(s) address in a new tab; nothing else. */
export function linkTarget(link: string | null): Target {
  if (!link) return null;
  if (link.startsWith('/') && !link.startsWith('//')) {
    const path = link.split(/[?#]/)[0]!;
    if (path.startsWith('/api/')) {
      const page = path.slice('/api'.length);
      return APP_PAGES.some((re) => re.test(page)) ? { kind: 'app', to: link.slice('/api'.length) } : { kind: 'external', href: link };
    }
    return { kind: 'app', to: link };
  }
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? { kind: 'external', href: url.href } : null;
  } catch {
    return null;
  }
}

export function NotificationsPage() {
  const [params, setParams] = useSearchParams();
  const show: Show = params.get('show') === 'unread' ? 'unread' : 'all';
  const me = useViewer();
  const canMark = me.user !== null;
  const queryClient = useQueryClient();
  const unread = useUnreadNotifications(canMark);
  const [outcome, setOutcome] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);

  const list = useInfiniteQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'list', show],
    queryFn: ({ pageParam, signal }) => api.get('/api/notifications', { query: { unread: show === 'unread' ? 'true' : undefined, limit: 25, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 60_000,
  });
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);

  const markAll = useMutation({
    mutationFn: () => api.post('/api/notifications/read-all'),
    onSuccess: async (data) => {
      setOutcome({ tone: 'success', text: data.marked > 0 ? `Marked ${plural(data.marked, 'notification')} read.` : 'Nothing was unread.' });
      await queryClient.invalidateQueries({ queryKey: NOTIFICATIONS_KEY });
    },
    onError: (e) => setOutcome({ tone: 'danger', text: errorMessage(e) }),
  });

  const setShow = (next: Show) => {
    const p = new URLSearchParams(params);
    if (next === 'unread') p.set('show', 'unread');
    else p.delete('show');
    setParams(p);
    setOutcome(null);
  };

  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle="What Switchyard noticed about the repositories you can see, newest first"
        actions={
          canMark && unread && unread.count > 0 ? (
            <button type="button" className="button" onClick={() => markAll.mutate()} disabled={markAll.isPending}>
              {markAll.isPending ? <Spinner /> : <CheckIcon size={16} />} Mark all read
            </button>
          ) : undefined
        }
      />
      <div className="toolbar">
        <Segmented
          label="Show"
          value={show}
          onChange={setShow}
          options={[
            { value: 'all', label: 'All' },
            { value: 'unread', label: unread && unread.count > 0 ? `Unread (${unread.label})` : 'Unread' },
          ]}
        />
        <div role="status" className="small">
          {outcome && <span className={outcome.tone === 'danger' ? 'text-danger' : 'muted'}>{outcome.text}</span>}
        </div>
      </div>
      {list.isPending ? (
        <Loading rows={4} label="Loading notifications…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        show === 'unread' ? (
          <EmptyState
            title="You are all caught up"
            icon={<CheckIcon size={28} />}
            action={
              <button type="button" className="button small" onClick={() => setShow('all')}>
                Show all notifications
              </button>
            }
          >
            <p>No unread notifications.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No notifications yet" icon={<BellIcon size={28} />}>
            <p>Switchyard tells you here when something needs a look, such as a check that failed on a repository you can see.</p>
          </EmptyState>
        )
      ) : (
        <ul className="item-list notification-list" aria-label={show === 'unread' ? 'Unread notifications' : 'Notifications'}>
          {items.map((n) => (
            <NotificationRow key={n.id} n={n} canMark={canMark} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

/** After a "Mark read" button goes away, keyboard focus moves to the next one (or the page heading). */
function moveFocusFrom(button: HTMLElement | null) {
  if (!button || document.activeElement !== button) return;
  const all = [...document.querySelectorAll<HTMLElement>('[data-mark-read]')];
  const i = all.indexOf(button);
  const next = all[i + 1] ?? all[i - 1] ?? document.querySelector<HTMLElement>('main h1');
  next?.focus();
}

function NotificationRow({ n, canMark }: { n: NotificationItem; canMark: boolean }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const mark = useMutation({
    mutationFn: (_button: HTMLElement | null) => api.post('/api/notifications/{id}/read', { path: { id: n.id } }),
    onSuccess: async (_data, button) => {
      setError(null);
      moveFocusFrom(button);
      await queryClient.invalidateQueries({ queryKey: NOTIFICATIONS_KEY });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const target = linkTarget(n.link);
  const unread = !n.read;
  const title =
    target?.kind === 'app' ? (
      <Link to={target.to} className="item-title">
        {n.title}
      </Link>
    ) : target?.kind === 'external' ? (
      <a href={target.href} className="item-title" target="_blank" rel="noreferrer">
        {n.title}
        <ExternalIcon size={13} className="inline-icon" />
        <span className="visually-hidden"> (opens in a new tab)</span>
      </a>
    ) : (
      <span className="item-title">{n.title}</span>
    );
  return (
    <li className={`item notification${unread ? ' unread' : ''}`} data-testid="notification">
      <span className="item-icon" aria-hidden="true">
        <BellIcon size={16} />
      </span>
      <div className="item-main">
        <div className="notification-title">
          {unread && (
            <Badge tone="info" dot>
              unread
            </Badge>
          )}{' '}
          {title}
        </div>
        {n.body && <p className="notification-body">{n.body}</p>}
        <div className="item-meta">
          {n.kind.replace(/_/g, ' ')} · <RelativeTime iso={n.created_at} />
        </div>
        {error && (
          <div className="small text-danger" role="alert">
            {error}
          </div>
        )}
      </div>
      {canMark && unread && (
        <div className="item-side">
          <button type="button" className="button small" data-mark-read onClick={(e) => mark.mutate(e.currentTarget)} disabled={mark.isPending} aria-label={`Mark read: ${n.title}`}>
            {mark.isPending ? <Spinner /> : <CheckIcon size={14} />} Mark read
          </button>
        </div>
      )}
    </li>
  );
}
