/**
 * One agents project: its five agents (role, model configuration, system prompt addition, rules
 * file), which administrators edit in place, and what its agents remember (most important first),
 * which administrators can make them forget.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Answer } from '../../api/client';
import { useViewer } from '../../auth/session';
import { PageHeader, Section } from '../../components/page';
import { EmptyState, ErrorState, Loading, errorMessage } from '../../components/states';
import { Badge } from '../../components/status-badge';
import { RelativeTime } from '../../components/time';
import { useInlineEdit } from '../../lib/use-inline-edit';
import { ROLES, type ProjectItem } from './projects';

type AgentItem = ProjectItem['agents'][number];
type Role = (typeof ROLES)[number];
type MemoryItem = Answer<'/api/agents/projects/{id}/memory'>['items'][number];

function AgentForm({ projectId, role, agent, onDone }: { projectId: string; role: Role; agent: AgentItem | undefined; onDone: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const m = agent?.model_config;
  const [f, setF] = useState({
    provider: m?.provider ?? '',
    model: m?.model ?? '',
    temperature: String(m?.temperature ?? 0.2),
    max_tokens: String(m?.max_tokens ?? 4096),
    max_turns: String(m?.max_turns ?? 20),
    system_prompt: agent?.system_prompt ?? '',
    rules_file_path: agent?.rules_file_path ?? '',
    enabled: agent?.enabled ?? true,
  });
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof f, v: string | boolean) => setF((x) => ({ ...x, [k]: v }));
  const save = useMutation({
    mutationFn: () =>
      api.put('/api/agents/projects/{id}/agents/{role}', {
        path: { id: projectId, role },
        body: {
          model_config: { provider: f.provider.trim(), model: f.model.trim(), temperature: Number(f.temperature), max_tokens: Number(f.max_tokens), max_turns: Number(f.max_turns) },
          system_prompt: f.system_prompt.trim() || null,
          rules_file_path: f.rules_file_path.trim() || null,
          enabled: f.enabled,
        },
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['agent-project', projectId] });
      onDone();
    },
    onError: (e) => {
      setError(errorMessage(e));
      requestAnimationFrame(() => document.getElementById(`${id}-error`)?.focus());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const nums = [Number(f.temperature), Number(f.max_tokens), Number(f.max_turns)];
    if (!f.provider.trim() || !f.model.trim() || nums.some((n) => !Number.isFinite(n))) {
      setError('Enter a provider, a model and numbers for temperature, max tokens and max turns.');
      requestAnimationFrame(() => document.getElementById(`${id}-error`)?.focus());
      return;
    }
    save.mutate();
  };
  const field = (k: 'provider' | 'model' | 'temperature' | 'max_tokens' | 'max_turns' | 'rules_file_path', label: string, numeric = false) => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input id={`${id}-${k}`} autoComplete="off" spellCheck={false} inputMode={numeric ? 'decimal' : undefined} value={f[k]} onChange={(e) => set(k, e.target.value)} />
    </div>
  );
  return (
    <form className="form" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onDone()} noValidate aria-label={`Edit the ${role}`}>
      {error && (
        <p className="form-error" id={`${id}-error`} role="alert" tabIndex={-1}>
          {error}
        </p>
      )}
      <div className="form-grid">
        {field('provider', 'Provider')}
        {field('model', 'Model')}
        {field('temperature', 'Temperature', true)}
        {field('max_tokens', 'Max tokens', true)}
        {field('max_turns', 'Max turns', true)}
        {field('rules_file_path', 'Rules file (optional)')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-system_prompt`}>System prompt addition (optional)</label>
        <textarea id={`${id}-system_prompt`} rows={3} value={f.system_prompt} onChange={(e) => set('system_prompt', e.target.value)} />
      </div>
      <div className="field">
        <label>
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
        </label>
      </div>
      <div className="button-row">
        <button type="submit" className="button primary small" disabled={save.isPending}>
          Save {role}
        </button>
        <button type="button" className="button ghost small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AgentRow({ projectId, role, agent, admin }: { projectId: string; role: Role; agent: AgentItem | undefined; admin: boolean }) {
  const { editing, buttonRef: edit, open, close: done } = useInlineEdit();
  const m = agent?.model_config;
  return (
    <li className="card agents-card" aria-label={role}>
      <div className="row wrap">
        <strong>{role}</strong>
        {agent ? agent.enabled ? <Badge tone="success">enabled</Badge> : <Badge>disabled</Badge> : <Badge tone="warning">missing</Badge>}
        {admin && !editing && (
          <button ref={edit} type="button" className="button small" onClick={open} aria-label={`Edit the ${role}`}>
            Edit
          </button>
        )}
      </div>
      {m && (
        <div className="small muted">
          {m.provider} · <code>{m.model}</code> · temperature {m.temperature} · {m.max_tokens.toLocaleString()} max tokens · {m.max_turns} turns
          {agent?.rules_file_path && (
            <>
              {' '}
              · rules <code>{agent.rules_file_path}</code>
            </>
          )}
        </div>
      )}
      {agent?.system_prompt && <p className="agents-text">{agent.system_prompt}</p>}
      {editing && <AgentForm projectId={projectId} role={role} agent={agent} onDone={done} />}
    </li>
  );
}

function MemoryList({ projectId, admin }: { projectId: string; admin: boolean }) {
  const queryClient = useQueryClient();
  const memory = useQuery({ queryKey: ['agent-memory', projectId], queryFn: ({ signal }) => api.get('/api/agents/projects/{id}/memory', { path: { id: projectId }, signal }) });
  const [error, setError] = useState<string | null>(null);
  const forget = useMutation({
    mutationFn: (m: MemoryItem) => api.delete('/api/agents/projects/{id}/memory/{memory_id}', { path: { id: projectId, memory_id: m.id } }),
    onSuccess: async () => {
      setError(null);
      await queryClient.invalidateQueries({ queryKey: ['agent-memory', projectId] });
      requestAnimationFrame(() => document.getElementById('agents-memory-heading')?.focus());
    },
    onError: (e) => setError(errorMessage(e)),
  });
  if (memory.isPending) return <Loading rows={2} label="Loading memory…" />;
  if (memory.isError) return <ErrorState error={memory.error} retry={() => void memory.refetch()} />;
  const items = memory.data.items;
  return (
    <>
      <h3 id="agents-memory-heading" className="visually-hidden" tabIndex={-1}>
        {items.length} facts
      </h3>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <EmptyState title="Nothing remembered yet">
          <p>Agents save facts they learn (the test command, conventions) as they work.</p>
        </EmptyState>
      ) : (
        <ul className="agents-cards" aria-label="Memory">
          {items.map((m) => (
            <li key={m.id} className="card agents-card" aria-label={m.key}>
              <div className="row wrap small">
                <Badge>{m.category}</Badge>
                <strong>{m.key}</strong>
                <span className="muted">importance {m.importance}</span>
                {m.expires_at && (
                  <span className="muted">
                    expires <RelativeTime iso={m.expires_at} />
                  </span>
                )}
              </div>
              <p className="agents-text">{m.value}</p>
              {admin && (
                <div className="button-row">
                  <button type="button" className="button ghost small" disabled={forget.isPending} onClick={() => forget.mutate(m)} aria-label={`Forget ${m.key}`}>
                    Forget
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function ProjectPage() {
  const { id = '' } = useParams();
  const me = useViewer();
  const project = useQuery({ queryKey: ['agent-project', id], queryFn: ({ signal }) => api.get('/api/agents/projects/{id}', { path: { id }, signal }) });
  if (project.isPending) return <Loading rows={4} label="Loading the project…" />;
  if (project.isError) return <ErrorState error={project.error} retry={() => void project.refetch()} />;
  const p = project.data;
  return (
    <>
      <PageHeader title={p.repository} docTitle={`${p.repository} · agents`} eyebrow={<Link to="/agents/projects">Agents projects</Link>} subtitle={`Label ${p.trigger_label} · up to ${p.limits.max_running_tasks} running tasks · $${p.limits.task_budget_usd} and ${p.limits.task_minutes} minutes per task`} />
      <Section title="Agents">
        <ul className="agents-cards" aria-label="Agents">
          {ROLES.map((role) => (
            <AgentRow key={role} projectId={p.id} role={role} agent={p.agents.find((a) => a.role === role)} admin={me.is_admin} />
          ))}
        </ul>
      </Section>
      <Section title="Memory" description="Facts the agents keep; the most important unexpired ones join each call as data.">
        <MemoryList projectId={p.id} admin={me.is_admin} />
      </Section>
    </>
  );
}
