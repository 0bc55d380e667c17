/**
 * Failing checks: failed check runs across the repositories you can see, newest first, each with
 * the category of its diagnosis and what to do about it. The repository filter is in the URL.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { FailingCheck } from '../api/types';
import { CheckIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { CheckBadge } from '../components/status-badge';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { actionLabel, CategoryBadge } from '../components/triage';

export function FailingChecksPage() {
  const [params, setParams] = useSearchParams();
  const repository = params.get('repository') ?? '';
  const [draft, setDraft] = useState(repository);
  // The input follows the URL (Back, a shared link): adjusted while rendering, not in an effect.
  const [draftFor, setDraftFor] = useState(repository);
  if (draftFor !== repository) {
    setDraftFor(repository);
    setDraft(repository);
  }
  const repos = useQuery({ queryKey: ['repository-names'], queryFn: () => api.get('/api/repositories', { query: { limit: 200 } }), staleTime: 60_000 });

  const checks = useInfiniteQuery({
    queryKey: ['failing-checks', repository],
    queryFn: ({ pageParam, signal }) => api.get('/api/checks', { query: { conclusion: 'failed', repository: repository || undefined, limit: 50, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 60_000,
  });
  const items = useMemo(() => checks.data?.pages.flatMap((p) => p.items) ?? [], [checks.data]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams(params);
    if (draft.trim()) next.set('repository', draft.trim());
    else next.delete('repository');
    setParams(next);
  };

  return (
    <>
      <PageHeader title="Failing checks" subtitle="Failed check runs across your repositories, newest first, with what Switchyard found in their logs" />
      <form className="filters" onSubmit={submit} role="search" aria-label="Filter failing checks">
        <div className="field">
          <label htmlFor="c-repository">Repository</label>
          <input id="c-repository" list="c-repository-list" placeholder="owner/name" value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" spellCheck={false} />
          <datalist id="c-repository-list">
            {repos.data?.items.map((r) => (
              <option key={r.id} value={r.full_name} />
            ))}
          </datalist>
        </div>
        <div className="filter-actions">
          <button type="submit" className="button primary">
            Apply
          </button>
          {repository && (
            <Link to="/checks" className="button ghost">
              Clear
            </Link>
          )}
        </div>
      </form>

      {checks.isPending ? (
        <Loading rows={5} label="Loading failing checks…" />
      ) : checks.isError ? (
        <ErrorState error={checks.error} retry={() => void checks.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={repository ? `No failing checks in ${repository}` : 'No failing checks'} icon={<CheckIcon size={28} />}>
          <p>Check runs that fail (failure, timed out or action required) appear here with their diagnosis.</p>
        </EmptyState>
      ) : (
        <FailingChecksTable items={items} />
      )}
      {checks.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void checks.fetchNextPage()} disabled={checks.isFetchingNextPage}>
            {checks.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}

function FailingChecksTable({ items }: { items: FailingCheck[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Failing check runs</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Repository</th>
            <th scope="col">Pull request</th>
            <th scope="col">Category</th>
            <th scope="col">What to do</th>
            <th scope="col">Completed</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.github_id}>
              <td data-label="Check" className="cell-primary">
                <Link to={`/checks/${c.github_id}`}>{c.name}</Link>
                <div className="row wrap small">
                  <CheckBadge status={c.status} conclusion={c.conclusion} />
                  <code className="mono muted">{c.head_sha.slice(0, 7)}</code>
                </div>
              </td>
              <td data-label="Repository">
                <Link to={`/repositories/${c.repository}`}>{c.repository}</Link>
              </td>
              <td data-label="Pull request">{c.pull_request != null ? <Link to={`/repositories/${c.repository}/pulls/${c.pull_request}`}>#{c.pull_request}</Link> : <span className="muted">—</span>}</td>
              <td data-label="Category">
                <CategoryBadge category={c.category} />
              </td>
              <td data-label="What to do">{c.recommended_action ? actionLabel(c.recommended_action) : <span className="muted">—</span>}</td>
              <td data-label="Completed">
                <RelativeTime iso={c.completed_at} fallback="—" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
