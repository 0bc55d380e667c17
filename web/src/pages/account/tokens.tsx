/** Personal API tokens: create (the value is shown once), list, revoke. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { CopyButton } from '../../components/copy-button';
import { Section } from '../../components/page';
import { Callout, EmptyState, ErrorState, Loading, Spinner, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';

export function TokensSection() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => api.get('/api/me/tokens') });
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const create = useMutation({
    mutationFn: () => api.post('/api/me/tokens', { body: { name: name.trim(), ...(days ? { expires_in_days: Number(days) } : {}) } }),
    onSuccess: async (data) => {
      setCreated({ name: data.name, token: data.token });
      setName('');
      setError(null);
      await queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete('/api/me/tokens/{id}', { path: { id } }),
    onSuccess: async () => {
      setConfirming(null);
      await queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (e) => setError(errorMessage(e)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };

  return (
    <Section title="Personal API tokens" id="tokens" description={<>For scripts and the CLI: send <code>Authorization: Bearer &lt;token&gt;</code>. A token sees what you see.</>}>
      <div className="card">
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        {created && (
          <Callout tone="success" title={`Token “${created.name}” created`} role="status">
            <p>Copy it now: it is not shown again.</p>
            <p className="with-copy token-value">
              <code className="mono break" data-testid="new-token">
                {created.token}
              </code>
              <CopyButton text={created.token} label="Copy token" />
            </p>
            <button type="button" className="link-button" onClick={() => setCreated(null)}>
              Done
            </button>
          </Callout>
        )}
        <form className="inline-form" onSubmit={submit}>
          <div className="field grow">
            <label htmlFor="token-name">Token name</label>
            <input id="token-name" placeholder="e.g. deploy script" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="token-days">Expires</label>
            <select id="token-days" value={days} onChange={(e) => setDays(e.target.value)}>
              <option value="7">in 7 days</option>
              <option value="30">in 30 days</option>
              <option value="90">in 90 days</option>
              <option value="365">in a year</option>
              <option value="">never</option>
            </select>
          </div>
          <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
            {create.isPending && <Spinner />} Create token
          </button>
        </form>
        {tokens.isPending ? (
          <Loading rows={2} />
        ) : tokens.isError ? (
          <ErrorState error={tokens.error} retry={() => void tokens.refetch()} />
        ) : tokens.data.items.length === 0 ? (
          <EmptyState title="No tokens yet" />
        ) : (
          <ul className="item-list plain">
            {tokens.data.items.map((t) => (
              <li key={t.id} className="item">
                <div className="item-main">
                  <div className="item-title">
                    {t.name} <code className="muted">{t.token_hint}</code>
                  </div>
                  <div className="item-meta">
                    created <RelativeTime iso={t.created_at} /> · last used <RelativeTime iso={t.last_used_at} /> · {t.expires_at ? <>expires <RelativeTime iso={t.expires_at} /></> : 'never expires'}
                  </div>
                </div>
                <div className="item-side">
                  {confirming === t.id ? (
                    <span className="row">
                      <button type="button" className="button small danger" onClick={() => revoke.mutate(t.id)} disabled={revoke.isPending}>
                        Revoke
                      </button>
                      <button type="button" className="button small ghost" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="button small" onClick={() => setConfirming(t.id)} aria-label={`Revoke token ${t.name}`}>
                      Revoke
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Section>
  );
}
