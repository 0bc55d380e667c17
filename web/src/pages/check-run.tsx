/**
 * One check run and its diagnosis: the category, how sure Switchyard is and why, the root cause,
 * what to do, the excerpt of the log with the failure lines highlighted, the fixes tried and the
 * other runs of the same check on the commit.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { CheckAnalysis, CheckRunDetail } from '../api/types';
import { ExternalIcon } from '../components/icons';
import { PageHeader, Section } from '../components/page';
import { CheckBadge } from '../components/status-badge';
import { Callout, EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { actionLabel, CategoryBadge, FixStatusBadge } from '../components/triage';
import { bytes } from '../lib/format';

/** Whether a line number falls in one of the [start, end] ranges. */
const inRanges = (line: number, ranges: number[][]) => ranges.some(([s, e]) => s !== undefined && line >= s && line <= (e ?? s));

function Excerpt({ analysis }: { analysis: CheckAnalysis }) {
  const lines = analysis.excerpt;
  if (lines.length === 0) return <EmptyState title="No excerpt">{analysis.log_available ? <p>The full log has the details.</p> : <p>No log was available to quote.</p>}</EmptyState>;
  return (
    <div className="log-excerpt" role="region" aria-label="Log excerpt" tabIndex={0}>
      <div className="log-lines">
        {lines.map((l, i) => {
          const hit = inRanges(l.line, analysis.failure_lines);
          const known = analysis.history_lines.includes(l.line);
          const gap = i > 0 && l.line > lines[i - 1]!.line + 1;
          return (
            <Fragment key={l.line}>
              {gap && (
                <div className="log-line log-gap" aria-hidden="true">
                  <span className="log-no">⋯</span>
                </div>
              )}
              <div className={`log-line${hit ? ' log-hit' : ''}`} data-failure={hit ? 'true' : undefined}>
                <span className="log-no">{l.line}</span>
                <span className="log-text">
                  {hit && <span className="visually-hidden">Failure line: </span>}
                  {l.text || ' '}
                  {known && (
                    <span className="log-history" title="Ranked up: it matched this repository’s history of failures">
                      {' '}
                      · matched this repository’s history
                    </span>
                  )}
                </span>
              </div>
            </Fragment>
          );
        })}
      </div>
    </div>
  );
}

/** Parses `120-131, 140` into ranges; null when it does not read as line ranges. */
function parseRanges(spec: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return null;
    out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return out.length ? out : null;
}

const rangesText = (r: number[][]) => r.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');

/** A maintainer's correction: the lines that really are the failure, or "not this". */
function Correction({ check }: { check: CheckRunDetail }) {
  const queryClient = useQueryClient();
  const [spec, setSpec] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (body: { lines: Array<[number, number]> } | { not_this: true }) => api.post('/api/checks/{check_run_id}/corrections', { path: { check_run_id: check.github_id }, body }),
    onSuccess: async () => {
      setSpec('');
      setProblem(null);
      await queryClient.invalidateQueries({ queryKey: ['check-run', check.github_id] });
    },
    onError: (err) => setProblem(err instanceof Error ? err.message : String(err)),
  });
  const c = check.correction;
  return (
    <div className="triage-correction">
      {c ? (
        <p data-testid="correction">
          {c.verdict === 'not_this' ? (
            <>Marked “not this” by {c.author}</>
          ) : (
            <>
              Corrected by {c.author}: the failure is line{c.lines.length > 1 || c.lines[0]?.[0] !== c.lines[0]?.[1] ? 's' : ''} {rangesText(c.lines)}
            </>
          )}{' '}
          (<RelativeTime iso={c.created_at} />; this repository’s next diagnoses learn from it{c.learned_lines === 0 ? ', but no log was kept to learn its lines from' : ''}).
        </p>
      ) : (
        <p>Is this not the failure? Say which lines are, and this repository’s next diagnoses will learn from it.</p>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const lines = parseRanges(spec);
          if (!lines) return setProblem('Give line numbers or ranges, e.g. 120-131, 140');
          mutation.mutate({ lines });
        }}
      >
        <div className="grow">
          <label htmlFor="correct-lines">The failure lines</label>
          <input id="correct-lines" value={spec} onChange={(e) => setSpec(e.target.value)} placeholder="120-131" inputMode="numeric" />
        </div>
        <button type="submit" className="button" disabled={mutation.isPending}>
          These are the failure
        </button>
        <button type="button" className="button ghost" disabled={mutation.isPending} onClick={() => mutation.mutate({ not_this: true })}>
          Not this
        </button>
      </form>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
    </div>
  );
}

function Diagnosis({ check }: { check: CheckRunDetail }) {
  const a = check.analysis;
  if (!a) {
    return (
      <EmptyState title="Not diagnosed">
        <p>{check.status === 'completed' ? 'Switchyard diagnoses failed check runs; this one has no diagnosis (yet).' : 'The check is still running.'}</p>
      </EmptyState>
    );
  }
  return (
    <dl className="meta card diagnosis">
      <div>
        <dt>Category</dt>
        <dd className="row wrap">
          <CategoryBadge category={a.category} />
          <span className="muted small">{Math.round(a.confidence * 100)}% confident</span>
        </dd>
      </div>
      <div>
        <dt>What to do</dt>
        <dd className="strong">{actionLabel(a.recommended_action)}</dd>
      </div>
      <div className="meta-wide">
        <dt>Why</dt>
        <dd>{a.reason}</dd>
      </div>
      <div className="meta-wide">
        <dt>Root cause</dt>
        <dd>{a.root_cause}</dd>
      </div>
      <div>
        <dt>Analyzed</dt>
        <dd>
          <RelativeTime iso={a.analyzed_at} /> <span className="muted small">by {a.analyzer}</span>
        </dd>
      </div>
    </dl>
  );
}

export function CheckRunPage() {
  const { checkRunId = '' } = useParams();
  const id = Number(checkRunId);
  const valid = Number.isSafeInteger(id) && id > 0;
  const query = useQuery({
    queryKey: ['check-run', id],
    queryFn: ({ signal }) => api.get('/api/checks/{check_run_id}', { path: { check_run_id: id }, signal }),
    enabled: valid,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'completed' ? 10_000 : false),
  });
  const crumbs = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/checks">Failing checks</Link>
      {query.data && (
        <>
          <span aria-hidden="true">/</span>
          <Link to={`/checks?repository=${encodeURIComponent(query.data.repository)}`}>{query.data.repository}</Link>
        </>
      )}
    </nav>
  );

  if (!valid) return <ErrorState error={new Error(`“${checkRunId}” is not a check run id`)} />;
  if (query.isPending) return <Loading rows={6} label="Loading the check run…" />;
  if (query.isError) {
    return (
      <>
        <PageHeader title="Check run" eyebrow={crumbs} />
        <ErrorState error={query.error} retry={() => void query.refetch()} />
      </>
    );
  }
  const c = query.data;
  const a = c.analysis;
  const logUrl = `/api/checks/${c.github_id}/log`;
  const others = c.runs_on_commit.filter((r) => r.github_id !== c.github_id);

  return (
    <>
      <PageHeader
        eyebrow={crumbs}
        title={c.name}
        subtitle={
          <span className="row wrap">
            <CheckBadge status={c.status} conclusion={c.conclusion} />
            {a && <CategoryBadge category={a.category} />}
            <Link to={`/repositories/${c.repository}`}>{c.repository}</Link>
            {c.pull_request != null && <Link to={`/repositories/${c.repository}/pulls/${c.pull_request}`}>#{c.pull_request}</Link>}
            <code className="mono muted">{c.head_sha.slice(0, 7)}</code>
            {c.completed_at && (
              <span className="muted">
                completed <RelativeTime iso={c.completed_at} />
              </span>
            )}
          </span>
        }
        actions={
          <>
            {a?.log_available && (
              <a className="button" href={logUrl} target="_blank" rel="noreferrer">
                View the full log
              </a>
            )}
            {(c.html_url || c.details_url) && (
              <a className="button" href={(c.html_url ?? c.details_url)!} target="_blank" rel="noreferrer">
                <ExternalIcon /> Open on GitHub
              </a>
            )}
          </>
        }
      />

      {c.output_title && (
        <Callout title={c.output_title}>
          <p className="small">{c.output_summary}</p>
        </Callout>
      )}

      <Section title="Diagnosis" id="diagnosis">
        <Diagnosis check={c} />
      </Section>

      {a && (
        <Section
          title="Log excerpt"
          id="excerpt"
          description={
            a.log_available ? (
              <>
                Failure lines are highlighted ·{' '}
                <a href={logUrl} target="_blank" rel="noreferrer">
                  full log{a.log_bytes != null ? ` (${bytes(a.log_bytes)}${a.log_truncated ? ', truncated' : ''})` : ''}
                </a>
              </>
            ) : (
              'Failure lines are highlighted · no full log was kept'
            )
          }
        >
          <Excerpt analysis={a} />
          <Correction check={c} />
        </Section>
      )}

      <Section title="Fix attempts" id="fixes" description="Automatic fixes Switchyard tried for this check on this commit">
        {c.fix_attempts.length === 0 ? (
          <EmptyState title="No fix attempts" />
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Fix attempts</caption>
              <thead>
                <tr>
                  <th scope="col">Fix</th>
                  <th scope="col">Status</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Tried</th>
                </tr>
              </thead>
              <tbody>
                {c.fix_attempts.map((f) => (
                  <tr key={f.id}>
                    <td data-label="Fix" className="cell-primary">
                      {f.fix_strategy === 'rerun' ? 'Re-run' : f.fix_strategy}
                      {f.error_message && <div className="small text-danger">{f.error_message}</div>}
                    </td>
                    <td data-label="Status">
                      <FixStatusBadge status={f.status} />
                    </td>
                    <td data-label="Outcome">{f.outcome_check_run_id != null ? <Link to={`/checks/${f.outcome_check_run_id}`}>run {f.outcome_check_run_id}</Link> : <span className="muted">—</span>}</td>
                    <td data-label="Tried">
                      <RelativeTime iso={f.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section title="Other runs on this commit" id="runs" description={`Every run of “${c.name}” on ${c.head_sha.slice(0, 7)}`}>
        {others.length === 0 ? (
          <EmptyState title="No other runs" />
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Other runs of this check on the commit</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Result</th>
                  <th scope="col">Completed</th>
                </tr>
              </thead>
              <tbody>
                {others.map((r) => (
                  <tr key={r.github_id}>
                    <td data-label="Run" className="cell-primary">
                      <Link to={`/checks/${r.github_id}`}>run {r.github_id}</Link>
                    </td>
                    <td data-label="Result">
                      <CheckBadge status={r.status} conclusion={r.conclusion} />
                    </td>
                    <td data-label="Completed">
                      <RelativeTime iso={r.completed_at} fallback="—" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
