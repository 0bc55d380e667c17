/**
 * Agents projects: the repositories whose issues the agents may take on, each with its five agents.
 * Administrators add a project here (repository, declared test command, one model for every role);
 * each project's page edits its agents and its memory.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Answer, type RequestBody } from '../../api/client';
import { useViewer } from '../../auth/session';
import { PageHeader, Section } from '../../components/page';
import { EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { Badge } from '../../components/status-badge';

export type ProjectItem = Answer<'/api/agents/projects'>['items'][number];
export const ROLES = ['orchestrator', 'architect', 'coder', 'tester', 'reviewer'] as const;

function NewProjectForm() {
  const id = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [f, setF] = useState({ repository: '', test: '', provider: '', model: '' });
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof f, v: string) => setF((x) => ({ ...x, [k]: v }));
  const create = useMutation({
    mutationFn: (body: RequestBody<'/api/agents/projects', 'post'>) => api.post('/api/agents/projects', { body }),
    onSuccess: async (p) => {
      await queryClient.invalidateQueries({ queryKey: ['agent-projects'] });
      void navigate(`/agents/projects/${p.id}`);
    },
    onError: (e) => {
      setError(errorMessage(e));
      requestAnimationFrame(() => document.getElementById(`${id}-error`)?.focus());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^[^/\s]+\/[^/\s]+$/.test(f.repository.trim()) || !f.provider.trim() || !f.model.trim()) {
      setError('Enter the repository as owner/name, and the provider and model every agent uses.');
      requestAnimationFrame(() => document.getElementById(`${id}-error`)?.focus());
      return;
    }
    const model_config = { provider: f.provider.trim(), model: f.model.trim(), temperature: 0.2, max_tokens: 4096, max_turns: 20 };
    create.mutate({
      repository: f.repository.trim(),
      commands: f.test.trim() ? { test: f.test.trim() } : {},
      agents: ROLES.map((role) => ({ role, model_config, enabled: true })),
    } as RequestBody<'/api/agents/projects', 'post'>);
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Add a project">
      {error && (
        <p className="form-error" id={`${id}-error`} role="alert" tabIndex={-1}>
          {error}
        </p>
      )}
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-repository`}>Repository</label>
          <input id={`${id}-repository`} required autoComplete="off" spellCheck={false} placeholder="owner/name" value={f.repository} onChange={(e) => set('repository', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-test`}>Test command (optional)</label>
          <input id={`${id}-test`} autoComplete="off" spellCheck={false} placeholder="npm test" value={f.test} onChange={(e) => set('test', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-provider`}>Provider</label>
          <input id={`${id}-provider`} required autoComplete="off" spellCheck={false} placeholder="openai" value={f.provider} onChange={(e) => set('provider', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-model`}>Model</label>
          <input id={`${id}-model`} required autoComplete="off" spellCheck={false} placeholder="gpt-4o" value={f.model} onChange={(e) => set('model', e.target.value)} />
        </div>
      </div>
      <div className="button-row">
        <button type="submit" className="button primary" disabled={create.isPending}>
          Add project
        </button>
      </div>
    </form>
  );
}

export function ProjectsPage() {
  const me = useViewer();
  const projects = useQuery({ queryKey: ['agent-projects'], queryFn: ({ signal }) => api.get('/api/agents/projects', { signal }) });
  const items = projects.data?.items ?? [];
  return (
    <>
      <PageHeader title="Agents projects" subtitle="Repositories whose issues the agents may take on, and the five agents of each" actions={<Link to="/agents">Task board</Link>} />
      {projects.isPending ? (
        <Loading rows={3} label="Loading projects…" />
      ) : projects.isError ? (
        <ErrorState error={projects.error} retry={() => void projects.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No agents projects yet">
          <p>{me.is_admin ? 'Add a repository below to let the agents work on its issues.' : 'An administrator adds the repositories the agents work on.'}</p>
        </EmptyState>
      ) : (
        <ul className="agents-cards agents-projects" aria-label="Projects">
          {items.map((p) => (
            <li key={p.id} className="card agents-card">
              <Link to={`/agents/projects/${p.id}`} className="agents-card-title">
                {p.repository}
              </Link>
              <div className="row wrap small">
                {p.enabled ? <Badge tone="success">enabled</Badge> : <Badge>disabled</Badge>}
                <span className="muted">
                  label <code>{p.trigger_label}</code> · {p.agents.filter((a) => a.enabled).length} of 5 agents · test: {p.commands.test ? <code>{p.commands.test}</code> : 'none'}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
      {me.is_admin && (
        <Section title="Add a project">
          <NewProjectForm />
        </Section>
      )}
    </>
  );
}
