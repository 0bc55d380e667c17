/** Coloured badges for processing statuses, pull request states and check conclusions (colour plus text, never colour alone). */
import type { ReactNode } from 'react';
import { RelativeTime } from './time';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger' | 'merged' | 'progress';

export function Badge({ tone = 'neutral', children, title, dot }: { tone?: Tone; children: ReactNode; title?: string; dot?: boolean }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {dot && <span className="badge-dot" aria-hidden="true" />}
      {children}
    </span>
  );
}

const RECEIPT_TONES: Record<string, Tone> = { received: 'info', processing: 'progress', processed: 'success', failed: 'warning', dead: 'danger' };
const RECEIPT_HELP: Record<string, string> = {
  received: 'Stored; waiting to be processed',
  processing: 'Being processed now',
  processed: 'Processed',
  failed: 'Failed; it will be retried',
  dead: 'Failed every retry; replay it once the cause is fixed',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={RECEIPT_TONES[status] ?? 'neutral'} title={RECEIPT_HELP[status]} dot>
      {status}
    </Badge>
  );
}

export function PullStateBadge({ state, draft }: { state: string; draft?: boolean }) {
  if (draft && state === 'open') return <Badge tone="neutral">draft</Badge>;
  const tone: Tone = state === 'open' ? 'success' : state === 'merged' ? 'merged' : state === 'closed' ? 'danger' : 'neutral';
  return <Badge tone={tone}>{state}</Badge>;
}

export function IssueStateBadge({ state }: { state: string }) {
  return <Badge tone={state === 'open' ? 'success' : 'merged'}>{state}</Badge>;
}

const FAILING = new Set(['failure', 'timed_out', 'action_required']);

/** A check run's outcome: its conclusion when completed, else its status. */
export function CheckBadge({ status, conclusion }: { status: string; conclusion: string | null }) {
  if (status !== 'completed') return <Badge tone="progress" dot>{status.replace('_', ' ')}</Badge>;
  const c = conclusion ?? 'completed';
  const tone: Tone = c === 'success' ? 'success' : FAILING.has(c) ? 'danger' : c === 'cancelled' ? 'warning' : 'neutral';
  return (
    <Badge tone={tone} dot>
      {c.replace('_', ' ')}
    </Badge>
  );
}

const SYNC_TONES: Record<string, Tone> = { pending: 'info', in_progress: 'progress', completed: 'success', failed: 'warning', permanent_failure: 'danger' };
const SYNC_HELP: Record<string, string> = {
  pending: 'Waiting for a worker to sync it',
  in_progress: 'Syncing now',
  completed: 'The target has the last sync',
  failed: 'The last sync failed; it will be retried',
  permanent_failure: 'Failed every retry; fix the cause and retry',
};

/** A mirror's sync status. */
export function SyncStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={SYNC_TONES[status] ?? 'neutral'} title={SYNC_HELP[status]} dot>
      {status.replace('_', ' ')}
    </Badge>
  );
}

const RUN_TONES: Record<string, Tone> = { queued: 'info', running: 'progress', succeeded: 'success', retrying: 'warning', failed: 'danger', dead: 'danger' };
const RUN_HELP: Record<string, string> = {
  queued: 'Waiting for a worker to run it',
  running: 'The app’s handlers are running now',
  succeeded: 'Every handler finished without an error',
  retrying: 'GitHub or the network failed; it will be retried',
  failed: 'A handler threw: not retried (run it again once fixed)',
  dead: 'Failed every retry; run it again once the cause is fixed',
};

/** What became of one hosted Probot app for one delivery. */
export function RunStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={RUN_TONES[status] ?? 'neutral'} title={RUN_HELP[status]} dot>
      {status}
    </Badge>
  );
}

/** A run's status and, while it waits to retry, when the next attempt is due. */
export function RunStatus({ status, nextAttemptAt }: { status: string; nextAttemptAt: string | null }) {
  return (
    <>
      <RunStatusBadge status={status} />
      {status === 'retrying' && nextAttemptAt && (
        <div className="small muted">
          next <RelativeTime iso={nextAttemptAt} />
        </div>
      )}
    </>
  );
}
