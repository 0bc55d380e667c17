/** Where the person is signed in, and revoking a session (this one signs out). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { ErrorState, Loading, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { describeUserAgent } from '../../lib/format';

export function SessionsSection() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api.get('/api/me/sessions') });
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete('/api/me/sessions/{id}', { path: { id } }),
    onSuccess: async (_d, id) => {
      setConfirming(null);
      const current = sessions.data?.items.find((s) => s.id === id)?.current;
      if (current) {
        queryClient.clear();
        queryClient.setQueryData(ME_KEY, null);
        navigate('/sign-in', { replace: true });
        return;
      }
      await queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
    onError: (e) => setError(errorMessage(e)),
  });

  return (
    <Section title="Sessions" id="sessions" description="Browsers signed in to your account. Revoke any you do not recognise.">
      <div className="card flush">
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        {sessions.isPending ? (
          <Loading rows={2} />
        ) : sessions.isError ? (
          <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
        ) : (
          <ul className="item-list plain">
            {sessions.data.items.map((s) => (
              <li key={s.id} className="item">
                <div className="item-main">
                  <div className="item-title">
                    {describeUserAgent(s.user_agent)} {s.current && <Badge tone="success">this session</Badge>}
                  </div>
                  <div className="item-meta">
                    {s.ip ?? 'unknown address'} · signed in with {s.method} <RelativeTime iso={s.created_at} /> · last seen <RelativeTime iso={s.last_seen_at} />
                  </div>
                </div>
                <div className="item-side">
                  {confirming === s.id ? (
                    <span className="row">
                      <button type="button" className="button small danger" onClick={() => revoke.mutate(s.id)} disabled={revoke.isPending}>
                        {s.current ? 'Sign out' : 'Revoke'}
                      </button>
                      <button type="button" className="button small ghost" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="button small" onClick={() => setConfirming(s.id)} aria-label={`Revoke the session of ${describeUserAgent(s.user_agent)} from ${s.ip ?? 'an unknown address'}`}>
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
