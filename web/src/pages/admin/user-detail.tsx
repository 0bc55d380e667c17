/** One account: role, active, password reset, and which installations it may see. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { useViewer } from '../../auth/session';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { Callout, ErrorState, Loading, Spinner, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { plural } from '../../lib/format';

export function UserDetailPanel() {
  const { id = '' } = useParams();
  const me = useViewer();
  const queryClient = useQueryClient();
  const user = useQuery({ queryKey: ['user', id], queryFn: () => api.get('/api/users/{id}', { path: { id } }) });
  const installations = useQuery({ queryKey: ['installations'], queryFn: () => api.get('/api/installations', { query: { limit: 200 } }) });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  /** Grants being changed: shown as asked for at once, until the server has answered. */
  const [pending, setPending] = useState<Record<number, boolean>>({});

  const done = async (message: string) => {
    setError(null);
    setNotice(message);
    await queryClient.invalidateQueries({ queryKey: ['user', id] });
    await queryClient.invalidateQueries({ queryKey: ['users'] });
  };
  const patch = useMutation({
    mutationFn: (body: { is_admin?: boolean; is_active?: boolean; password?: string }) => api.patch('/api/users/{id}', { path: { id }, body }),
    onSuccess: (_d, body) => done(body.password ? 'Password reset; their sessions were signed out.' : body.is_active === false ? 'Account deactivated; its sessions were signed out.' : 'Saved.'),
    onError: (e) => setError(errorMessage(e)),
  });
  const grant = useMutation({
    mutationFn: ({ installation, on }: { installation: number; on: boolean }) =>
      on ? api.put('/api/users/{id}/installations/{installation_id}', { path: { id, installation_id: installation } }) : api.delete('/api/users/{id}/installations/{installation_id}', { path: { id, installation_id: installation } }),
    onMutate: ({ installation, on }) => setPending((p) => ({ ...p, [installation]: on })),
    onSuccess: () => done('Access updated.'),
    onError: (e) => setError(errorMessage(e)),
    onSettled: (_d, _e, { installation }) =>
      setPending((p) => {
        const next = { ...p };
        delete next[installation];
        return next;
      }),
  });

  if (user.isPending) return <Loading rows={4} />;
  if (user.isError) return <ErrorState error={user.error} retry={() => void user.refetch()} />;
  const u = user.data;
  const self = me.user?.id === u.id;
  const resetPassword = (e: FormEvent) => {
    e.preventDefault();
    patch.mutate({ password });
    setPassword('');
  };

  return (
    <>
      <p>
        <Link to="/admin/users">← All users</Link>
      </p>
      <Section
        title={
          <span className="title-with-badge">
            {u.username} {u.is_admin && <Badge tone="info">admin</Badge>} {!u.is_active && <Badge tone="danger">deactivated</Badge>}
          </span>
        }
        description={
          <>
            {[u.name, u.email].filter(Boolean).join(' · ')} {u.name || u.email ? '· ' : ''}created <RelativeTime iso={u.created_at} /> · last active <RelativeTime iso={u.last_active_at} />
            {u.github_id !== null && (
              <>
                {' '}
                · access confirmed with GitHub <RelativeTime iso={u.access_checked_at} fallback="not yet" />
              </>
            )}{' '}
            · two-factor {u.is_2fa_enabled ? 'on' : 'off'}
          </>
        }
      >
        <div aria-live="polite">
          {error && (
            <Callout tone="danger" role="alert">
              {error}
            </Callout>
          )}
          {notice && !error && <Callout tone="success">{notice}</Callout>}
        </div>
        <div className="card">
          <div className="row wrap">
            <button type="button" className="button" disabled={patch.isPending || (self && u.is_admin)} onClick={() => patch.mutate({ is_admin: !u.is_admin })}>
              {u.is_admin ? 'Remove administrator role' : 'Make administrator'}
            </button>
            <button type="button" className={`button ${u.is_active ? 'danger-ghost' : ''}`} disabled={patch.isPending || self} onClick={() => patch.mutate({ is_active: !u.is_active })}>
              {u.is_active ? 'Deactivate' : 'Reactivate'}
            </button>
          </div>
          {self && <p className="muted small">You cannot remove your own role or deactivate yourself here.</p>}
          <form className="inline-form" onSubmit={resetPassword}>
            <div className="field grow">
              <label htmlFor="reset-password">New password</label>
              <input id="reset-password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </div>
            <button type="submit" className="button" disabled={patch.isPending || !password}>
              {patch.isPending && <Spinner />} Reset password
            </button>
          </form>
        </div>
      </Section>

      <Section title="Installations this user can see" description={u.is_admin ? 'Administrators see every installation.' : u.github_id ? 'Signing in with GitHub refreshes the ones they can reach on GitHub.' : 'Tick the installations whose repositories and events they may see.'}>
        {installations.isPending ? (
          <Loading rows={2} />
        ) : installations.isError ? (
          <ErrorState error={installations.error} retry={() => void installations.refetch()} />
        ) : installations.data.items.length === 0 ? (
          <p className="muted">No installations yet.</p>
        ) : (
          <ul className="check-list card">
            {installations.data.items.map((i) => {
              const on = pending[i.github_id] ?? u.installation_ids.includes(i.github_id);
              return (
                <li key={i.id}>
                  <label className="checkbox">
                    <input type="checkbox" checked={u.is_admin || on} disabled={u.is_admin || pending[i.github_id] !== undefined} onChange={(e) => grant.mutate({ installation: i.github_id, on: e.target.checked })} />
                    <span>
                      <strong>{i.account_login ?? `installation ${i.github_id}`}</strong> <span className="muted small">({plural(i.repository_count, 'repository', 'repositories')} · id {i.github_id})</span>
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
        )}
      </Section>
    </>
  );
}
