/** A pull request: its check runs (conclusion, duration, links) and the timeline of its state changes. */
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { CheckRun, PullDetail } from '../api/types';
import { ExternalIcon } from '../components/icons';
import { PageHeader, Section } from '../components/page';
import { Badge, CheckBadge, PullStateBadge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { absoluteTime, duration } from '../lib/format';

const FAILING = new Set(['failure', 'timed_out', 'action_required']);

/** The newest run of each check on the head commit first; older runs and other commits after. */
function splitRuns(pr: PullDetail): { current: CheckRun[]; older: CheckRun[] } {
  const latest = new Map<string, CheckRun>();
  const older: CheckRun[] = [];
  const onHead = pr.check_runs.filter((c) => c.head_sha === pr.head_sha);
  for (const c of onHead) {
    const seen = latest.get(c.name);
    if (!seen || c.github_id > seen.github_id) {
      if (seen) older.push(seen);
      latest.set(c.name, c);
    } else older.push(c);
  }
  const rank = (c: CheckRun) => (c.status !== 'completed' ? 1 : c.conclusion && FAILING.has(c.conclusion) ? 0 : 2);
  const current = [...latest.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { current, older: [...older, ...pr.check_runs.filter((c) => c.head_sha !== pr.head_sha)] };
}

function ChecksTable({ runs, caption }: { runs: CheckRun[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Duration</th>
            <th scope="col">Started</th>
            <th scope="col">Commit</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((c) => (
            <tr key={c.id}>
              <td data-label="Check" className="cell-primary">
                {c.html_url || c.details_url ? (
                  <a href={(c.html_url ?? c.details_url)!} target="_blank" rel="noreferrer">
                    {c.name}
                    <ExternalIcon size={12} className="inline-icon" />
                  </a>
                ) : (
                  c.name
                )}
                {c.status === 'completed' && c.conclusion && FAILING.has(c.conclusion) && (
                  <div className="small">
                    <Link to={`/checks/${c.github_id}`}>Diagnosis</Link>
                  </div>
                )}
                {c.app_slug && <div className="muted small">{c.app_slug}</div>}
                {c.output_title && <div className="small">{c.output_title}</div>}
              </td>
              <td data-label="Result">
                <CheckBadge status={c.status} conclusion={c.conclusion} />
              </td>
              <td data-label="Duration">{c.duration_seconds != null ? duration(c.duration_seconds) : c.started_at && c.status !== 'completed' ? <span className="muted">running</span> : '—'}</td>
              <td data-label="Started">
                <RelativeTime iso={c.started_at} fallback="—" />
              </td>
              <td data-label="Commit">
                <code className="mono muted">{c.head_sha.slice(0, 7)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PullRequestPage() {
  const { owner = '', name = '', number = '' } = useParams();
  const n = Number(number);
  const query = useQuery({
    queryKey: ['pull', owner, name, n],
    queryFn: ({ signal }) => api.get('/api/repositories/{owner}/{name}/pulls/{number}', { path: { owner, name, number: n }, signal }),
    enabled: Number.isInteger(n) && n > 0,
    refetchInterval: (q) => (q.state.data?.check_runs.some((c) => c.status !== 'completed') ? 10_000 : 60_000),
  });
  const repoLink = `/repositories/${owner}/${name}`;
  const crumbs = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/">Overview</Link>
      <span aria-hidden="true">/</span>
      <Link to={repoLink}>
        {owner}/{name}
      </Link>
      <span aria-hidden="true">/</span>
      <Link to={`${repoLink}?tab=pulls`}>Pull requests</Link>
    </nav>
  );

  if (!Number.isInteger(n) || n <= 0) return <ErrorState error={new Error(`“${number}” is not a pull request number`)} />;
  if (query.isPending) return <Loading rows={6} label="Loading the pull request…" />;
  if (query.isError) {
    return (
      <>
        <PageHeader title={`#${number}`} eyebrow={crumbs} />
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      </>
    );
  }
  const pr = query.data;
  const { current, older } = splitRuns(pr);
  const failing = current.filter((c) => c.status === 'completed' && c.conclusion && FAILING.has(c.conclusion)).length;
  const running = current.filter((c) => c.status !== 'completed').length;
  const passing = current.filter((c) => c.conclusion === 'success').length;

  return (
    <>
      <PageHeader
        eyebrow={crumbs}
        title={
          <span className="title-with-badge">
            {pr.title} <span className="muted">#{pr.number}</span>
          </span>
        }
        docTitle={`${pr.title} #${pr.number}`}
        subtitle={
          <span className="row wrap">
            <PullStateBadge state={pr.state} draft={pr.is_draft} />
            {pr.author && <span>{pr.author}</span>}
            {pr.head_ref && (
              <span>
                wants to merge <code>{pr.head_ref}</code> into <code>{pr.base_ref}</code>
              </span>
            )}
            {pr.github_updated_at && (
              <span className="muted">
                updated <RelativeTime iso={pr.github_updated_at} />
              </span>
            )}
          </span>
        }
        actions={
          pr.html_url ? (
            <a className="button" href={pr.html_url} target="_blank" rel="noreferrer">
              <ExternalIcon /> Open on GitHub
            </a>
          ) : undefined
        }
      />

      <Section
        title="Checks"
        id="checks"
        description={
          current.length > 0 ? (
            <span className="row wrap">
              {failing > 0 && <Badge tone="danger">{failing} failing</Badge>}
              {running > 0 && <Badge tone="progress">{running} running</Badge>}
              {passing > 0 && <Badge tone="success">{passing} passing</Badge>}
              {pr.head_sha && (
                <span className="muted">
                  on <code>{pr.head_sha.slice(0, 7)}</code>
                </span>
              )}
            </span>
          ) : undefined
        }
      >
        {current.length === 0 && older.length === 0 ? (
          <EmptyState title="No check runs">
            <p>Check runs on this pull request’s head commit appear here from their <code>check_run</code> events.</p>
          </EmptyState>
        ) : current.length === 0 ? (
          <EmptyState title="No checks on the head commit yet" />
        ) : (
          <ChecksTable runs={current} caption="Check runs on the head commit" />
        )}
        {older.length > 0 && (
          <details className="disclosure older-runs">
            <summary>Earlier runs and earlier commits ({older.length})</summary>
            <ChecksTable runs={older} caption="Earlier check runs" />
          </details>
        )}
      </Section>

      <Section title="History" id="history" description="Every change of state, and the delivery that caused it">
        {pr.state_history.length === 0 ? (
          <EmptyState title="No state changes recorded" />
        ) : (
          <ol className="timeline">
            {pr.state_history.map((h, i) => (
              <li key={i} className={`timeline-item state-${h.to_state}`}>
                <span className="timeline-dot" aria-hidden="true" />
                <div className="timeline-body">
                  <div>
                    <strong>{h.from_state ? `${h.from_state} → ${h.to_state}` : h.to_state}</strong>
                    {h.actor && <> by {h.actor}</>} <code className="muted">{h.trigger}</code>
                  </div>
                  <div className="muted small">
                    <time dateTime={h.occurred_at} title={absoluteTime(h.occurred_at)}>
                      {absoluteTime(h.occurred_at)}
                    </time>
                    {h.delivery_id && (
                      <>
                        {' '}
                        · <Link to={`/events/${encodeURIComponent(h.delivery_id)}`}>delivery</Link>
                      </>
                    )}
                  </div>
                </div>
              </li>
            ))}
          </ol>
        )}
      </Section>
    </>
  );
}
