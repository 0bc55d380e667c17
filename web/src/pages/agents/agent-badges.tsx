/** Badges of the agents' pages: a task's status (with what it waits on) and an agent's role. */
import { Badge, type Tone } from '../../components/status-badge';

const TASK_TONES: Record<string, Tone> = { pending: 'neutral', in_progress: 'progress', testing: 'info', review: 'info', completed: 'success', failed: 'danger' };
const TASK_TEXT: Record<string, string> = { pending: 'pending', in_progress: 'in progress', testing: 'testing', review: 'in review', completed: 'completed', failed: 'failed' };

export function TaskStatusBadge({ status, waitingOn }: { status: string; waitingOn?: string | null }) {
  return (
    <>
      <Badge tone={TASK_TONES[status] ?? 'neutral'} dot>
        {TASK_TEXT[status] ?? status}
      </Badge>
      {waitingOn && (
        <Badge tone="warning" title={waitingOn === 'budget' ? 'A budget is spent: it goes on when the period resets or the limit is raised' : waitingOn === 'provider' ? 'The provider asked to wait' : 'A person must act (see the error)'}>
          waiting on {waitingOn}
        </Badge>
      )}
    </>
  );
}

const CONVERSATION_TONES: Record<string, Tone> = { planning: 'progress', running: 'progress', completed: 'success', failed: 'danger', cancelled: 'neutral' };

export function ConversationStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={CONVERSATION_TONES[status] ?? 'neutral'} dot>
      {status}
    </Badge>
  );
}

/** Who spoke: an agent's role, or a person's name (tone `merged` for people). */
export function RoleBadge({ role, label }: { role: string; label?: string }) {
  return <Badge tone={role === 'human' ? 'merged' : 'neutral'}>{label ?? role}</Badge>;
}
