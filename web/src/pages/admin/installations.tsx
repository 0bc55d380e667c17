/** The GitHub App's installations, and reconciling them with GitHub now. */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useSetupStatus } from '../../auth/session';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { Callout, EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';

export function InstallationsPanel() {
  const setup = useSetupStatus();
  const installations = useQuery({ queryKey: ['installations'], queryFn: () => api.get('/api/installations', { query: { limit: 200 } }), refetchInterval: 30_000 });
  const [message, setMessage] = useState<{ tone: 'success' | 'danger'; text: string } | null>(null);
  const reconcile = useMutation({
    mutationFn: () => api.post('/api/admin/reconcile'),
    onSuccess: () => setMessage({ tone: 'success', text: 'Reconciliation queued: installations and repositories are being compared with GitHub.' }),
    onError: (e) => setMessage({ tone: 'danger', text: errorMessage(e) }),
  });
  const appUrl = setup.data?.app?.html_url;
  return (
    <Section
      title="Installations"
      description="Accounts and organizations the GitHub App is installed on."
      actions={
        <div className="row wrap">
          {appUrl && (
            <a className="button" href={`${appUrl}/installations/new`} target="_blank" rel="noreferrer">
              Install on another account
            </a>
          )}
          <button type="button" className="button" onClick={() => reconcile.mutate()} disabled={reconcile.isPending}>
            Reconcile with GitHub now
          </button>
        </div>
      }
    >
      {setup.data && !setup.data.configured && (
        <Callout tone="info" title="No GitHub App is connected">
          <a href="/setup">Run the setup wizard</a> to create one.
        </Callout>
      )}
      {message && (
        <Callout tone={message.tone} role={message.tone === 'danger' ? 'alert' : 'status'}>
          {message.text}
        </Callout>
      )}
      {installations.isPending ? (
        <Loading rows={3} />
      ) : installations.isError ? (
        <ErrorState error={installations.error} retry={() => void installations.refetch()} />
      ) : installations.data.items.length === 0 ? (
        <EmptyState title="No installations yet">
          <p>Install the GitHub App on an account or organization; it appears here with its first event.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table responsive">
            <caption className="visually-hidden">Installations</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Status</th>
                <th scope="col">Repositories</th>
                <th scope="col">Installation id</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {installations.data.items.map((i) => (
                <tr key={i.id}>
                  <td data-label="Account" className="cell-primary">
                    <strong>{i.account_login ?? '—'}</strong> <span className="muted small">{i.account_type}</span>
                  </td>
                  <td data-label="Status">
                    <Badge tone={i.status === 'active' ? 'success' : i.status === 'suspended' ? 'warning' : 'danger'}>{i.status}</Badge>
                  </td>
                  <td data-label="Repositories">
                    {i.repository_count} {i.repository_selection && <span className="muted small">({i.repository_selection})</span>}
                  </td>
                  <td data-label="Installation id">
                    <code>{i.github_id}</code> · <Link to={`/events?installation=${i.github_id}`}>events</Link>
                  </td>
                  <td data-label="Since">
                    <RelativeTime iso={i.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
