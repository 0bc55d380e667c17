/**
 * A repository: its health (activity chart, warnings, counts), its pull requests with their check
 * status, its issues, its recent events (live), its CI triage settings (administrators change them
 * there), and links to it on GitHub. The tab is in the URL.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { CheckSummary, IssueItem, PullItem } from '../api/types';
import { DailyChart } from '../components/daily-chart';
import { EventTable, LiveIndicator } from '../components/event-table';
import { ExternalIcon, IssueIcon, LockIcon, PullIcon } from '../components/icons';
import { PageHeader, Section } from '../components/page';
import { Stat } from '../components/stat';
import { Badge, IssueStateBadge, PullStateBadge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { LinkTabs, Segmented } from '../components/tabs';
import { RelativeTime } from '../components/time';
import { WarningChips } from '../components/warnings';
import { count, plural } from '../lib/format';
import { useEventFeed } from '../lib/use-event-feed';
import { TriageSettings } from './repository-triage-settings';

type Tab = 'pulls' | 'issues' | 'events';

export function RepositoryPage() {
  const { owner = '', name = '' } = useParams();
  const [params] = useSearchParams();
  const tab: Tab = (['pulls', 'issues', 'events'] as const).find((t) => t === params.get('tab')) ?? 'pulls';
  const fullName = `${owner}/${name}`;

  const health = useQuery({
    queryKey: ['repository-health', owner, name],
    queryFn: ({ signal }) => api.get('/api/overview/{owner}/{name}', { path: { owner, name }, signal }),
    refetchInterval: 30_000,
  });

  if (health.isPending) return <Loading rows={6} label="Loading the repository…" />;
  if (health.isError) {
    return (
      <>
        <PageHeader title={fullName} eyebrow={<Link to="/">Overview</Link>} />
        <ErrorState error={health.error} retry={() => void health.refetch()} />
      </>
    );
  }
  const r = health.data;
  const gh = r.html_url;
  const total14 = r.events_per_day.reduce((a, b) => a + b, 0);

  return (
    <>
      <PageHeader
        eyebrow={
          <nav aria-label="Breadcrumb" className="breadcrumb">
            <Link to="/">Overview</Link>
            <span aria-hidden="true">/</span>
            <span>{r.owner}</span>
          </nav>
        }
        title={
          <span className="title-with-badge">
            {r.name}
            {r.is_private && (
              <Badge>
                <LockIcon size={12} /> private
              </Badge>
            )}
            {r.is_archived && <Badge tone="warning">archived</Badge>}
            {r.is_deleted && <Badge tone="danger">deleted</Badge>}
          </span>
        }
        docTitle={fullName}
        subtitle={
          <>
            {r.description && <span>{r.description} · </span>}
            {r.language && <span>{r.language} · </span>}
            {r.default_branch && (
              <span>
                default branch <code>{r.default_branch}</code>
              </span>
            )}
          </>
        }
        actions={
          gh ? (
            <div className="link-row">
              <a className="button" href={gh} target="_blank" rel="noreferrer" aria-label="Open on GitHub">
                <ExternalIcon /> GitHub
              </a>
              <a className="button ghost" href={`${gh}/pulls`} target="_blank" rel="noreferrer" aria-label="Pull requests on GitHub">
                Pull requests
              </a>
              <a className="button ghost" href={`${gh}/issues`} target="_blank" rel="noreferrer" aria-label="Issues on GitHub">
                Issues
              </a>
              <a className="button ghost" href={`${gh}/actions`} target="_blank" rel="noreferrer" aria-label="Actions on GitHub">
                Actions
              </a>
            </div>
          ) : undefined
        }
      />

      <div className="stats">
        <Stat label="Last event" value={<RelativeTime iso={r.last_event_at} />} />
        <Stat label="Events, 14 days" value={count(total14)} to={`/events?repository=${encodeURIComponent(fullName)}`} />
        <Stat label="Open pull requests" value={count(r.open_pull_requests)} />
        <Stat label="Failing checks" value={count(r.failing_checks)} tone={r.failing_checks > 0 ? 'danger' : undefined} />
        <Stat label="Dead deliveries" value={count(r.dead_deliveries)} to={`/events?repository=${encodeURIComponent(fullName)}&status=dead`} tone={r.dead_deliveries > 0 ? 'danger' : undefined} />
      </div>

      <div className="two-col">
        <Section title="Activity" description="Events per day, last 14 days (UTC)">
          <div className="card">
            <DailyChart days={r.days} values={r.events_per_day} label={`Events per day for ${fullName}`} height={140} />
          </div>
        </Section>
        <Section title="Health">
          <div className="card">
            <WarningChips warnings={r.warnings} />
            <p className="muted small health-note">
              {plural(r.event_count, 'event')} received in all. Monitoring: {r.status}.
            </p>
          </div>
        </Section>
      </div>

      <LinkTabs
        label="Repository sections"
        current={tab}
        tabs={[
          { id: 'pulls', label: 'Pull requests', to: '?tab=pulls', count: r.open_pull_requests },
          { id: 'issues', label: 'Issues', to: '?tab=issues' },
          { id: 'events', label: 'Recent events', to: '?tab=events' },
        ]}
      />
      <div className="tab-panel">
        {tab === 'pulls' && <PullsTab owner={owner} name={name} htmlUrl={gh} />}
        {tab === 'issues' && <IssuesTab owner={owner} name={name} htmlUrl={gh} />}
        {tab === 'events' && <EventsTab fullName={fullName} />}
      </div>

      <TriageSettings owner={owner} name={name} />
    </>
  );
}

function PullsTab({ owner, name, htmlUrl }: { owner: string; name: string; htmlUrl: string | null }) {
  const [state, setState] = useState<'open' | 'closed' | 'merged' | 'all'>('open');
  const pulls = useInfiniteQuery({
    queryKey: ['pulls', owner, name, state],
    queryFn: ({ pageParam, signal }) => api.get('/api/repositories/{owner}/{name}/pulls', { path: { owner, name }, query: { state, limit: 30, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = useMemo(() => pulls.data?.pages.flatMap((p) => p.items) ?? [], [pulls.data]);
  const numbers = items.map((p) => p.number).slice(0, 100);
  const checks = useQuery({
    queryKey: ['check-summary', owner, name, numbers.join(',')],
    queryFn: ({ signal }) => api.get('/api/repositories/{owner}/{name}/check-summary', { path: { owner, name }, query: { numbers: numbers.join(',') }, signal }),
    enabled: numbers.length > 0,
  });
  const byNumber = new Map(checks.data?.items.map((c) => [c.number, c]));

  return (
    <>
      <div className="toolbar">
        <Segmented
          label="Pull request state"
          value={state}
          onChange={setState}
          options={[
            { value: 'open', label: 'Open' },
            { value: 'merged', label: 'Merged' },
            { value: 'closed', label: 'Closed' },
            { value: 'all', label: 'All' },
          ]}
        />
      </div>
      {pulls.isPending ? (
        <Loading rows={4} />
      ) : pulls.isError ? (
        <ErrorState error={pulls.error} retry={() => void pulls.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={state === 'all' ? 'No pull requests yet' : `No ${state} pull requests`} icon={<PullIcon size={28} />}>
          <p>Pull requests appear here from their webhook events{htmlUrl ? <> — or see them <a href={`${htmlUrl}/pulls`}>on GitHub</a></> : null}.</p>
        </EmptyState>
      ) : (
        <ul className="item-list">
          {items.map((p) => (
            <PullRow key={p.id} owner={owner} name={name} pull={p} checks={byNumber.get(p.number)} />
          ))}
        </ul>
      )}
      {pulls.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void pulls.fetchNextPage()} disabled={pulls.isFetchingNextPage}>
            {pulls.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

function CheckStatus({ c }: { c: CheckSummary | undefined }) {
  if (!c || c.state === null) return <span className="muted small">No checks</span>;
  const label =
    c.state === 'failure' ? `${c.failing} of ${c.total} failing` : c.state === 'pending' ? `${c.pending} of ${c.total} running` : c.state === 'success' ? `${c.passing} of ${c.total} passing` : `${c.total} neutral`;
  const tone = c.state === 'failure' ? 'danger' : c.state === 'pending' ? 'progress' : c.state === 'success' ? 'success' : 'neutral';
  return (
    <Badge tone={tone} dot>
      {label}
    </Badge>
  );
}

function PullRow({ owner, name, pull, checks }: { owner: string; name: string; pull: PullItem; checks: CheckSummary | undefined }) {
  return (
    <li className="item">
      <PullIcon size={18} className={`item-icon state-${pull.is_draft && pull.state === 'open' ? 'draft' : pull.state}`} />
      <div className="item-main">
        <Link to={`/repositories/${owner}/${name}/pulls/${pull.number}`} className="item-title">
          {pull.title}
        </Link>
        <div className="item-meta">
          #{pull.number}
          {pull.author && <> · {pull.author}</>}
          {pull.head_ref && (
            <>
              {' '}
              · <code>{pull.head_ref}</code> → <code>{pull.base_ref}</code>
            </>
          )}{' '}
          · updated <RelativeTime iso={pull.github_updated_at} fallback="—" />
        </div>
      </div>
      <div className="item-side">
        <PullStateBadge state={pull.state} draft={pull.is_draft} />
        <CheckStatus c={checks} />
      </div>
    </li>
  );
}

function IssuesTab({ owner, name, htmlUrl }: { owner: string; name: string; htmlUrl: string | null }) {
  const [state, setState] = useState<'open' | 'closed' | 'all'>('open');
  const issues = useInfiniteQuery({
    queryKey: ['issues', owner, name, state],
    queryFn: ({ pageParam, signal }) => api.get('/api/repositories/{owner}/{name}/issues', { path: { owner, name }, query: { state, limit: 30, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = issues.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="toolbar">
        <Segmented
          label="Issue state"
          value={state}
          onChange={setState}
          options={[
            { value: 'open', label: 'Open' },
            { value: 'closed', label: 'Closed' },
            { value: 'all', label: 'All' },
          ]}
        />
      </div>
      {issues.isPending ? (
        <Loading rows={4} />
      ) : issues.isError ? (
        <ErrorState error={issues.error} retry={() => void issues.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={state === 'all' ? 'No issues yet' : `No ${state} issues`} icon={<IssueIcon size={28} />}>
          <p>Issues appear here from their webhook events{htmlUrl ? <> — or see them <a href={`${htmlUrl}/issues`}>on GitHub</a></> : null}.</p>
        </EmptyState>
      ) : (
        <ul className="item-list">
          {items.map((i) => (
            <IssueRow key={i.id} issue={i} />
          ))}
        </ul>
      )}
      {issues.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void issues.fetchNextPage()} disabled={issues.isFetchingNextPage}>
            {issues.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

function IssueRow({ issue }: { issue: IssueItem }) {
  return (
    <li className="item">
      <IssueIcon size={18} className={`item-icon state-${issue.state}`} />
      <div className="item-main">
        {issue.html_url ? (
          <a href={issue.html_url} className="item-title" target="_blank" rel="noreferrer">
            {issue.title}
            <ExternalIcon size={12} className="inline-icon" />
          </a>
        ) : (
          <span className="item-title">{issue.title}</span>
        )}
        <div className="item-meta">
          #{issue.number}
          {issue.author && <> · {issue.author}</>} · updated <RelativeTime iso={issue.github_updated_at} fallback="—" />
          {issue.comments > 0 && <> · {plural(issue.comments, 'comment')}</>}
          {issue.assignees.length > 0 && <> · assigned to {issue.assignees.join(', ')}</>}
        </div>
        {issue.labels.length > 0 && (
          <ul className="labels" aria-label="Labels">
            {issue.labels.map((l) => (
              <li key={l} className="label-chip">
                {l}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="item-side">
        <IssueStateBadge state={issue.state} />
      </div>
    </li>
  );
}

function EventsTab({ fullName }: { fullName: string }) {
  const feed = useEventFeed({ repository: fullName }, undefined, { limit: 25 });
  return (
    <>
      <div className="feed-bar">
        <LiveIndicator state={feed.live} paused={feed.paused} waiting={feed.waiting} onToggle={() => feed.setPaused(!feed.paused)} />
        <Link to={`/events?repository=${encodeURIComponent(fullName)}`} className="button small ghost">
          Open in the event log
        </Link>
      </div>
      {feed.query.isPending ? (
        <Loading rows={5} />
      ) : feed.query.isError ? (
        <ErrorState error={feed.query.error} retry={() => void feed.query.refetch()} />
      ) : feed.rows.length === 0 ? (
        <EmptyState title="No events for this repository yet">
          <p>They appear here as GitHub sends them.</p>
        </EmptyState>
      ) : (
        <EventTable rows={feed.rows} fresh={feed.fresh} showRepository={false} />
      )}
    </>
  );
}
