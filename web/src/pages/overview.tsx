/**
 * Overview: every repository the viewer may see, with its health at a glance — last event,
 * events per day for 14 days, open pull requests, failing checks and warnings — and the totals of
 * the viewer's deliveries. Sort and search are kept in the URL.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { OverviewItem } from '../api/types';
import { useSetupStatus, useViewer } from '../auth/session';
import { DailyChart } from '../components/daily-chart';
import { LockIcon, SearchIcon } from '../components/icons';
import { PageHeader, Section } from '../components/page';
import { Sparkline } from '../components/sparkline';
import { Stat } from '../components/stat';
import { Badge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { Segmented } from '../components/tabs';
import { RelativeTime } from '../components/time';
import { WarningChips } from '../components/warnings';
import { count } from '../lib/format';

type Sort = 'attention' | 'recent' | 'name';
const SEVERITY = { critical: 3, warning: 2, info: 1 } as const;

function attention(r: OverviewItem): number {
  return Math.max(0, ...r.warnings.map((w) => SEVERITY[w.severity])) + (r.failing_checks > 0 ? 1.5 : 0) - (r.is_deleted ? 10 : 0);
}

function sortRepos(items: OverviewItem[], sort: Sort): OverviewItem[] {
  const recent = (a: OverviewItem, b: OverviewItem) => (b.last_event_at ?? '').localeCompare(a.last_event_at ?? '');
  const copy = [...items];
  if (sort === 'name') return copy.sort((a, b) => a.full_name.localeCompare(b.full_name));
  if (sort === 'recent') return copy.sort(recent);
  return copy.sort((a, b) => attention(b) - attention(a) || recent(a, b));
}

export function OverviewPage() {
  const me = useViewer();
  const setup = useSetupStatus();
  const [params, setParams] = useSearchParams();
  const sort = (['attention', 'recent', 'name'].includes(params.get('sort') ?? '') ? params.get('sort') : 'attention') as Sort;
  const search = params.get('q') ?? '';

  const query = useInfiniteQuery({
    queryKey: ['overview'],
    queryFn: ({ pageParam, signal }) => api.get('/api/overview', { query: { limit: 100, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 30_000,
  });

  const first = query.data?.pages[0];
  const all = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return sortRepos(needle ? all.filter((r) => r.full_name.toLowerCase().includes(needle)) : all, sort);
  }, [all, search, sort]);
  const totals = useMemo(() => (first ? first.days.map((_, i) => all.reduce((n, r) => n + (r.events_per_day[i] ?? 0), 0)) : []), [first, all]);

  const set = (key: string, value: string | null) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  return (
    <>
      <PageHeader title="Overview" subtitle={me.is_admin ? 'Every repository of every installation' : 'The repositories of the installations you can see'} />
      {query.isPending ? (
        <Loading rows={6} />
      ) : query.isError ? (
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      ) : (
        <>
          <div className="stats" aria-label="Deliveries">
            <Stat label="Deliveries today" value={count(first!.summary.today)} to="/events" />
            <Stat label="Last 24 hours" value={count(first!.summary.last_24h)} to="/events?range=24h" />
            <Stat label="Failing, retrying" value={count(first!.summary.failing)} to="/events?status=failed" tone={first!.summary.failing > 0 ? 'warning' : undefined} />
            <Stat label="Dead" value={count(first!.summary.dead)} to="/events?status=dead" tone={first!.summary.dead > 0 ? 'danger' : undefined} hint={first!.summary.dead > 0 ? 'Replay them' : undefined} />
            <Stat label="Waiting to process" value={count(first!.summary.pending)} />
          </div>

          {all.length === 0 ? (
            <NoRepositories isAdmin={me.is_admin} noInstallations={me.installation_ids?.length === 0} setupUrl={setup.data && !setup.data.configured ? '/setup' : null} installUrl={setup.data?.app?.html_url ? `${setup.data.app.html_url}/installations/new` : null} />
          ) : (
            <>
              <Section title="Activity" description="Events received per day over the last 14 days (UTC), all repositories below">
                <div className="card">
                  <DailyChart days={first!.days} values={totals} label="Events per day" />
                </div>
              </Section>
              <Section
                title={`Repositories (${count(all.length)}${query.hasNextPage ? '+' : ''})`}
                actions={
                  <div className="toolbar">
                    <label className="search-field">
                      <SearchIcon />
                      <span className="visually-hidden">Find a repository</span>
                      <input type="search" placeholder="Find a repository" value={search} onChange={(e) => set('q', e.target.value || null)} />
                    </label>
                    <Segmented
                      label="Sort repositories"
                      value={sort}
                      onChange={(v) => set('sort', v === 'attention' ? null : v)}
                      options={[
                        { value: 'attention', label: 'Needs attention' },
                        { value: 'recent', label: 'Recent' },
                        { value: 'name', label: 'Name' },
                      ]}
                    />
                  </div>
                }
              >
                {shown.length === 0 ? (
                  <EmptyState title="No repository matches">Nothing is named like “{search}”.</EmptyState>
                ) : (
                  <RepositoryTable items={shown} days={first!.days} />
                )}
                {query.hasNextPage && (
                  <div className="load-more">
                    <button type="button" className="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                      {query.isFetchingNextPage ? 'Loading…' : 'Load more repositories'}
                    </button>
                  </div>
                )}
              </Section>
            </>
          )}
        </>
      )}
    </>
  );
}

function RepositoryTable({ items, days }: { items: OverviewItem[]; days: string[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive repo-table">
        <caption className="visually-hidden">Repositories</caption>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Health</th>
            <th scope="col">Last event</th>
            <th scope="col">14 days</th>
            <th scope="col" className="num">
              Open PRs
            </th>
            <th scope="col" className="num">
              Failing checks
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id} className={r.is_deleted ? 'row-muted' : undefined}>
              <td data-label="Repository" className="cell-primary">
                <div className="repo-name">
                  <Link to={`/repositories/${r.owner}/${r.name}`}>
                    <span className="repo-owner">{r.owner}/</span>
                    <strong>{r.name}</strong>
                  </Link>
                  {r.is_private && (
                    <span className="icon-label" title="Private">
                      <LockIcon size={13} />
                      <span className="visually-hidden">private</span>
                    </span>
                  )}
                  {r.is_archived && <Badge>archived</Badge>}
                  {r.is_deleted && <Badge tone="danger">deleted</Badge>}
                </div>
                {r.description && <div className="repo-description">{r.description}</div>}
              </td>
              <td data-label="Health">
                <WarningChips warnings={r.warnings} compact />
              </td>
              <td data-label="Last event">
                <RelativeTime iso={r.last_event_at} />
              </td>
              <td data-label="14 days">
                <Sparkline values={r.events_per_day} days={days} label={`Events per day for ${r.full_name}`} />
              </td>
              <td data-label="Open PRs" className="num">
                {r.open_pull_requests > 0 ? <Link to={`/repositories/${r.owner}/${r.name}?tab=pulls`}>{count(r.open_pull_requests)}</Link> : <span className="muted">0</span>}
              </td>
              <td data-label="Failing checks" className="num">
                {r.failing_checks > 0 ? <span className="text-danger strong">{count(r.failing_checks)}</span> : <span className="muted">0</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoRepositories({ isAdmin, noInstallations, setupUrl, installUrl }: { isAdmin: boolean; noInstallations: boolean; setupUrl: string | null; installUrl: string | null }) {
  if (setupUrl && isAdmin) {
    return (
      <EmptyState title="Connect Switchyard to GitHub" action={<a className="button primary" href={setupUrl}>Run the setup wizard</a>}>
        <p>No GitHub App is connected yet. The wizard creates one on your account or organization in a minute; once it is installed, repositories appear here with their first event.</p>
      </EmptyState>
    );
  }
  if (noInstallations && !isAdmin) {
    return (
      <EmptyState title="Nothing shared with you yet">
        <p>You can see the repositories of the installations an administrator gives you access to (or, signed in with GitHub, those you can reach on GitHub). Ask an administrator to grant you one.</p>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No repositories yet" action={installUrl ? <a className="button primary" href={installUrl}>Install the App on repositories</a> : undefined}>
      <p>Repositories appear here as soon as the GitHub App is installed on them or sends their first event.</p>
      <p>
        Deliveries so far are in the <Link to="/events">event log</Link>.
      </p>
    </EmptyState>
  );
}
