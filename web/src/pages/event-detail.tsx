/**
 * One delivery: what it was, where it came from, how processing went, its headers and its payload
 * (a foldable tree with copy), and Replay — whose outcome is followed until processing settles.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { AppRun, EventDetail } from '../api/types';
import { useViewer } from '../auth/session';
import { CopyButton } from '../components/copy-button';
import { ReplayIcon } from '../components/icons';
import { RunAgainButton, UNSETTLED_RUN } from '../components/run-again';
import { JsonViewer } from '../components/json-tree';
import { PageHeader, Section } from '../components/page';
import { RunStatus, StatusBadge } from '../components/status-badge';
import { Callout, EmptyState, ErrorState, Loading, Spinner, errorMessage } from '../components/states';
import { RelativeTime } from '../components/time';
import { absoluteTime, bytes, eventName, plural } from '../lib/format';
import { appPath, ms } from './apps';

const SETTLED = new Set(['processed', 'dead']);

type ReplayState = { phase: 'idle' } | { phase: 'sending' } | { phase: 'running'; since: number } | { phase: 'done'; status: string; error: string | null } | { phase: 'refused'; message: string };

/** Links to the pull request or issue a payload is about, when this dashboard has a page for it. */
function subjectLink(e: EventDetail): { to: string; label: string } | null {
  const p = e.raw_payload as Record<string, unknown> | null;
  if (!e.repository || !p || typeof p !== 'object') return null;
  const pr = (p.pull_request ?? (e.event_type === 'pull_request' ? p : null)) as { number?: unknown } | null;
  if (pr && typeof pr.number === 'number') return { to: `/repositories/${e.repository}/pulls/${pr.number}`, label: `Pull request #${pr.number}` };
  const checkRun = p.check_run as { pull_requests?: Array<{ number?: unknown }> } | undefined;
  const n = checkRun?.pull_requests?.[0]?.number;
  if (typeof n === 'number') return { to: `/repositories/${e.repository}/pulls/${n}`, label: `Pull request #${n}` };
  return null;
}

export function EventDetailPage() {
  const { deliveryId = '' } = useParams();
  const queryClient = useQueryClient();
  const [replay, setReplay] = useState<ReplayState>({ phase: 'idle' });

  const query = useQuery({
    queryKey: ['event', deliveryId],
    queryFn: ({ signal }) => api.get('/api/events/{delivery_id}', { path: { delivery_id: deliveryId }, signal }),
    // Follow a delivery that is still being worked on (and a replay) until it settles.
    refetchInterval: (q) => (replay.phase === 'running' ? 750 : q.state.data && !SETTLED.has(q.state.data.processing_status) ? 2_000 : false),
  });
  const e = query.data;

  // A replay is done once a fetch after it shows the delivery settled (state adjusted while rendering,
  // not in an effect: https://react.dev/learn/you-might-not-need-an-effect).
  if (replay.phase === 'running' && e && query.dataUpdatedAt > replay.since && SETTLED.has(e.processing_status)) {
    setReplay({ phase: 'done', status: e.processing_status, error: e.error_message });
  }
  const replayDone = replay.phase === 'done';
  useEffect(() => {
    if (!replayDone) return;
    void queryClient.invalidateQueries({ queryKey: ['events'] });
    void queryClient.invalidateQueries({ queryKey: ['overview'] });
  }, [replayDone, queryClient]);

  const mutation = useMutation({
    mutationFn: () => api.post('/api/events/{delivery_id}/replay', { path: { delivery_id: deliveryId } }),
    onMutate: () => setReplay({ phase: 'sending' }),
    onSuccess: async () => {
      setReplay({ phase: 'running', since: Date.now() });
      await queryClient.invalidateQueries({ queryKey: ['event', deliveryId] });
    },
    onError: (err) => setReplay({ phase: 'refused', message: errorMessage(err) }),
  });

  if (query.isPending) return <Loading rows={8} label="Loading the delivery…" />;
  if (query.isError || !e) {
    return (
      <>
        <PageHeader title="Delivery" docTitle="Delivery" eyebrow={<Link to="/events">Events</Link>} />
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      </>
    );
  }

  const failedOrDead = e.processing_status === 'failed' || e.processing_status === 'dead';
  const busy = replay.phase === 'sending' || replay.phase === 'running';
  const subject = subjectLink(e);
  const headers = Object.entries(e.headers).sort(([a], [b]) => a.localeCompare(b));

  return (
    <>
      <PageHeader
        eyebrow={
          <nav aria-label="Breadcrumb" className="breadcrumb">
            <Link to="/events">Events</Link>
            {e.repository && (
              <>
                <span aria-hidden="true">/</span>
                <Link to={`/events?repository=${encodeURIComponent(e.repository)}`}>{e.repository}</Link>
              </>
            )}
          </nav>
        }
        title={
          <span className="title-with-badge">
            <span className="mono-title">{eventName(e.event_type, e.event_action)}</span>
            <StatusBadge status={e.processing_status} />
          </span>
        }
        docTitle={`${eventName(e.event_type, e.event_action)} delivery`}
        subtitle={
          <>
            Received <RelativeTime iso={e.received_at} />
            {e.actor && <> · by {e.actor}</>}
            {e.repository && (
              <>
                {' '}
                · <Link to={`/repositories/${e.repository}`}>{e.repository}</Link>
              </>
            )}
          </>
        }
        actions={
          e.processing_status !== 'received' && e.processing_status !== 'processing' ? (
            <button type="button" className={`button ${failedOrDead ? 'primary' : ''}`} onClick={() => mutation.mutate()} disabled={busy}>
              {busy ? <Spinner /> : <ReplayIcon />}
              {busy ? 'Replaying…' : 'Replay'}
            </button>
          ) : undefined
        }
      />

      <div aria-live="polite">
        {replay.phase === 'running' && (
          <Callout tone="info" title="Replaying">
            Processing the delivery again; this page follows it. Now: <StatusBadge status={e.processing_status} />
            {e.processing_status === 'failed' && <> — failed again, retrying ({e.retry_count} of {e.max_retries})</>}
          </Callout>
        )}
        {replay.phase === 'done' &&
          (replay.status === 'processed' ? (
            <Callout tone="success" title="Replay succeeded" role="status">
              The delivery was processed again{e.processed_at ? <> at {absoluteTime(e.processed_at)}</> : null}.
            </Callout>
          ) : (
            <Callout tone="danger" title="Replay failed" role="alert">
              It failed again and ran out of retries{replay.error ? <>: <code>{replay.error}</code></> : '.'}
            </Callout>
          ))}
        {replay.phase === 'refused' && (
          <Callout tone="danger" title="Replay was refused" role="alert">
            {replay.message}
          </Callout>
        )}
      </div>

      {e.error_message && replay.phase !== 'done' && (
        <Callout tone={e.processing_status === 'dead' ? 'danger' : 'warning'} title={e.processing_status === 'dead' ? 'Processing failed for good' : 'Processing failed'}>
          <pre className="error-text">{e.error_message}</pre>
          {e.processing_status === 'failed' && e.next_attempt_at && (
            <p>
              Next attempt <RelativeTime iso={e.next_attempt_at} /> ({e.retry_count} of {e.max_retries} retries used).
            </p>
          )}
          {e.processing_status === 'dead' && <p>Fix the cause, then replay it.</p>}
        </Callout>
      )}

      {e.automations.map((a) => (
        <Callout
          key={a.automation}
          tone={a.state === 'dead' ? 'danger' : a.state === 'retrying' ? 'warning' : 'info'}
          title={
            a.state === 'dead'
              ? `Automation ${a.automation} failed for good`
              : a.state === 'retrying'
                ? `Automation ${a.automation} failed; it will be retried`
                : `Automation ${a.automation} is ${a.state}`
          }
        >
          {a.last_error && <pre className="error-text">{a.last_error}</pre>}
          <p>
            {a.attempts} of {a.max_attempts} attempts used.{a.state === 'dead' && ' Fix the cause, then retry dead jobs on the queue page.'}
          </p>
        </Callout>
      ))}

      <div className="detail-grid">
        <dl className="meta card">
          <div>
            <dt>Delivery id</dt>
            <dd className="with-copy">
              <code className="mono">{e.delivery_id}</code>
              <CopyButton text={e.delivery_id} iconOnly className="icon-button small" label="Copy delivery id" />
            </dd>
          </div>
          <div>
            <dt>Event</dt>
            <dd>
              <Link to={`/events?type=${encodeURIComponent(e.event_type)}${e.event_action ? `&action=${encodeURIComponent(e.event_action)}` : ''}`}>{eventName(e.event_type, e.event_action)}</Link>
            </dd>
          </div>
          <div>
            <dt>Repository</dt>
            <dd>{e.repository ? <Link to={`/repositories/${e.repository}`}>{e.repository}</Link> : <span className="muted">none</span>}</dd>
          </div>
          {subject && (
            <div>
              <dt>About</dt>
              <dd>
                <Link to={subject.to}>{subject.label}</Link>
              </dd>
            </div>
          )}
          <div>
            <dt>Installation</dt>
            <dd>{e.installation_id ?? <span className="muted">none</span>}</dd>
          </div>
          <div>
            <dt>Actor</dt>
            <dd>{e.actor ?? <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Received</dt>
            <dd>{absoluteTime(e.received_at)}</dd>
          </div>
          {e.github_timestamp && (
            <div>
              <dt>Sent by GitHub</dt>
              <dd>{absoluteTime(e.github_timestamp)}</dd>
            </div>
          )}
          <div>
            <dt>Processed</dt>
            <dd>{e.processed_at ? absoluteTime(e.processed_at) : <span className="muted">not yet</span>}</dd>
          </div>
          <div>
            <dt>Retries</dt>
            <dd>
              {e.retry_count} of {e.max_retries}
            </dd>
          </div>
          <div>
            <dt>Payload</dt>
            <dd>
              {bytes(e.payload_size)}
              {e.payload_storage && <span className="muted"> · in the payload store</span>}
            </dd>
          </div>
        </dl>
      </div>

      <AppRunsSection deliveryId={e.delivery_id} />

      <Section title="Payload" id="payload">
        {e.raw_payload === null || e.raw_payload === undefined ? (
          <EmptyState title="The payload is not available">
            <p>Its stored body could not be read{e.payload_storage ? ' from the payload store' : ''}.</p>
          </EmptyState>
        ) : (
          <div className="card flush">
            <JsonViewer value={e.raw_payload} label="Payload" tools={<CopyButton text={() => JSON.stringify(e.raw_payload, null, 2)} label="Copy JSON" className="button small" />} />
          </div>
        )}
      </Section>

      <Section title={`Headers (${headers.length})`} id="headers">
        <details className="card disclosure">
          <summary>Show the request headers GitHub sent</summary>
          <div className="table-wrap">
            <table className="table kv">
              <caption className="visually-hidden">Request headers</caption>
              <tbody>
                {headers.map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">
                      <code>{k}</code>
                    </th>
                    <td>
                      <code className="break">{v}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </Section>
    </>
  );
}

/** The hosted Probot apps that ran (or will run) for this delivery: none shows nothing. */
function AppRunsSection({ deliveryId }: { deliveryId: string }) {
  const me = useViewer();
  const runs = useQuery({
    queryKey: ['event-apps', deliveryId],
    queryFn: ({ signal }) => api.get('/api/events/{delivery_id}/apps', { path: { delivery_id: deliveryId }, signal }),
    // Follow runs that are still moving (a first run, a retry, a run again).
    refetchInterval: (q) => (q.state.data?.items.some((r) => UNSETTLED_RUN.has(r.status)) ? 1_500 : false),
  });
  if (runs.isPending) return <Loading rows={2} label="Loading the apps that ran…" />;
  if (runs.isError) return <ErrorState error={runs.error} retry={() => void runs.refetch()} title="The apps that ran could not be read" />;
  if (runs.data.items.length === 0) return null;
  return (
    <Section title="Probot apps" id="apps" description="The hosted Probot apps this delivery ran, each once; what each logged is kept with its run.">
      <div className="table-wrap">
        <table className="table responsive">
          <caption className="visually-hidden">Probot apps that ran for this delivery</caption>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Duration</th>
              <th scope="col">Error and log</th>
              {me.is_admin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((r) => (
              <AppRunRow key={r.id} run={r} canRunAgain={me.is_admin} />
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function AppRunRow({ run: r, canRunAgain }: { run: AppRun; canRunAgain: boolean }) {
  return (
    <tr data-app={r.app}>
      <td data-label="App" className="cell-primary">
        <Link to={appPath(r.app)}>{r.app}</Link>
        {r.finished_at && (
          <div className="small muted">
            finished <RelativeTime iso={r.finished_at} />
          </div>
        )}
      </td>
      <td data-label="Status">
        <RunStatus status={r.status} nextAttemptAt={r.next_attempt_at} />
      </td>
      <td data-label="Attempts">{r.attempts}</td>
      <td data-label="Duration">{ms(r.duration_ms)}</td>
      <td data-label="Error and log">
        {r.error && <pre className="error-text run-error">{r.error}</pre>}
        {r.log_lines.length > 0 ? (
          <details className="disclosure">
            <summary>{`${plural(r.log_lines.length, 'logged line')} of ${r.app}`}</summary>
            <div className="log-excerpt" role="region" aria-label={`What ${r.app} logged`} tabIndex={0}>
              <div className="log-lines">
                {r.log_lines.map((l, i) => (
                  <div key={i} className="log-line">
                    <span className="log-no">{l.level}</span>
                    <span className="log-text">{l.msg}</span>
                  </div>
                ))}
              </div>
            </div>
          </details>
        ) : (
          !r.error && <span className="muted">nothing logged</span>
        )}
      </td>
      {canRunAgain && (
        <td data-label="Actions">
          {UNSETTLED_RUN.has(r.status) ? <span className="muted small">in progress</span> : <RunAgainButton app={r.app} deliveryId={r.delivery_id} label={`Run again: ${r.app}, for this delivery`} />}
        </td>
      )}
    </tr>
  );
}
