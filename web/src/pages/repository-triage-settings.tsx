/**
 * A repository's CI triage settings (`GET …/triage-config`: the defaults merged with its overrides),
 * worded for people, for everyone who can see the repository. Administrators also get a form that
 * sends only what they changed (`PATCH …/triage-config`). The polling interval is checked in the
 * page; anything else the server refuses is shown above the form as it answered.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, type Answer, type RequestBody } from '../api/client';
import { Section } from '../components/page';
import { Callout, ErrorState, Loading, Spinner, errorMessage } from '../components/states';
import { useViewer } from '../auth/session';

type TriageConfig = Answer<'/api/repositories/{owner}/{name}/triage-config'>;
type TriagePatch = RequestBody<'/api/repositories/{owner}/{name}/triage-config', 'patch'>;
type Category = TriageConfig['rerun_categories'][number];

const CATEGORIES: Array<{ value: Category; label: string }> = [
  { value: 'flaky', label: 'Flaky (failed, then passed on the same commit)' },
  { value: 'infrastructure', label: 'Infrastructure (the runner or platform failed)' },
  { value: 'network_timeout', label: 'Network timeout' },
];
const CATEGORY_NAMES: Record<Category, string> = { flaky: 'flaky', infrastructure: 'infrastructure', network_timeout: 'network timeout' };
const MIN_POLL = 1;
const MAX_POLL = 24 * 60;

/** "a, b or c". */
function orList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function minutes(n: number): string {
  return n === 1 ? 'Every minute' : `Every ${n} minutes`;
}

/** The settings, read-only and in words. */
function TriageSummary({ config }: { config: TriageConfig }) {
  const off = !config.analyze;
  const report = off || !config.comment ? 'No report' : config.check_run ? 'A “Switchyard triage” check run on the head commit' : 'One comment per pull request';
  const categories = CATEGORIES.filter((c) => config.rerun_categories.includes(c.value)).map((c) => CATEGORY_NAMES[c.value]);
  const reruns = off || !config.rerun ? 'Off' : categories.length === 0 ? 'On, but no category is chosen: nothing is re-run' : `Failed GitHub Actions jobs diagnosed as ${orList(categories)} are re-run once`;
  return (
    <dl className="meta triage-summary" data-testid="triage-summary">
      <div>
        <dt>Diagnosis</dt>
        <dd>{config.analyze ? 'Failed checks are diagnosed' : 'Failed checks are only recorded, not diagnosed'}</dd>
      </div>
      <div>
        <dt>Report</dt>
        <dd>
          {report}
          {!off && config.comment && config.check_run && <div className="muted small">A comment when the App may not write checks</div>}
        </dd>
      </div>
      <div>
        <dt>Automatic re-runs</dt>
        <dd>{reruns}</dd>
      </div>
      <div>
        <dt>Polling</dt>
        <dd>{minutes(config.poll_interval_minutes)}</dd>
      </div>
    </dl>
  );
}

/** A checkbox with its label and a line of help under it (not part of its name). */
function Option({ id, label, help, checked, disabled, nested, onChange }: { id: string; label: string; help: string; checked: boolean; disabled?: boolean; nested?: boolean; onChange: (v: boolean) => void }) {
  return (
    <div className={`triage-option${nested ? ' nested' : ''}`}>
      <label className="checkbox">
        <input type="checkbox" id={id} checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-help`} />
        {label}
      </label>
      <p className="field-help" id={`${id}-help`}>
        {help}
      </p>
    </div>
  );
}

interface FormState {
  analyze: boolean;
  comment: boolean;
  check_run: boolean;
  rerun: boolean;
  rerun_categories: Category[];
  poll: string;
}

const formOf = (c: TriageConfig): FormState => ({ analyze: c.analyze, comment: c.comment, check_run: c.check_run, rerun: c.rerun, rerun_categories: [...c.rerun_categories], poll: String(c.poll_interval_minutes) });

/** What the polling field holds, or why it can't be sent. */
function checkPoll(value: string): { minutes: number } | { error: string } {
  const v = value.trim();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < MIN_POLL || n > MAX_POLL) return { error: `Enter a whole number of minutes from ${MIN_POLL} to ${MAX_POLL} (24 hours).` };
  return { minutes: n };
}

/** Only the fields that differ from the stored settings. */
function changesOf(form: FormState, config: TriageConfig, poll: number): TriagePatch {
  const patch: TriagePatch = {};
  for (const k of ['analyze', 'comment', 'check_run', 'rerun'] as const) if (form[k] !== config[k]) patch[k] = form[k];
  if (poll !== config.poll_interval_minutes) patch.poll_interval_minutes = poll;
  const same = form.rerun_categories.length === config.rerun_categories.length && form.rerun_categories.every((c) => config.rerun_categories.includes(c));
  if (!same) patch.rerun_categories = CATEGORIES.map((c) => c.value).filter((c) => form.rerun_categories.includes(c));
  return patch;
}

function TriageForm({ owner, name, config }: { owner: string; name: string; config: TriageConfig }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>(() => formOf(config));
  const [pollError, setPollError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((prev) => ({ ...prev, [key]: value }));
    setNotice(null);
    if (key === 'poll') setPollError(null);
  };

  const save = useMutation({
    mutationFn: (body: TriagePatch) => api.patch('/api/repositories/{owner}/{name}/triage-config', { path: { owner, name }, body }),
    onSuccess: (next) => {
      queryClient.setQueryData(['triage-config', owner, name], next);
      setForm(formOf(next));
      setServerError(null);
      setNotice('Saved. The new settings apply to the next failed check.');
    },
    onError: (e) => {
      setNotice(null);
      setServerError(errorMessage(e));
      requestAnimationFrame(() => document.getElementById(`${id}-server-error`)?.focus());
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setServerError(null);
    const poll = checkPoll(form.poll);
    if ('error' in poll) {
      setNotice(null);
      setPollError(poll.error);
      document.getElementById(`${id}-poll`)?.focus();
      return;
    }
    const patch = changesOf(form, config, poll.minutes);
    if (Object.keys(patch).length === 0) {
      setNotice('Nothing to save: the settings are unchanged.');
      return;
    }
    save.mutate(patch);
  };

  const busy = save.isPending;
  return (
    <div className="card form-card triage-form">
      <h3 id={`${id}-title`}>Change the settings</h3>
      {serverError && (
        <div className="form-error" role="alert" id={`${id}-server-error`} tabIndex={-1} data-testid="triage-form-error">
          <strong>The server did not save the settings:</strong> {serverError}
        </div>
      )}
      {notice && (
        <Callout tone={notice.startsWith('Saved') ? 'success' : 'info'} role="status">
          <p>{notice}</p>
        </Callout>
      )}
      <form className="form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} aria-busy={busy || undefined}>
        <fieldset className="triage-fieldset" disabled={busy}>
          <legend className="visually-hidden">CI triage settings</legend>
          <div className="triage-options">
            <Option id={`${id}-analyze`} checked={form.analyze} onChange={(v) => set('analyze', v)} label="Analyze failed checks" help="Off: failures are only recorded — no report and no re-runs." />
            <Option id={`${id}-comment`} checked={form.comment} disabled={!form.analyze} onChange={(v) => set('comment', v)} label="Report on the pull request" help="One comment per pull request, edited as checks change." />
            <Option
              id={`${id}-check-run`}
              nested
              checked={form.check_run}
              disabled={!form.analyze || !form.comment}
              onChange={(v) => set('check_run', v)}
              label="Report as a check run instead of a comment"
              help="A “Switchyard triage” check run on the head commit (a comment when the App may not write checks)."
            />
            <Option id={`${id}-rerun`} checked={form.rerun} disabled={!form.analyze} onChange={(v) => set('rerun', v)} label="Re-run failed jobs automatically" help="GitHub Actions jobs, at most once per commit and check." />
            <fieldset className="triage-categories nested" disabled={!form.analyze || !form.rerun}>
              <legend>Re-run these categories</legend>
              {CATEGORIES.map((c) => (
                <label key={c.value} className="checkbox">
                  <input
                    type="checkbox"
                    checked={form.rerun_categories.includes(c.value)}
                    onChange={(e) => set('rerun_categories', e.target.checked ? [...form.rerun_categories, c.value] : form.rerun_categories.filter((x) => x !== c.value))}
                  />
                  {c.label}
                </label>
              ))}
            </fieldset>
          </div>
          <div className="field triage-poll">
            <label htmlFor={`${id}-poll`}>Polling interval (minutes)</label>
            <input
              id={`${id}-poll`}
              type="number"
              inputMode="numeric"
              min={MIN_POLL}
              max={MAX_POLL}
              step={1}
              required
              value={form.poll}
              onChange={(e) => set('poll', e.target.value)}
              aria-invalid={pollError ? true : undefined}
              aria-describedby={[pollError ? `${id}-poll-error` : null, `${id}-poll-help`].filter(Boolean).join(' ')}
            />
            <p className="field-help" id={`${id}-poll-help`}>
              How often open pull requests are read when no webhook arrives, from {MIN_POLL} to {MAX_POLL}.
            </p>
            {pollError && (
              <p className="field-error" id={`${id}-poll-error`}>
                {pollError}
              </p>
            )}
          </div>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy && <Spinner />} {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}

/** The "CI triage" section of the repository page. */
export function TriageSettings({ owner, name }: { owner: string; name: string }) {
  const me = useViewer();
  const config = useQuery({
    queryKey: ['triage-config', owner, name],
    queryFn: ({ signal }) => api.get('/api/repositories/{owner}/{name}/triage-config', { path: { owner, name }, signal }),
    staleTime: 60_000,
  });
  return (
    <Section
      id="triage-settings"
      title="CI triage"
      description={me.is_admin ? 'How Switchyard handles this repository’s failed checks. Only what you change is saved.' : 'How Switchyard handles this repository’s failed checks. An administrator can change these.'}
    >
      {config.isPending ? (
        <Loading rows={3} label="Loading the triage settings…" />
      ) : config.isError ? (
        <ErrorState error={config.error} retry={() => void config.refetch()} title="The triage settings did not load" />
      ) : (
        <>
          <div className="card">
            <TriageSummary config={config.data} />
          </div>
          {me.is_admin && <TriageForm owner={owner} name={name} config={config.data} />}
        </>
      )}
    </Section>
  );
}
