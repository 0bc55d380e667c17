/**
 * The event log: filters (repository, event type, action, status, time range) kept in the URL so a
 * view can be shared, keyset pages, and a live tail that adds new deliveries as they arrive.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { RECEIPT_STATUSES, type ReceiptStatus } from '../api/types';
import { EventTable, LiveIndicator } from '../components/event-table';
import { ActivityIcon, SearchIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { Callout, EmptyState, ErrorState, Loading } from '../components/states';
import { TimeRangeFields, useTimeRangeInputs } from '../components/time-range-fields';
import { timeBoundsFrom, withFilters } from '../lib/url-filters';
import { useEventFeed, type FeedFilters } from '../lib/use-event-feed';

export const COMMON_EVENT_TYPES = [
  'push',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'issues',
  'issue_comment',
  'check_run',
  'check_suite',
  'workflow_run',
  'workflow_job',
  'status',
  'create',
  'delete',
  'release',
  'repository',
  'installation',
  'installation_repositories',
  'ping',
];

/** The filters in the URL, as the API takes them. */
function filtersFrom(params: URLSearchParams): FeedFilters {
  const status = params.get('status');
  const f: FeedFilters = {
    repository: params.get('repository') || undefined,
    installation: /^\d+$/.test(params.get('installation') ?? '') ? Number(params.get('installation')) : undefined,
    type: params.get('type') || undefined,
    action: params.get('action') || undefined,
    status: status && (RECEIPT_STATUSES as string[]).includes(status) ? (status as ReceiptStatus) : undefined,
  };
  return { ...f, ...timeBoundsFrom(params) };
}

export function EventsPage() {
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  // Recompute relative ranges only when the URL changes.
  const key = params.toString();
  const filters = useMemo(() => filtersFrom(new URLSearchParams(key)), [key]);
  const filtered = Object.values(filters).some(Boolean);

  return (
    <>
      <PageHeader title="Events" subtitle="Every webhook delivery GitHub sent, newest first" />
      <FilterBar params={params} setParams={setParams} />
      <Feed key={key} filters={filters} cursor={cursor} filtered={filtered} params={params} />
    </>
  );
}

function Feed({ filters, cursor, filtered, params }: { filters: FeedFilters; cursor: string | undefined; filtered: boolean; params: URLSearchParams }) {
  const feed = useEventFeed(filters, cursor);
  const { query } = feed;
  const withCursor = (c: string | null) => {
    const next = new URLSearchParams(params);
    if (c) next.set('cursor', c);
    else next.delete('cursor');
    return `?${next.toString()}`;
  };
  return (
    <div className="feed">
      <div className="feed-bar">
        {cursor ? (
          <span className="muted">Older events · live updates show on the newest page</span>
        ) : filters.until ? (
          <span className="muted">A closed time range · no live updates</span>
        ) : (
          <LiveIndicator state={feed.live} paused={feed.paused} waiting={feed.waiting} onToggle={() => feed.setPaused(!feed.paused)} />
        )}
        {query.isFetching && !query.isPending && <span className="muted small">Refreshing…</span>}
      </div>
      {feed.overflowed && (
        <Callout tone="info">
          More deliveries arrived at once than the live view shows.{' '}
          <button type="button" className="link-button" onClick={() => window.location.reload()}>
            Reload
          </button>{' '}
          to see them all.
        </Callout>
      )}
      {query.isPending ? (
        <Loading rows={8} label="Loading events…" />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => void query.refetch()} title="The event log could not be read" />
      ) : feed.rows.length === 0 ? (
        filtered ? (
          <EmptyState title="No events match these filters" icon={<ActivityIcon size={28} />} action={<Link to="/events" className="button">Clear filters</Link>}>
            <p>New deliveries that match appear here as they arrive.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No deliveries yet" icon={<ActivityIcon size={28} />}>
            <p>
              Deliveries appear here the moment GitHub sends them to <code>/api/github/webhooks</code> — this page updates by itself.
            </p>
          </EmptyState>
        )
      ) : (
        <>
          <EventTable rows={feed.rows} fresh={feed.fresh} />
          <nav className="pager" aria-label="Event pages">
            {cursor ? (
              <Link to={withCursor(null)} className="button">
                ← Newest events
              </Link>
            ) : (
              <span />
            )}
            {feed.nextCursor && (
              <Link to={withCursor(feed.nextCursor)} className="button">
                Older events →
              </Link>
            )}
          </nav>
        </>
      )}
    </div>
  );
}

function FilterBar({ params, setParams }: { params: URLSearchParams; setParams: ReturnType<typeof useSearchParams>[1] }) {
  const [repository, setRepository] = useState(params.get('repository') ?? '');
  const [type, setType] = useState(params.get('type') ?? '');
  const [action, setAction] = useState(params.get('action') ?? '');
  const status = params.get('status') ?? '';
  const time = useTimeRangeInputs(params);
  // On a phone the filters fold away behind a button (they are always shown on wider screens).
  const [shown, setShown] = useState(false);

  // Keep the inputs in step when the URL changes (Back, a shared link, "Clear"): adjusted while
  // rendering, not in an effect (https://react.dev/learn/you-might-not-need-an-effect).
  const paramsKey = params.toString();
  const [syncedKey, setSyncedKey] = useState(paramsKey);
  if (syncedKey !== paramsKey) {
    setSyncedKey(paramsKey);
    setRepository(params.get('repository') ?? '');
    setType(params.get('type') ?? '');
    setAction(params.get('action') ?? '');
    time.syncFrom(params);
  }

  const repos = useQuery({ queryKey: ['repository-names'], queryFn: () => api.get('/api/repositories', { query: { limit: 200 } }), staleTime: 60_000 });

  const apply = (changes: Record<string, string>) => setParams(withFilters(params, changes));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({
      repository: repository.trim(),
      type: type.trim(),
      action: action.trim(),
      ...time.submitted(),
    });
  };
  const active = ['repository', 'installation', 'type', 'action', 'status', 'range', 'since', 'until'].filter((k) => params.get(k)).length;
  const any = active > 0;

  return (
    <>
    <button type="button" className="button filters-toggle" aria-expanded={shown} aria-controls="event-filters" onClick={() => setShown((s) => !s)}>
      <SearchIcon /> {shown ? 'Hide filters' : 'Filters'}
      {active > 0 && <span className="tab-count">{active}</span>}
    </button>
    <form id="event-filters" className={`filters${shown ? ' shown' : ''}`} onSubmit={submit} role="search" aria-label="Filter events">
      <div className="field">
        <label htmlFor="f-repository">Repository</label>
        <input id="f-repository" list="f-repository-list" placeholder="owner/name" value={repository} onChange={(e) => setRepository(e.target.value)} autoComplete="off" spellCheck={false} />
        <datalist id="f-repository-list">
          {repos.data?.items.map((r) => (
            <option key={r.id} value={r.full_name} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor="f-type">Event type</label>
        <input id="f-type" list="f-type-list" placeholder="any" value={type} onChange={(e) => setType(e.target.value)} autoComplete="off" spellCheck={false} />
        <datalist id="f-type-list">
          {COMMON_EVENT_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </div>
      <div className="field narrow">
        <label htmlFor="f-action">Action</label>
        <input id="f-action" placeholder="any" value={action} onChange={(e) => setAction(e.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field narrow">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={status} onChange={(e) => apply({ status: e.target.value })}>
          <option value="">Any status</option>
          {RECEIPT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <TimeRangeFields idPrefix="f" label="Received" inputs={time} apply={apply} />
      {params.get('installation') && (
        <div className="field narrow">
          <span className="field-label">Installation</span>
          <span className="chip chip-info filter-chip">
            {params.get('installation')}
            <button type="button" className="link-button" onClick={() => apply({ installation: '' })} aria-label="Remove the installation filter">
              ×
            </button>
          </span>
        </div>
      )}
      <div className="filter-actions">
        <button type="submit" className="button primary">
          Apply
        </button>
        {any && (
          <Link to="/events" className="button ghost">
            Clear
          </Link>
        )}
      </div>
    </form>
    </>
  );
}
