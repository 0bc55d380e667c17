/** Missed-delivery recovery: what GitHub was asked to redeliver, what arrived, and each run. */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { Section } from '../../components/page';
import { Stat } from '../../components/stat';
import { Badge } from '../../components/status-badge';
import { Callout, EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { count, duration } from '../../lib/format';

export function RecoveryPanel() {
  const queryClient = useQueryClient();
  const runs = useInfiniteQuery({
    queryKey: ['recovery-runs'],
    queryFn: ({ pageParam, signal }) => api.get('/api/admin/recovery-runs', { query: { limit: 50, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 10_000,
  });
  const [message, setMessage] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const start = useMutation({
    mutationFn: () => api.post('/api/admin/recovery-runs'),
    onSuccess: async () => {
      setMessage({ tone: 'success', text: 'A recovery run is queued; it appears below when it starts.' });
      await queryClient.invalidateQueries({ queryKey: ['recovery-runs'] });
    },
    onError: (e) => setMessage({ tone: 'danger', text: errorMessage(e) }),
  });
  const totals = runs.data?.pages[0]?.totals;
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Section
      title="Missed deliveries"
      description="Switchyard compares GitHub’s delivery log with its own and asks GitHub to redeliver what never arrived."
      actions={
        <button type="button" className="button" onClick={() => start.mutate()} disabled={start.isPending}>
          Look for missed deliveries now
        </button>
      }
    >
      {message && (
        <Callout tone={message.tone} role={message.tone === 'danger' ? 'alert' : 'status'}>
          {message.text}
        </Callout>
      )}
      {runs.isPending ? (
        <Loading rows={4} />
      ) : runs.isError ? (
        <ErrorState error={runs.error} retry={() => void runs.refetch()} />
      ) : (
        <>
          {totals && (
            <div className="stats">
              <Stat label="Redeliveries requested" value={count(totals.requested)} />
              <Stat label="Arrived since" value={count(totals.arrived)} tone={totals.arrived > 0 ? 'success' : undefined} />
              <Stat label="Refused by GitHub" value={count(totals.failed)} tone={totals.failed > 0 ? 'danger' : undefined} />
            </div>
          )}
          {items.length === 0 ? (
            <EmptyState title="No recovery runs yet">
              <p>Runs happen on a schedule once a GitHub App is connected; start one now with the button above.</p>
            </EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table responsive">
            <caption className="visually-hidden">Recovery runs</caption>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">Trigger</th>
                    <th scope="col" className="num">
                      Scanned
                    </th>
                    <th scope="col" className="num">
                      Missing
                    </th>
                    <th scope="col" className="num">
                      Redelivered
                    </th>
                    <th scope="col">Took</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((r) => (
                    <tr key={r.id}>
                      <td data-label="Started">
                        <RelativeTime iso={r.started_at} />
                      </td>
                      <td data-label="Status">
                        <Badge tone={r.status === 'completed' || r.status === 'succeeded' ? 'success' : r.status === 'failed' ? 'danger' : 'progress'} title={r.error_message ?? undefined}>
                          {r.status}
                        </Badge>
                        {r.error_message && <div className="small text-danger">{r.error_message}</div>}
                      </td>
                      <td data-label="Trigger">{r.trigger}</td>
                      <td data-label="Scanned" className="num">
                        {count(r.scanned)}
                      </td>
                      <td data-label="Missing" className="num">
                        {count(r.missing)}
                      </td>
                      <td data-label="Redelivered" className="num">
                        {count(r.redelivered)}
                      </td>
                      <td data-label="Took">{r.finished_at ? duration((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000) : <span className="muted">running</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {runs.hasNextPage && (
            <div className="load-more">
              <button type="button" className="button" onClick={() => void runs.fetchNextPage()}>
                Load more
              </button>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
