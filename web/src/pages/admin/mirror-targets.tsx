/** Mirror targets: the forges copies go to, how many mirrors each has, testing a connection, adding a target and its rules. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import type { ConnectionTest, MirrorTarget } from '../../api/types';
import { PlusIcon } from '../../components/icons';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { CreateTargetForm } from './mirror-target-form';
import { RulesSection } from './mirror-target-rules';

export function MirrorTargetsPanel() {
  const targets = useQuery({ queryKey: ['mirror-targets'], queryFn: () => api.get('/api/mirror/targets'), refetchInterval: 30_000 });
  const status = useQuery({ queryKey: ['mirror-status'], queryFn: () => api.get('/api/mirror/status'), refetchInterval: 30_000 });
  const countsOf = (id: string) => status.data?.targets.find((t) => t.id === id)?.counts ?? {};
  const [adding, setAdding] = useState(false);
  const addRef = useRef<HTMLButtonElement>(null);
  const addButton = (
    <button ref={addRef} type="button" className="button primary" aria-expanded={adding} onClick={() => setAdding((a) => !a)}>
      <PlusIcon size={16} /> Add a target
    </button>
  );
  return (
    <>
      <Section title="Mirror targets" description="Forges that repositories are copied to. Other changes to a target are made with the API or CLI." actions={addButton}>
        {adding && (
          <CreateTargetForm
            onDone={() => {
              setAdding(false);
              addRef.current?.focus();
            }}
          />
        )}
        {targets.isPending ? (
          <Loading rows={3} />
        ) : targets.isError ? (
          <ErrorState error={targets.error} retry={() => void targets.refetch()} />
        ) : targets.data.items.length === 0 ? (
          <EmptyState title="No mirror targets">
            <p>
              Add one with “Add a target”, or with <code>POST /api/mirror/targets</code> (see the <a href="/api/docs">API docs</a>).
            </p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Mirror targets</caption>
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">Address</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Mirrors</th>
                  <th scope="col">Connection</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {targets.data.items.map((t) => (
                  <TargetRow key={t.id} target={t} counts={countsOf(t.id)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {targets.data && targets.data.items.length > 0 && <RulesSection targets={targets.data.items} />}
    </>
  );
}

function TargetRow({ target: t, counts }: { target: MirrorTarget; counts: Record<string, number> }) {
  const [result, setResult] = useState<ConnectionTest | { error: string } | null>(null);
  const test = useMutation({
    mutationFn: () => api.post('/api/mirror/targets/{target}/test', { path: { target: t.id } }),
    onSuccess: (data) => setResult(data),
    onError: (e) => setResult({ error: errorMessage(e) }),
  });
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: ['mirror-targets'] }), queryClient.invalidateQueries({ queryKey: ['mirror-status'] }), queryClient.invalidateQueries({ queryKey: ['mirrors'] })]);
  const toggle = useMutation({
    mutationFn: () => api.patch('/api/mirror/targets/{target}', { path: { target: t.id }, body: { enabled: !t.enabled } }),
    onSuccess: async () => {
      setProblem(null);
      await refresh();
    },
    onError: (e) => setProblem(errorMessage(e)),
  });
  const remove = useMutation({
    mutationFn: () => api.delete('/api/mirror/targets/{target}', { path: { target: t.id } }),
    onSuccess: async () => {
      setProblem(null);
      await Promise.all([refresh(), queryClient.invalidateQueries({ queryKey: ['mirror-rules', t.id] })]);
    },
    onError: (e) => {
      setConfirming(false);
      setProblem(errorMessage(e));
    },
  });
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return (
    <tr>
      <td data-label="Target" className="cell-primary">
        <strong>{t.name}</strong> <span className="muted small">{t.kind}</span>
        {!t.has_token && <div className="small muted">no token</div>}
      </td>
      <td data-label="Address">
        <code className="mono small">{t.base_url}</code>
        {t.namespace && <div className="small muted">{t.namespace}</div>}
      </td>
      <td data-label="Enabled">{t.enabled ? <Badge tone="success">enabled</Badge> : <Badge tone="neutral">disabled</Badge>}</td>
      <td data-label="Mirrors">
        {entries.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <Link to="/mirrors" className="small">
            {entries.map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(' · ')}
          </Link>
        )}
      </td>
      <td data-label="Connection">
        <button type="button" className="button small" onClick={() => test.mutate()} disabled={test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        {result ? (
          <div role="status" className="small">
            {'error' in result ? (
              <span className="text-danger">{result.error}</span>
            ) : (
              <>
                <Badge tone={result.ok ? 'success' : 'danger'}>{result.ok ? 'connection OK' : 'connection failed'}</Badge>
                <ul className="test-checks">
                  {result.checks.map((c) => (
                    <li key={c.name} className={c.ok ? undefined : 'text-danger'}>
                      {c.ok ? '✓' : '✗'} {c.name}: {c.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        ) : (
          t.last_test_at && (
            <div className="small muted">
              last test {t.last_test_ok ? 'passed' : 'failed'} <RelativeTime iso={t.last_test_at} />
            </div>
          )
        )}
      </td>
      <td data-label="Actions">
        <div className="button-row">
          <button type="button" className="button small" onClick={() => toggle.mutate()} disabled={toggle.isPending || remove.isPending}>
            {t.enabled ? 'Disable' : 'Enable'}
          </button>
          {confirming ? (
            <>
              <button type="button" className="button small danger" onClick={() => remove.mutate()} disabled={remove.isPending} aria-label={`Remove ${t.name}, its rules, mirrors and sync logs`}>
                {remove.isPending ? 'Removing…' : 'Confirm remove'}
              </button>
              <button type="button" className="button small" onClick={() => setConfirming(false)} disabled={remove.isPending}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" className="button small" onClick={() => setConfirming(true)}>
              Remove…
            </button>
          )}
        </div>
        {confirming && <div className="small muted">Its rules, mirrors and sync logs go; the copies on the forge stay.</div>}
        {problem && (
          <div className="small text-danger" role="alert">
            {problem}
          </div>
        )}
      </td>
    </tr>
  );
}
