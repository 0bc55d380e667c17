/**
 * The agents' task board: every task you can see, in one column per status (pending → in progress
 * → testing → review → completed | failed), refreshed every few seconds, each linking to its
 * conversation. On a narrow screen the columns stack.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Answer } from '../../api/client';
import { PageHeader } from '../../components/page';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { Badge } from '../../components/status-badge';
import { TaskStatusBadge } from './agent-badges';

type TaskItem = Answer<'/api/agents/tasks'>['items'][number];

const COLUMNS: Array<{ status: TaskItem['status']; title: string }> = [
  { status: 'pending', title: 'Pending' },
  { status: 'in_progress', title: 'In progress' },
  { status: 'testing', title: 'Testing' },
  { status: 'review', title: 'Review' },
  { status: 'completed', title: 'Completed' },
  { status: 'failed', title: 'Failed' },
];

export function TaskBoardPage() {
  const tasks = useQuery({ queryKey: ['agent-tasks'], queryFn: ({ signal }) => api.get('/api/agents/tasks', { query: { limit: 200 }, signal }), refetchInterval: 3000 });
  const items = tasks.data?.items ?? [];
  return (
    <>
      <PageHeader title="Agents" subtitle="Tasks the LLM agents work on, from the issues they were asked to take on" actions={<Link to="/agents/projects">Projects and memory</Link>} />
      {tasks.isPending ? (
        <Loading rows={4} label="Loading tasks…" />
      ) : tasks.isError ? (
        <ErrorState error={tasks.error} retry={() => void tasks.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No agent tasks yet">
          <p>
            Label an issue <code>switchyard</code> in a repository with an agents project (or comment <code>/switchyard</code>) and its plan appears here.
          </p>
        </EmptyState>
      ) : (
        <div className="agents-board">
          {COLUMNS.map((col) => {
            const inCol = items.filter((t) => t.status === col.status);
            return (
              <section key={col.status} className="agents-column" aria-labelledby={`col-${col.status}`}>
                <h2 id={`col-${col.status}`} className="agents-column-title">
                  {col.title} <span className="muted">{inCol.length}</span>
                </h2>
                <ul className="agents-cards">
                  {inCol.map((t) => (
                    <li key={t.id} className="card agents-card">
                      <Link to={`/agents/conversations/${t.conversation_id}`} className="agents-card-title">
                        {t.position === 0 ? 'Plan' : `${t.position}. ${t.title}`}
                      </Link>
                      <div className="small muted agents-card-issue">
                        {t.repository}#{t.issue_number} · {t.issue_title}
                      </div>
                      <div className="row wrap small">
                        <Badge>{t.agent_type}</Badge>
                        <TaskStatusBadge status={t.status} waitingOn={t.waiting_on} />
                      </div>
                      <div className="small muted">
                        {t.tokens.toLocaleString()} tokens · {t.cost_usd} · <RelativeTime iso={t.updated_at} />
                      </div>
                      {t.error_message && <div className="small agents-error">{t.error_message}</div>}
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
