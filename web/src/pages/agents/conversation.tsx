/**
 * One issue's conversation, live: its tasks (with retry, cancel and resume), then every message
 * — the agents' turns with their tokens, cost and model, tool results, and people's replies —
 * followed as it grows (the newest messages after the last one shown, every two seconds).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { api, type Answer } from '../../api/client';
import { PageHeader, Section } from '../../components/page';
import { Callout, ErrorState, Loading, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { Badge } from '../../components/status-badge';
import { ConversationStatusBadge, RoleBadge, TaskStatusBadge } from './agent-badges';

type Conversation = Answer<'/api/agents/conversations/{id}'>;
type Message = Answer<'/api/agents/conversations/{id}/messages'>['items'][number];
type Task = Conversation['tasks'][number];

/** Messages of a conversation: the latest page once, then whatever comes after the newest. */
function useLiveMessages(id: string) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stopped = false;
    let newest: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        if (newest === undefined) {
          const page = await api.get('/api/agents/conversations/{id}/messages', { path: { id }, query: { limit: 200 } });
          const items = [...page.items].reverse();
          newest = items[items.length - 1]?.id ?? '';
          if (!stopped) setMessages(items);
        } else {
          const page = await api.get('/api/agents/conversations/{id}/messages', { path: { id }, query: newest ? { after: newest, limit: 200 } : { limit: 200 } });
          const items = newest ? page.items : [...page.items].reverse();
          if (items.length > 0 && !stopped) {
            newest = items[items.length - 1]!.id;
            setMessages((m) => [...m, ...items.filter((x) => !m.some((y) => y.id === x.id))]);
          }
        }
        setError(null);
      } catch (err) {
        setError(err);
      }
      if (!stopped) timer = setTimeout(() => void load(), 2000);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);
  return { messages, error };
}

export function ConversationPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const conversation = useQuery({ queryKey: ['agent-conversation', id], queryFn: ({ signal }) => api.get('/api/agents/conversations/{id}', { path: { id }, signal }), refetchInterval: 3000 });
  const { messages, error } = useLiveMessages(id);
  const c = conversation.data;
  if (conversation.isPending) return <Loading rows={4} label="Loading the conversation…" />;
  if (conversation.isError || !c) return <ErrorState error={conversation.error} retry={() => void conversation.refetch()} />;
  return (
    <>
      <PageHeader
        eyebrow={`${c.repository}#${c.issue_number}`}
        title={c.issue_title}
        docTitle={`Agents · ${c.repository}#${c.issue_number}`}
        subtitle={
          <div className="row wrap">
            <ConversationStatusBadge status={c.status} />
            <span>
              {c.total_tokens.toLocaleString()} tokens · {c.total_cost_usd}
            </span>
            <code className="mono">{c.branch}</code>
            {c.pr_number !== null && <Badge tone="neutral">draft PR #{c.pr_number}</Badge>}
          </div>
        }
      />
      {c.error_message && <Callout tone={c.status === 'cancelled' ? 'info' : 'danger'}>{c.error_message}</Callout>}
      <Section title="Tasks" id="tasks">
        <ol className="agents-tasks">
          {c.tasks.map((t) => (
            <TaskRow key={t.id} task={t} onChanged={() => void client.invalidateQueries({ queryKey: ['agent-conversation', id] })} />
          ))}
        </ol>
        <p className="small muted">Agents taking part: {c.participants.map((p) => p.role).join(', ') || 'none yet'}</p>
      </Section>
      <Section title="Conversation" id="messages" description="Every call to a model is a message with its tokens and cost; issue text, files and command output reach the models only as quoted data.">
        {error !== null && <Callout tone="warning">{errorMessage(error)}</Callout>}
        <ol className="agents-messages" aria-live="polite">
          {messages.map((m) => (
            <MessageItem key={m.id} m={m} />
          ))}
        </ol>
        <ReplyForm id={id} />
      </Section>
    </>
  );
}

function TaskRow({ task: t, onChanged }: { task: Task; onChanged: () => void }) {
  const act = useMutation({
    mutationFn: (action: 'retry' | 'cancel' | 'resume') =>
      action === 'retry'
        ? api.post('/api/agents/tasks/{id}/retry', { path: { id: t.id } })
        : action === 'cancel'
          ? api.post('/api/agents/tasks/{id}/cancel', { path: { id: t.id } })
          : api.post('/api/agents/tasks/{id}/resume', { path: { id: t.id } }),
    onSuccess: onChanged,
  });
  return (
    <li className="card agents-task">
      <div className="row wrap">
        <strong>{t.position === 0 ? 'Plan' : `${t.position}. ${t.title}`}</strong>
        <Badge>{t.agent_type}</Badge>
        <TaskStatusBadge status={t.status} waitingOn={t.waiting_on} />
      </div>
      {t.definition_of_done.length > 0 && t.position > 0 && (
        <ul className="small agents-dod">
          {t.definition_of_done.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      <div className="small muted">
        {t.tokens.toLocaleString()} tokens · {t.cost_usd} · test rounds {t.test_rounds} · review rounds {t.review_rounds}
      </div>
      {t.error_message && <div className="small agents-error">{t.error_message}</div>}
      <div className="row wrap">
        {t.status === 'failed' && (
          <button type="button" className="button" onClick={() => act.mutate('retry')} disabled={act.isPending}>
            Retry
          </button>
        )}
        {t.waiting_on && (
          <button type="button" className="button" onClick={() => act.mutate('resume')} disabled={act.isPending}>
            Resume
          </button>
        )}
        {t.status !== 'completed' && t.status !== 'failed' && (
          <button type="button" className="button danger" onClick={() => act.mutate('cancel')} disabled={act.isPending}>
            Cancel
          </button>
        )}
        {act.isError && <span className="small agents-error">{errorMessage(act.error)}</span>}
      </div>
    </li>
  );
}

function MessageItem({ m }: { m: Message }) {
  const long = m.content.length > 600;
  const who = m.role === 'human' ? (m.author ?? 'someone') : (m.author ?? m.role);
  const tools = useMemo(() => m.tool_calls.map((x) => x.name), [m.tool_calls]);
  return (
    <li className={`agents-message agents-message-${m.role}`}>
      <div className="row wrap small">
        <RoleBadge role={m.role === 'human' ? 'human' : who} label={who} />
        <span className="muted">{m.role === 'tool' ? `tool result${m.tool_name ? ` (${m.tool_name})` : ''}` : m.role}</span>
        {m.model && (
          <span className="muted">
            {m.model} · {(m.input_tokens ?? 0).toLocaleString()} in + {(m.output_tokens ?? 0).toLocaleString()} out · {m.cost_usd ?? 'unpriced'}
          </span>
        )}
        <span className="muted">
          <RelativeTime iso={m.created_at} />
        </span>
      </div>
      {m.content &&
        (long ? (
          <details>
            <summary className="small">{m.content.slice(0, 200)}…</summary>
            <pre className="agents-text">{m.content}</pre>
          </details>
        ) : (
          <pre className="agents-text">{m.content}</pre>
        ))}
      {tools.length > 0 && <div className="small muted">calls {tools.join(', ')}</div>}
    </li>
  );
}

function ReplyForm({ id }: { id: string }) {
  const [text, setText] = useState('');
  const send = useMutation({
    mutationFn: (content: string) => api.post('/api/agents/conversations/{id}/messages', { path: { id }, body: { content } }),
    onSuccess: () => setText(''),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) send.mutate(text.trim());
  };
  return (
    <form className="agents-reply" onSubmit={submit}>
      <label htmlFor="agents-reply-text">Reply to the agents</label>
      <textarea id="agents-reply-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder="They read it, as data, on their next turn" />
      <div className="row wrap">
        <button type="submit" className="button primary" disabled={send.isPending || !text.trim()}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
        {send.isError && <span className="small agents-error">{errorMessage(send.error)}</span>}
      </div>
    </form>
  );
}
