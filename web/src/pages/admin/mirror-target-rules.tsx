/**
 * A target's rules (administrators): which repositories are mirrored to it — starred ones, a whole
 * installation, a list, or an owner/name pattern — and adding one. A new rule applies at once to the
 * repositories Switchyard knows.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { MirrorRule, MirrorTarget, NewMirrorRule } from '../../api/types';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { EmptyState, ErrorState, Loading, Spinner, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';
import { plural } from '../../lib/format';

type RuleKind = NewMirrorRule['kind'];

const RULE_KINDS: Array<{ value: RuleKind; label: string; input: string; help: string }> = [
  { value: 'pattern', label: 'Pattern', input: 'Pattern', help: 'owner/name with * and ? wildcards, e.g. acme/*' },
  { value: 'repositories', label: 'Repositories', input: 'Repositories', help: 'owner/name, one per line or separated by commas' },
  { value: 'installation', label: 'Installation', input: 'Installation id', help: 'Every repository of this installation (its GitHub id), including ones added later' },
  { value: 'starred', label: 'Starred', input: 'Whose stars (optional)', help: 'GitHub logins separated by commas; empty means anyone’s' },
];

function describeRule(r: MirrorRule): string {
  switch (r.kind) {
    case 'pattern':
      return r.pattern ?? '';
    case 'repositories':
      return (r.repositories ?? []).join(', ');
    case 'installation':
      return `installation ${r.installation_id}`;
    case 'starred':
      return r.users && r.users.length > 0 ? `starred by ${r.users.join(', ')}` : 'starred by anyone';
  }
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The request body for a rule form, or the reason it cannot be sent. */
export function ruleBody(kind: RuleKind, value: string): NewMirrorRule | { error: string } {
  const v = value.trim();
  if (kind === 'pattern') return v ? { kind, pattern: v } : { error: 'Give a pattern, e.g. acme/*.' };
  if (kind === 'repositories') {
    const repositories = list(v);
    return repositories.length > 0 ? { kind, repositories } : { error: 'Give at least one repository (owner/name).' };
  }
  if (kind === 'installation') {
    const id = Number(v);
    return Number.isInteger(id) && id > 0 ? { kind, installation_id: id } : { error: 'Give the installation’s GitHub id (a number).' };
  }
  return { kind, users: list(v) };
}

export function RulesSection({ targets }: { targets: MirrorTarget[] }) {
  const id = useId();
  const [chosen, setChosen] = useState(targets[0]?.name ?? '');
  const target = targets.find((t) => t.name === chosen) ?? targets[0];
  return (
    <Section title="Rules" id={`${id}-rules`} description="Which repositories each target mirrors. A new rule applies at once to the repositories Switchyard knows.">
      <div className="card">
        <div className="field narrow-field">
          <label htmlFor={`${id}-target`}>Target</label>
          <select id={`${id}-target`} value={target?.name ?? ''} onChange={(e) => setChosen(e.target.value)}>
            {targets.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        {target && <TargetRules key={target.id} target={target} />}
      </div>
    </Section>
  );
}

function TargetRules({ target }: { target: MirrorTarget }) {
  const id = useId();
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['mirror-rules', target.id], queryFn: () => api.get('/api/mirror/targets/{target}/rules', { path: { target: target.id } }) });
  const [kind, setKind] = useState<RuleKind>('pattern');
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const spec = RULE_KINDS.find((k) => k.value === kind)!;

  const add = useMutation({
    mutationFn: (body: NewMirrorRule) => api.post('/api/mirror/targets/{target}/rules', { path: { target: target.id }, body }),
    onSuccess: async (data) => {
      setValue('');
      setProblem(null);
      setOutcome(`Rule added${data.started > 0 ? `: ${plural(data.started, 'repository', 'repositories')} will be mirrored` : ''}.`);
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['mirror-rules', target.id] }), queryClient.invalidateQueries({ queryKey: ['mirror-status'] }), queryClient.invalidateQueries({ queryKey: ['mirrors'] })]);
    },
    onError: (e) => {
      setOutcome(null);
      setProblem(errorMessage(e));
    },
  });

  const remove = useMutation({
    mutationFn: (rule: MirrorRule) => api.delete('/api/mirror/rules/{id}', { path: { id: rule.id } }),
    onSuccess: async (data, rule) => {
      setProblem(null);
      setOutcome(`Rule “${describeRule(rule)}” removed${data.stopped > 0 ? `: ${plural(data.stopped, 'mirror', 'mirrors')} only it kept stopped (the copies stay)` : ''}.`);
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['mirror-rules', target.id] }), queryClient.invalidateQueries({ queryKey: ['mirror-status'] }), queryClient.invalidateQueries({ queryKey: ['mirrors'] })]);
    },
    onError: (e) => {
      setOutcome(null);
      setProblem(errorMessage(e));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOutcome(null);
    const body = ruleBody(kind, value);
    if ('error' in body) {
      setProblem(body.error);
      document.getElementById(`${id}-value`)?.focus();
      return;
    }
    add.mutate(body);
  };

  return (
    <>
      {rules.isPending ? (
        <Loading rows={2} />
      ) : rules.isError ? (
        <ErrorState error={rules.error} retry={() => void rules.refetch()} />
      ) : rules.data.items.length === 0 ? (
        <EmptyState title={`No rules for ${target.name}`}>
          <p>Nothing is mirrored to it until a rule matches (or a repository is added by hand).</p>
        </EmptyState>
      ) : (
        <ul className="item-list plain" aria-label={`Rules of ${target.name}`}>
          {rules.data.items.map((r) => (
            <li key={r.id} className="item">
              <div className="item-main">
                <div className="item-title">
                  <Badge tone="info">{r.kind}</Badge> <span className="mono break">{describeRule(r)}</span>
                </div>
                <div className="item-meta">
                  added <RelativeTime iso={r.created_at} />
                </div>
              </div>
              <button type="button" className="button small" onClick={() => remove.mutate(r)} disabled={remove.isPending} aria-label={`Remove the rule ${describeRule(r)}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={submit} noValidate aria-label={`Add a rule to ${target.name}`}>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Rule</label>
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as RuleKind);
              setProblem(null);
            }}
          >
            {RULE_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-value`}>{spec.input}</label>
          <input
            id={`${id}-value`}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required={kind !== 'starred'}
            inputMode={kind === 'installation' ? 'numeric' : undefined}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby={`${id}-help${problem ? ` ${id}-problem` : ''}`}
          />
        </div>
        <button type="submit" className="button" disabled={add.isPending}>
          {add.isPending && <Spinner />} Add rule
        </button>
      </form>
      <p className="field-help" id={`${id}-help`}>
        {spec.help}
      </p>
      <div role="status" className="small">
        {outcome}
      </div>
      {problem && (
        <p className="field-error" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
