/**
 * Mirrors: the repositories you can see that are copied to other forges, newest first, each with
 * its target, sync status, last sync, lag and error, and "Sync now" / "Retry".
 */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { MirrorItem } from '../api/types';
import { ReplayIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { SyncStatusBadge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading, errorMessage } from '../components/states';
import { RelativeTime } from '../components/time';
import { duration, plural } from '../lib/format';

type Outcome = { tone: 'success' | 'danger'; text: string };
const RETRYABLE = new Set(['failed', 'permanent_failure']);

/** "owner/name" → the path parameters of the mirror routes. */
export function repoPath(fullName: string): { owner: string; name: string } {
  const [owner = '', name = ''] = fullName.split('/');
  return { owner, name };
}

export function MirrorsPage() {
  const mirrors = useInfiniteQuery({
    queryKey: ['mirrors'],
    queryFn: ({ pageParam, signal }) => api.get('/api/mirror/repositories', { query: { limit: 50, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 15_000,
  });
  const items = useMemo(() => mirrors.data?.pages.flatMap((p) => p.items) ?? [], [mirrors.data]);

  return (
    <>
      <PageHeader title="Mirrors" subtitle="Repositories copied to other forges, newest first, with how up to date each copy is" />
      {mirrors.isPending ? (
        <Loading rows={5} label="Loading mirrors…" />
      ) : mirrors.isError ? (
        <ErrorState error={mirrors.error} retry={() => void mirrors.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No mirrors" icon={<ReplayIcon size={28} />}>
          <p>Repositories appear here once an administrator adds a mirror target and a rule that matches them.</p>
        </EmptyState>
      ) : (
        <MirrorsTable items={items} />
      )}
      {mirrors.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void mirrors.fetchNextPage()} disabled={mirrors.isFetchingNextPage}>
            {mirrors.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

function MirrorsTable({ items }: { items: MirrorItem[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Mirrored repositories</caption>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Last synced</th>
            <th scope="col">Lag</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <MirrorRow key={m.id} mirror={m} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MirrorRow({ mirror: m }: { mirror: MirrorItem }) {
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const params = repoPath(m.repository);
  const act = useMutation({
    mutationFn: (action: 'sync' | 'retry') =>
      action === 'sync'
        ? api.post('/api/mirror/repositories/{owner}/{name}/sync', { path: params, query: { target: m.target.id } })
        : api.post('/api/mirror/repositories/{owner}/{name}/retry', { path: params, query: { target: m.target.id } }),
    onSuccess: async (data, action) => {
      setOutcome(
        data.mirrors > 0
          ? { tone: 'success', text: `${action === 'sync' ? 'Sync' : 'Retry'} requested for ${plural(data.mirrors, 'mirror')}.` }
          : { tone: 'success', text: 'Nothing to do: the mirror is already queued.' },
      );
      await queryClient.invalidateQueries({ queryKey: ['mirrors'] });
    },
    onError: (e) => setOutcome({ tone: 'danger', text: errorMessage(e) }),
  });
  const logs = `/mirrors/${m.repository}/logs?target=${encodeURIComponent(m.target.name)}`;
  return (
    <tr>
      <td data-label="Repository" className="cell-primary">
        <Link to={`/repositories/${m.repository}`}>{m.repository}</Link>
        {m.repository_deleted && <span className="muted small"> (deleted on GitHub)</span>}
        {!m.is_active && <div className="muted small">Stopped{m.stopped_reason ? `: ${m.stopped_reason}` : ''}</div>}
        {m.error_message && (
          <div className="small text-danger">
            {m.error_code && <code className="mono">{m.error_code}</code>} {m.error_message}
          </div>
        )}
      </td>
      <td data-label="Target">
        <span className="strong">{m.target.name}</span> <span className="muted small">{m.target.kind}</span>
        <div className="small muted">
          {m.target_url ? (
            <a href={m.target_url} target="_blank" rel="noreferrer">
              {m.target_path}
            </a>
          ) : (
            m.target_path
          )}
        </div>
      </td>
      <td data-label="Status">
        <SyncStatusBadge status={m.sync_status} />
        {m.progress && <div className="small muted">{`${m.progress.step} · ${Math.round(m.progress.percent)}%`}</div>}
        {RETRYABLE.has(m.sync_status) && <div className="small muted">{`attempt ${m.retry_count} of ${m.max_retries}`}</div>}
      </td>
      <td data-label="Last synced">
        <RelativeTime iso={m.last_synced_at} fallback="never" />
      </td>
      <td data-label="Lag">{m.behind ? duration(m.lag_seconds) : <span className="muted">up to date</span>}</td>
      <td data-label="Actions">
        <div className="row wrap">
          {m.is_active && (
            <button type="button" className="button small" onClick={() => act.mutate('sync')} disabled={act.isPending}>
              Sync now
            </button>
          )}
          {m.is_active && RETRYABLE.has(m.sync_status) && (
            <button type="button" className="button small" onClick={() => act.mutate('retry')} disabled={act.isPending}>
              Retry
            </button>
          )}
          <Link to={logs} className="button small ghost" aria-label={`Sync log of ${m.repository} to ${m.target.name}`}>
            Sync log
          </Link>
        </div>
        {outcome && (
          <p className={`small ${outcome.tone === 'danger' ? 'text-danger' : 'muted'}`} role={outcome.tone === 'danger' ? 'alert' : 'status'}>
            {outcome.text}
          </p>
        )}
      </td>
    </tr>
  );
}
