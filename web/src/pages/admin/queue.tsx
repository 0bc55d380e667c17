/** The job queue: depth, running, retrying and dead jobs per job name, and retrying dead ones. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { Section } from '../../components/page';
import { Stat } from '../../components/stat';
import { Callout, EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { count, plural } from '../../lib/format';

export function QueuePanel() {
  const queryClient = useQueryClient();
  const queue = useQuery({ queryKey: ['queue'], queryFn: () => api.get('/api/admin/queue'), refetchInterval: 3_000 });
  const [message, setMessage] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const retry = useMutation({
    mutationFn: (name?: string) => api.post('/api/admin/queue/retry-dead', { body: name ? { name } : {} }),
    onSuccess: async (data, name) => {
      setMessage({ tone: 'success', text: `${plural(data.retried, 'dead job')}${name ? ` of ${name}` : ''} queued again.` });
      await queryClient.invalidateQueries({ queryKey: ['queue'] });
    },
    onError: (e) => setMessage({ tone: 'danger', text: errorMessage(e) }),
  });

  return (
    <Section
      title="Job queue"
      description={queue.data ? `Background work, per job name (${queue.data.kind === 'sqlite' ? 'embedded queue' : 'pg-boss on PostgreSQL'}). Refreshes every few seconds.` : 'Background work, per job name.'}
      actions={
        queue.data && queue.data.totals.dead > 0 ? (
          <button type="button" className="button primary" onClick={() => retry.mutate(undefined)} disabled={retry.isPending}>
            Retry all dead jobs
          </button>
        ) : undefined
      }
    >
      {message && (
        <Callout tone={message.tone} role={message.tone === 'danger' ? 'alert' : 'status'}>
          {message.text}
        </Callout>
      )}
      {queue.isPending ? (
        <Loading rows={4} />
      ) : queue.isError ? (
        <ErrorState error={queue.error} retry={() => void queue.refetch()} />
      ) : (
        <>
          <div className="stats">
            <Stat label="Queued" value={count(queue.data.totals.queued)} />
            <Stat label="Running" value={count(queue.data.totals.running)} />
            <Stat label="Retrying" value={count(queue.data.totals.retrying)} tone={queue.data.totals.retrying > 0 ? 'warning' : undefined} />
            <Stat label="Dead" value={count(queue.data.totals.dead)} tone={queue.data.totals.dead > 0 ? 'danger' : undefined} />
          </div>
          {queue.data.items.length === 0 ? (
            <EmptyState title="No jobs yet" />
          ) : (
            <div className="table-wrap">
              <table className="table responsive">
            <caption className="visually-hidden">Jobs</caption>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col" className="num">
                      Queued
                    </th>
                    <th scope="col" className="num">
                      Running
                    </th>
                    <th scope="col" className="num">
                      Retrying
                    </th>
                    <th scope="col" className="num">
                      Dead
                    </th>
                    <th scope="col">Last error</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {queue.data.items.map((q) => (
                    <tr key={q.name}>
                      <td data-label="Job" className="cell-primary">
                        <code>{q.name}</code>
                      </td>
                      <td data-label="Queued" className="num">
                        {count(q.queued)}
                      </td>
                      <td data-label="Running" className="num">
                        {count(q.running)}
                      </td>
                      <td data-label="Retrying" className="num">
                        {q.retrying > 0 ? <span className="text-warning strong">{count(q.retrying)}</span> : 0}
                      </td>
                      <td data-label="Dead" className="num">
                        {q.dead > 0 ? <span className="text-danger strong">{count(q.dead)}</span> : 0}
                      </td>
                      <td data-label="Last error">{q.last_error ? <code className="error-snippet" title={q.last_error}>{q.last_error}</code> : <span className="muted">—</span>}</td>
                      <td data-label="">
                        {q.dead > 0 && (
                          <button type="button" className="button small" onClick={() => retry.mutate(q.name)} disabled={retry.isPending}>
                            Retry {count(q.dead)} dead
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
