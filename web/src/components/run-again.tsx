/**
 * "Run again": runs one hosted Probot app again for one delivery (POST /api/apps/:app/replay), then
 * refreshes what shows its runs; the pages poll while a run is queued or running.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ReplayIcon } from './icons';
import { Spinner, errorMessage } from './states';

/** Statuses a run leaves by itself: a page showing one follows it. */
export const UNSETTLED_RUN = new Set(['queued', 'running', 'retrying']);

export function RunAgainButton({ app, deliveryId, label }: { app: string; deliveryId: string; label: string }) {
  const queryClient = useQueryClient();
  const run = useMutation({
    mutationFn: () => api.post('/api/apps/{app}/replay', { path: { app }, body: { delivery_id: deliveryId } }),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['event-apps', deliveryId] }),
        queryClient.invalidateQueries({ queryKey: ['app-runs', app] }),
        queryClient.invalidateQueries({ queryKey: ['apps'] }),
      ]);
    },
  });
  return (
    <div className="run-again">
      <button type="button" className="button small" onClick={() => run.mutate()} disabled={run.isPending} aria-label={label}>
        {run.isPending ? <Spinner /> : <ReplayIcon />}
        Run again
      </button>
      {run.isSuccess && (
        <p className="small muted" role="status">
          Queued to run again.
        </p>
      )}
      {run.isError && (
        <p className="small text-danger" role="alert">
          {errorMessage(run.error)}
        </p>
      )}
    </div>
  );
}
