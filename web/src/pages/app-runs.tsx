/**
 * One hosted Probot app: its figures, then its runs, newest first — status, attempts, duration and
 * error — filtered like the event log (status, event, repository, time; kept in the URL so a view
 * can be shared) with keyset pages. Runs that are still moving are followed until they settle.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { APP_RUN_STATUSES, type AppRun, type AppRunFilters, type AppRunStatus, type HostedApp } from '../api/types';
import { useViewer } from '../auth/session';
import { SearchIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { RunAgainButton, UNSETTLED_RUN } from '../components/run-again';
import { Sparkline } from '../components/sparkline';
import { Stat } from '../components/stat';
import { TimeRangeFields, useTimeRangeInputs } from '../components/time-range-fields';
import { RunStatus } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { eventName, plural } from '../lib/format';
import { timeBoundsFrom, withFilters } from '../lib/url-filters';
import { appPath, ms, successRate, useHostedApps } from './apps';

const FILTER_KEYS = ['status', 'event', 'repository', 'range', 'since', 'until'] as const;

/** The filters in the URL, as the API takes them. */
function filtersFrom(params: URLSearchParams): Omit<AppRunFilters, 'limit' | 'cursor'> {
  const status = params.get('status');
  const f: Omit<AppRunFilters, 'limit' | 'cursor'> = {
    status: status && (APP_RUN_STATUSES as string[]).includes(status) ? (status as AppRunStatus) : undefined,
    event: params.get('event') || undefined,
    repository: params.get('repository') || undefined,
  };
  return { ...f, ...timeBoundsFrom(params) };
}

export function AppRunsPage() {
  const { app = '' } = useParams();
  const apps = useHostedApps();
  const hosted = apps.data?.items.find((a) => a.name === app);
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  const key = params.toString();
  const filters = useMemo(() => filtersFrom(new URLSearchParams(key)), [key]);

  const crumbs = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/probot-apps">Apps</Link>
    </nav>
  );
  if (apps.isPending) return <Loading rows={6} label="Loading the app…" />;
  if (apps.isError || !hosted) {
    return (
      <>
        <PageHeader eyebrow={crumbs} title={app} docTitle={`App ${app}`} />
        {apps.isError ? (
          <ErrorState error={apps.error} retry={() => void apps.refetch()} />
        ) : (
          <EmptyState title="This app is not loaded">
            <p>
              No Probot app named <code>{app}</code> runs on this Switchyard. <Link to="/probot-apps">See the apps that do.</Link>
            </p>
          </EmptyState>
        )}
      </>
    );
  }
  return (
    <>
      <PageHeader eyebrow={crumbs} title={hosted.name} docTitle={`App ${hosted.name}`} subtitle={<>{hosted.events.length ? <>Runs for {hosted.events.join(', ')}</> : 'Subscribes to no event'} · loaded from <code>{hosted.spec}</code></>} />
      <AppFigures app={hosted} />
      <FilterBar app={hosted} params={params} setParams={setParams} />
      <Runs key={key} app={hosted.name} filters={filters} cursor={cursor} params={params} />
    </>
  );
}

function AppFigures({ app }: { app: HostedApp }) {
  const s = app.stats;
  return (
    <div className="stats">
      <Stat label="Runs, last 7 days" value={<Sparkline values={s.runs_per_day.map((d) => d.runs)} days={s.runs_per_day.map((d) => d.day)} label={`Runs per day of ${app.name}`} />} hint={plural(s.runs, 'run')} />
      <Stat label="Succeeded" value={successRate(s)} tone={s.success_rate !== null && s.success_rate < 1 ? 'warning' : undefined} />
      <Stat label="p50 duration" value={ms(s.p50_ms)} />
      <Stat label="p99 duration" value={ms(s.p99_ms)} />
    </div>
  );
}

function Runs({ app, filters, cursor, params }: { app: string; filters: Omit<AppRunFilters, 'limit' | 'cursor'>; cursor: string | undefined; params: URLSearchParams }) {
  const me = useViewer();
  const runs = useQuery({
    queryKey: ['app-runs', app, filters, cursor],
    queryFn: ({ signal }) => api.get('/api/apps/{app}/runs', { path: { app }, query: { ...filters, limit: 50, cursor }, signal }),
    // Follow runs that are still moving; otherwise look again now and then.
    refetchInterval: (q) => (q.state.data?.items.some((r) => UNSETTLED_RUN.has(r.status)) ? 2_000 : 15_000),
  });
  const filtered = FILTER_KEYS.some((k) => params.get(k));
  const withCursor = (c: string | null) => {
    const next = new URLSearchParams(params);
    if (c) next.set('cursor', c);
    else next.delete('cursor');
    return `?${next.toString()}`;
  };
  if (runs.isPending) return <Loading rows={6} label="Loading runs…" />;
  if (runs.isError) return <ErrorState error={runs.error} retry={() => void runs.refetch()} title="The runs could not be read" />;
  if (runs.data.items.length === 0) {
    return filtered ? (
      <EmptyState title="No runs match these filters" action={<Link to={appPath(app)} className="button">Clear filters</Link>} />
    ) : (
      <EmptyState title="No runs yet">
        <p>Each delivery of an event this app subscribes to runs it once; its runs appear here.</p>
      </EmptyState>
    );
  }
  return (
    <>
      <RunsTable runs={runs.data.items} canRunAgain={me.is_admin} />
      <nav className="pager" aria-label="Run pages">
        {cursor ? (
          <Link to={withCursor(null)} className="button">
            ← Newest runs
          </Link>
        ) : (
          <span />
        )}
        {runs.data.next_cursor && (
          <Link to={withCursor(runs.data.next_cursor)} className="button">
            Older runs →
          </Link>
        )}
      </nav>
    </>
  );
}

function RunsTable({ runs, canRunAgain }: { runs: AppRun[]; canRunAgain: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Runs</caption>
        <thead>
          <tr>
            <th scope="col">Delivery</th>
            <th scope="col">Repository</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Duration</th>
            <th scope="col">Error</th>
            {canRunAgain && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-delivery={r.delivery_id}>
              <td data-label="Delivery" className="cell-primary">
                <Link to={`/events/${r.delivery_id}`}>{eventName(r.event, r.action)}</Link>
                <div className="small muted">
                  <RelativeTime iso={r.created_at} />
                </div>
              </td>
              <td data-label="Repository">{r.repository ?? <span className="muted">none</span>}</td>
              <td data-label="Status">
                <RunStatus status={r.status} nextAttemptAt={r.next_attempt_at} />
              </td>
              <td data-label="Attempts">{r.attempts}</td>
              <td data-label="Duration">{ms(r.duration_ms)}</td>
              <td data-label="Error">{r.error ? <pre className="error-text run-error">{r.error}</pre> : <span className="muted">—</span>}</td>
              {canRunAgain && (
                <td data-label="Actions">
                  {UNSETTLED_RUN.has(r.status) ? <span className="muted small">in progress</span> : <RunAgainButton app={r.app} deliveryId={r.delivery_id} label={`Run again: ${r.app}, for ${eventName(r.event, r.action)} ${r.delivery_id}`} />}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FilterBar({ app, params, setParams }: { app: HostedApp; params: URLSearchParams; setParams: ReturnType<typeof useSearchParams>[1] }) {
  const [event, setEvent] = useState(params.get('event') ?? '');
  const [repository, setRepository] = useState(params.get('repository') ?? '');
  const status = params.get('status') ?? '';
  const time = useTimeRangeInputs(params);
  const [shown, setShown] = useState(false);

  // Keep the inputs in step when the URL changes (Back, a shared link, "Clear"), while rendering.
  const paramsKey = params.toString();
  const [syncedKey, setSyncedKey] = useState(paramsKey);
  if (syncedKey !== paramsKey) {
    setSyncedKey(paramsKey);
    setEvent(params.get('event') ?? '');
    setRepository(params.get('repository') ?? '');
    time.syncFrom(params);
  }

  const repos = useQuery({ queryKey: ['repository-names'], queryFn: () => api.get('/api/repositories', { query: { limit: 200 } }), staleTime: 60_000 });
  // The app's subscriptions, and the bare event names they belong to.
  const events = [...new Set(app.events.flatMap((e) => (e.includes('.') ? [e.split('.')[0]!, e] : [e])))].filter((e) => e !== '*');

  const apply = (changes: Record<string, string>) => setParams(withFilters(params, changes));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ event: event.trim(), repository: repository.trim(), ...time.submitted() });
  };
  const active = FILTER_KEYS.filter((k) => params.get(k)).length;

  return (
    <>
      <button type="button" className="button filters-toggle" aria-expanded={shown} aria-controls="run-filters" onClick={() => setShown((s) => !s)}>
        <SearchIcon /> {shown ? 'Hide filters' : 'Filters'}
        {active > 0 && <span className="tab-count">{active}</span>}
      </button>
      <form id="run-filters" className={`filters${shown ? ' shown' : ''}`} onSubmit={submit} role="search" aria-label="Filter runs">
        <div className="field narrow">
          <label htmlFor="r-status">Status</label>
          <select id="r-status" value={status} onChange={(e) => apply({ status: e.target.value })}>
            <option value="">Any status</option>
            {APP_RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="r-event">Event</label>
          <input id="r-event" list="r-event-list" placeholder="any, e.g. issues.opened" value={event} onChange={(e) => setEvent(e.target.value)} autoComplete="off" spellCheck={false} />
          <datalist id="r-event-list">
            {events.map((e) => (
              <option key={e} value={e} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="r-repository">Repository</label>
          <input id="r-repository" list="r-repository-list" placeholder="owner/name" value={repository} onChange={(e) => setRepository(e.target.value)} autoComplete="off" spellCheck={false} />
          <datalist id="r-repository-list">
            {repos.data?.items.map((r) => (
              <option key={r.id} value={r.full_name} />
            ))}
          </datalist>
        </div>
        <TimeRangeFields idPrefix="r" label="Run" inputs={time} apply={apply} />
        <div className="filter-actions">
          <button type="submit" className="button primary">
            Apply
          </button>
          {active > 0 && (
            <Link to={appPath(app.name)} className="button ghost">
              Clear
            </Link>
          )}
        </div>
      </form>
    </>
  );
}
