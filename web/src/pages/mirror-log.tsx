/**
 * The sync log of one mirrored repository, newest first: each step of each sync (clone, push,
 * repository created, completed, failed, retried) with its time, duration, size and error code.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { SyncLogItem } from '../api/types';
import { PageHeader } from '../components/page';
import { Badge, type Tone } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { bytes, duration } from '../lib/format';

function eventTone(event: string): Tone {
  if (event === 'sync_completed' || event.endsWith('_completed') || event === 'onedev_repo_created') return 'success';
  if (event.endsWith('_failed')) return 'danger';
  if (event === 'retry_attempted') return 'warning';
  if (event.endsWith('_started')) return 'progress';
  return 'neutral';
}

function EventBadge({ event }: { event: string }) {
  return <Badge tone={eventTone(event)}>{event.replaceAll('_', ' ')}</Badge>;
}

export function MirrorLogPage() {
  const { owner = '', name = '' } = useParams();
  const [params] = useSearchParams();
  const target = params.get('target') ?? undefined;
  const fullName = `${owner}/${name}`;
  const logs = useInfiniteQuery({
    queryKey: ['mirror-logs', fullName, target],
    queryFn: ({ pageParam, signal }) => api.get('/api/mirror/repositories/{owner}/{name}/logs', { path: { owner, name }, query: { target, limit: 100, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 15_000,
  });
  const items = useMemo(() => logs.data?.pages.flatMap((p) => p.items) ?? [], [logs.data]);
  const crumbs = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/mirrors">Mirrors</Link>
      <span aria-hidden="true">/</span>
      <Link to={`/repositories/${fullName}`}>{fullName}</Link>
    </nav>
  );

  return (
    <>
      <PageHeader eyebrow={crumbs} title="Sync log" docTitle={`Sync log · ${fullName}`} subtitle={target ? `${fullName} to ${target}, newest first` : `${fullName}, newest first`} />
      {logs.isPending ? (
        <Loading rows={6} label="Loading the sync log…" />
      ) : logs.isError ? (
        <ErrorState error={logs.error} retry={() => void logs.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No syncs yet">
          <p>Each sync of this repository records its steps here.</p>
        </EmptyState>
      ) : (
        <LogTable items={items} />
      )}
      {logs.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void logs.fetchNextPage()} disabled={logs.isFetchingNextPage}>
            {logs.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

function LogTable({ items }: { items: SyncLogItem[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Sync log</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Target</th>
            <th scope="col">Duration</th>
            <th scope="col">Transferred</th>
            <th scope="col">Error</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {items.map((l) => (
            <tr key={l.id}>
              <td data-label="Event" className="cell-primary">
                <EventBadge event={l.event} />
                {l.message && <div className="small">{l.message}</div>}
              </td>
              <td data-label="Target">{l.target}</td>
              <td data-label="Duration">{l.duration_ms != null ? duration(l.duration_ms / 1000) : <span className="muted">—</span>}</td>
              <td data-label="Transferred">{l.bytes_transferred != null ? bytes(l.bytes_transferred) : <span className="muted">—</span>}</td>
              <td data-label="Error">{l.error_code ? <code className="mono text-danger">{l.error_code}</code> : <span className="muted">—</span>}</td>
              <td data-label="When">
                <RelativeTime iso={l.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
