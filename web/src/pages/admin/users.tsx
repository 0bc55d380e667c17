/** Every account, and creating a local one. */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { EmptyState, ErrorState, Loading, Spinner, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';

function NewUserForm({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api.post('/api/users', { body: { username: username.trim(), password, is_admin: isAdmin, ...(email.trim() ? { email: email.trim() } : {}) } }),
    onSuccess: async (user) => {
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      navigate(`/admin/users/${user.id}`);
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="New user">
      <h3>New local account</h3>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <div className="form-grid">
        <div className="field">
          <label htmlFor="nu-username">Username</label>
          <input id="nu-username" required maxLength={39} autoComplete="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </div>
        <div className="field">
          <label htmlFor="nu-email">Email (optional)</label>
          <input id="nu-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="nu-password">Initial password</label>
          <input id="nu-password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="nu-password-help" />
          <p id="nu-password-help" className="field-help">
            Share it privately; they can change it on their Account page.
          </p>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
          Administrator (sees every installation, manages Switchyard)
        </label>
      </div>
      <div className="row">
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending && <Spinner />} Create account
        </button>
        <button type="button" className="button ghost" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function UsersPanel() {
  const [adding, setAdding] = useState(false);
  const users = useInfiniteQuery({
    queryKey: ['users'],
    queryFn: ({ pageParam, signal }) => api.get('/api/users', { query: { limit: 100, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Section
      title="Users"
      description="People who can sign in. Non-administrators see only the installations granted to them."
      actions={
        !adding && (
          <button type="button" className="button primary" onClick={() => setAdding(true)}>
            New user
          </button>
        )
      }
    >
      {adding && <NewUserForm onClose={() => setAdding(false)} />}
      {users.isPending ? (
        <Loading rows={4} />
      ) : users.isError ? (
        <ErrorState error={users.error} retry={() => void users.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No accounts yet" />
      ) : (
        <div className="table-wrap">
          <table className="table responsive">
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Two-factor</th>
                <th scope="col">Last active</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id} className={u.is_active ? undefined : 'row-muted'}>
                  <td data-label="User" className="cell-primary">
                    <Link to={`/admin/users/${u.id}`}>
                      <strong>{u.username}</strong>
                    </Link>
                    {(u.name || u.email) && <div className="muted small">{[u.name, u.email].filter(Boolean).join(' · ')}</div>}
                  </td>
                  <td data-label="Role">
                    <span className="row wrap">
                      {u.is_admin ? <Badge tone="info">admin</Badge> : <Badge>member</Badge>}
                      {!u.is_active && <Badge tone="danger">deactivated</Badge>}
                      {u.github_id && <Badge>GitHub</Badge>}
                    </span>
                  </td>
                  <td data-label="Two-factor">{u.is_2fa_enabled ? <Badge tone="success">on</Badge> : <span className="muted">off</span>}</td>
                  <td data-label="Last active">
                    <RelativeTime iso={u.last_active_at} />
                  </td>
                  <td data-label="Created">
                    <RelativeTime iso={u.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {users.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void users.fetchNextPage()}>
            Load more
          </button>
        </div>
      )}
    </Section>
  );
}
